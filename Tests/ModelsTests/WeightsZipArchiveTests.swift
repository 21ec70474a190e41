import Foundation
import Models
import TestSupport
import XCTest

/// A raw deflate stream of one stored block (RFC 1951 §3.2.4): BFINAL=1, BTYPE=00, LEN, NLEN.
private func storedDeflateBlock(_ bytes: [UInt8]) -> [UInt8] {
  let length = UInt16(bytes.count)
  return [0x01] + le(length) + le(~length) + bytes
}

final class WeightsZipArchiveTests: XCTestCase {
  func testStoredEntriesAreListedAndReadWithTheirCRCChecked() throws {
    var zip = ZipBuilder()
    zip.add("a.txt", Array("hello".utf8))
    zip.add("dir/b.bin", [0, 1, 2, 255])
    zip.add("empty", [])

    let archive = try ZipArchive(zip.data, name: "z.zip")

    XCTAssertEqual(archive.entries.map(\.path), ["a.txt", "dir/b.bin", "empty"])
    XCTAssertEqual([UInt8](try archive.contents(of: "a.txt")), Array("hello".utf8))
    XCTAssertEqual([UInt8](try archive.contents(of: "dir/b.bin")), [0, 1, 2, 255])
    XCTAssertEqual(try archive.contents(of: "empty").count, 0)
    XCTAssertEqual(archive.entry("dir/b.bin")?.crc32, referenceCRC32([0, 1, 2, 255]))
    assertWeightError(try archive.contents(of: "missing")) {
      $0 == .missingKey(file: "z.zip", key: "missing")
    }
  }

  func testArchiveCommentIsSkipped() throws {
    var zip = ZipBuilder()
    zip.add("a", [1])
    zip.comment = Array("PK\u{5}\u{6} a comment that looks like a signature".utf8)
    XCTAssertEqual([UInt8](try ZipArchive(zip.data, name: "c").contents(of: "a")), [1])
  }

  func testDeflatedEntryInflatesToExactlyTheDeclaredSize() throws {
    let payload = Array("deflate me".utf8)
    var zip = ZipBuilder()
    zip.members.append(
      .init(
        path: "d", contents: storedDeflateBlock(payload), method: 8,
        crc: referenceCRC32(payload), uncompressedSize: UInt32(payload.count)))
    XCTAssertEqual([UInt8](try ZipArchive(zip.data, name: "d.zip").contents(of: "d")), payload)
  }

  func testDeflateStreamsOfTheWrongLengthOrCorruptAreMalformed() throws {
    let payload = Array("0123456789".utf8)
    let stream = storedDeflateBlock(payload)
    var corrupt = stream
    corrupt[3] ^= 0xFF  // NLEN no longer the complement of LEN
    let cases: [([UInt8], Int)] = [
      (stream, 9),  // longer than declared
      (stream, 11),  // shorter than declared
      (Array(stream.prefix(8)), 10),  // truncated stream
      (corrupt, 10),
      ([0x07], 10),  // reserved block type
    ]
    for (contents, declared) in cases {
      var zip = ZipBuilder()
      zip.members.append(
        .init(
          path: "d", contents: contents, method: 8, crc: referenceCRC32(payload),
          uncompressedSize: UInt32(declared)))
      let archive = try ZipArchive(zip.data, name: "bad.zip")
      assertWeightError(try archive.contents(of: "d")) {
        if case .malformed("bad.zip", "d", _) = $0 { return true }
        return false
      }
    }
  }

  func testDeclaredSizeBeyondDeflateRatioIsRejectedBeforeInflating() {
    var zip = ZipBuilder()
    zip.members.append(
      .init(path: "bomb", contents: [0x03, 0x00], method: 8, uncompressedSize: 0xFFFF_FFF0))
    assertWeightError(try ZipArchive(zip.data, name: "bomb.zip")) {
      if case .limitExceeded("bomb.zip", "bomb", _, _, _) = $0 { return true }
      return false
    }
  }

  func testEntrySizeAboveTheLimitIsRejected() {
    var limits = WeightFileLimits()
    limits.maxEntryBytes = 3
    var zip = ZipBuilder()
    zip.add("big", [1, 2, 3, 4])
    assertWeightError(try ZipArchive(zip.data, name: "l.zip", limits: limits)) {
      $0
        == .limitExceeded(
          file: "l.zip", key: "big", limit: "zip entry size", value: 4, maximum: 3)
    }
  }

