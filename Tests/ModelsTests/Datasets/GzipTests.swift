import Foundation
import Models
import TestSupport
import XCTest

/// The gzip layer, through `IDXFile(data:file:)` (the only public way in).
final class GzipTests: XCTestCase {
  private let raw = Array(idxBytes(type: 0x08, dimensions: [4], payload: [10, 20, 30, 40]))

  private func gzipError(_ data: Data, limit: Int = IDXFile.defaultLimit) -> IDXFileError? {
    do {
      _ = try IDXFile(data: data, file: "t.gz", limit: limit)
      return nil
    } catch {
      return error as? IDXFileError
    }
  }

  func testEveryOptionalHeaderFieldIsSkipped() throws {
    let variants = [
      storedGzip(raw, name: "labels.idx"),
      storedGzip(raw, comment: "a comment"),
      storedGzip(raw, extra: [1, 2, 3, 4, 5]),
      storedGzip(raw, name: "n", comment: "c", extra: [9], headerCRC: true),
    ]
    for data in variants {
      let file = try IDXFile(data: data, file: "t.gz")
      XCTAssertEqual(try file.unsignedBytes(), [10, 20, 30, 40])
    }
  }

  func testStreamOfManyBlocksInflatesCompletely() throws {
    let payload = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    let data = storedGzip(
      Array(idxBytes(type: 0x08, dimensions: [payload.count], payload: payload)), blockSize: 1000)

    let file = try IDXFile(data: data, file: "t.gz")

    XCTAssertEqual(try file.unsignedBytes(), payload)
  }

  func testRealCompressedFileInflatesToItsDeclaredSize() throws {
    let url = try fashionMNISTDirectory().appendingPathComponent("t10k-images-idx3-ubyte.gz")

    let file = try IDXFile(contentsOf: url)

    XCTAssertEqual(file.dimensions, [10000, 28, 28])
    XCTAssertEqual(file.payload.count, 7_840_000)
  }

  func testWrongCRCIsReported() {
    var data = storedGzip(raw)
    data[data.count - 8] ^= 0xff

    guard case .corruptGzip(let file, let reason) = gzipError(data) else {
      return XCTFail("expected corruptGzip")
    }
    XCTAssertEqual(file, "t.gz")
    XCTAssertTrue(reason.contains("CRC"), reason)
  }

  func testDeclaredLengthDifferentFromTheStreamIsReported() {
    for delta in [-1, 1] {
      var data = storedGzip(raw)
      data[data.count - 4] = UInt8(raw.count + delta)

      guard case .corruptGzip = gzipError(data) else {
        return XCTFail("length \(raw.count + delta) accepted")
      }
    }
  }

  func testImplausibleDeclaredLengthIsRefusedBeforeInflating() {
    var data = storedGzip(raw)
    // 0x7fff_ffff bytes from a 40-byte body: more than deflate's 1032:1 can give.
    for (k, byte) in [0xff, 0xff, 0xff, 0x7f].enumerated() {
      data[data.count - 4 + k] = UInt8(byte)
    }

    guard case .corruptGzip(_, let reason) = gzipError(data, limit: Int.max) else {
      return XCTFail("expected corruptGzip")
    }
    XCTAssertTrue(reason.contains("more than"), reason)
  }

  func testBadMethodReservedFlagsAndShortFilesAreReported() {
    var method = storedGzip(raw)
    method[2] = 7
    var reserved = storedGzip(raw)
    reserved[3] = 0x20
    var unterminatedName = storedGzip([], name: "x")
    unterminatedName.removeLast(8 + 5)  // drops the trailer and the empty stored block
    for data in [method, reserved, Data([0x1f, 0x8b, 8]), unterminatedName] {
      guard case .corruptGzip(let file, _) = gzipError(data) else {
        return XCTFail("accepted \(Array(data))")
      }
      XCTAssertEqual(file, "t.gz")
    }
  }

  func testEveryTruncationAndEveryByteFlipIsATypedErrorNeverACrash() {
    let data = storedGzip(raw, name: "n", headerCRC: true)
    for length in 0..<data.count {
      XCTAssertNotNil(gzipError(data.prefix(length)), "prefix \(length)")
    }
    for index in 0..<data.count {
      var flipped = data
      flipped[index] ^= 0x5a
      // Some flips keep the file valid (the name, MTIME, the header CRC that is not checked);
      // none may trap, and a flip inside the stream or trailer must be caught.
      let outcome = gzipError(flipped)
      if index >= data.count - 8 - raw.count - 5 { XCTAssertNotNil(outcome, "byte \(index)") }
    }
  }
}