  func testCRCMismatchIsMalformed() throws {
    var zip = ZipBuilder()
    zip.members.append(.init(path: "a", contents: [1, 2, 3], crc: 0xDEAD_BEEF))
    let archive = try ZipArchive(zip.data, name: "crc.zip")
    assertWeightError(try archive.contents(of: "a")) {
      if case .malformed("crc.zip", "a", let reason) = $0 { return reason.contains("CRC") }
      return false
    }
  }

  func testEncryptionAndOtherMethodsAreUnsupported() {
    for (flags, method) in [(UInt16(1), UInt16(0)), (0, 12), (0, 14)] {
      var zip = ZipBuilder()
      zip.members.append(.init(path: "x", contents: [1], method: method, flags: flags))
      assertWeightError(try ZipArchive(zip.data, name: "u.zip")) {
        if case .unsupported("u.zip", "x", _) = $0 { return true }
        return false
      }
    }
  }

  func testLocalHeaderOutsideTheArchiveOrNamingAnotherEntryIsRejected() throws {
    var zip = ZipBuilder()
    zip.members.append(.init(path: "a", contents: [1], localOffset: 1_000_000))
    let far = try ZipArchive(zip.data, name: "far.zip")
    assertWeightError(try far.contents(of: "a")) {
      if case .truncated("far.zip", "a", _, _, _, _) = $0 { return true }
      return false
    }

    zip = ZipBuilder()
    zip.members.append(.init(path: "a", contents: [1], localPath: "b"))
    let other = try ZipArchive(zip.data, name: "other.zip")
    assertWeightError(try other.contents(of: "a")) {
      if case .malformed("other.zip", "a", _) = $0 { return true }
      return false
    }

    zip = ZipBuilder()
    zip.members.append(
      .init(path: "a", contents: [1, 2], compressedSize: 5000, uncompressedSize: 5000))
    let long = try ZipArchive(zip.data, name: "long.zip")
    assertWeightError(try long.contents(of: "a")) {
      if case .truncated("long.zip", "a", "zip entry data", _, 5000, _) = $0 { return true }
      return false
    }
  }

  func testStoredEntryWithDifferentSizesIsMalformed() {
    var zip = ZipBuilder()
    zip.members.append(.init(path: "a", contents: [1, 2], uncompressedSize: 3))
    assertWeightError(try ZipArchive(zip.data, name: "s.zip")) {
      if case .malformed("s.zip", "a", _) = $0 { return true }
      return false
    }
  }

  func testEntryCountThatCannotFitTheCentralDirectoryIsMalformed() {
    var zip = ZipBuilder()
    zip.add("a", [1])
    zip.entryCount = 0xFFFE
    assertWeightError(try ZipArchive(zip.data, name: "n.zip")) {
      if case .malformed("n.zip", nil, _) = $0 { return true }
      return false
    }
  }

  func testEntryCountAboveTheLimitIsRejected() {
    var limits = WeightFileLimits()
    limits.maxZipEntryCount = 2
    var zip = ZipBuilder()
    for i in 0..<3 { zip.add("e\(i)", [UInt8(i)]) }
    assertWeightError(try ZipArchive(zip.data, name: "m.zip", limits: limits)) {
      $0
        == .limitExceeded(
          file: "m.zip", key: nil, limit: "zip entry count", value: 3, maximum: 2)
    }
  }

  func testDuplicatePathsAreRejected() {
    var zip = ZipBuilder()
    zip.add("same", [1])
    zip.add("same", [2])
    assertWeightError(try ZipArchive(zip.data, name: "d.zip")) {
      $0 == .duplicateKey(file: "d.zip", key: "same")
    }
  }

  func testMissingEndRecordIsMalformed() {
    var bytes = ZipBuilder().bytes
    bytes[0] = 0  // the only signature
    assertWeightError(try ZipArchive(Data(bytes + [UInt8](repeating: 7, count: 100)), name: "e")) {
      if case .malformed("e", nil, _) = $0 { return true }
      return false
    }
    assertWeightError(try ZipArchive(Data([0x50, 0x4B]), name: "short")) {
      if case .truncated("short", nil, _, _, 22, 2) = $0 { return true }
      return false
    }
  }

  func testEmptyArchiveHasNoEntries() throws {
    XCTAssertEqual(try ZipArchive(ZipBuilder().data, name: "empty").entries.count, 0)
  }
}
