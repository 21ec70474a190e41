import Foundation
import TestSupport
import XCTest

@testable import Imaging

final class PNGChunksTests: XCTestCase {
  private func bytes(_ fixture: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: try ImageFixture.named(fixture).url))
  }

  private func chunks(_ bytes: [UInt8], extent: PNGChunks.Extent = .complete) throws -> PNGChunks {
    try bytes.withUnsafeBytes { try PNGChunks($0, file: "test.png", extent: extent) }
  }

  private let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  func testHeaderFieldsAndTransparencyAreRead() throws {
    let rgb = try chunks(try bytes("rgb8_interlaced.png"))
    XCTAssertEqual(
      rgb.header,
      PNGChunks.Header(width: 9, height: 7, bitDepth: 8, colorType: 2, interlaced: true))
    XCTAssertFalse(rgb.hasTransparency)
    let palette = try chunks(try bytes("palette8_trns.png"))
    XCTAssertEqual(palette.header.colorType, 3)
    XCTAssertTrue(palette.hasTransparency)
  }

  func testRemovingColourSpaceChunksKeepsEveryOtherChunkByteForByte() throws {
    let original = try bytes("rgb16_gamma.png")
    let layout = try chunks(original)
    XCTAssertEqual(layout.colorSpaceChunks.count, 2)  // gAMA, cHRM
    let stripped = original.withUnsafeBytes { layout.removingColorSpaceChunks(from: $0) }
    let before = pngChunkOffsets(original)
    let after = pngChunkOffsets(stripped)
    XCTAssertEqual(before.map(\.type), ["IHDR", "gAMA", "cHRM", "IDAT", "IDAT", "IEND"])
    XCTAssertEqual(after.map(\.type), ["IHDR", "IDAT", "IDAT", "IEND"])
    for (old, new) in zip(before.filter { !["gAMA", "cHRM"].contains($0.type) }, after) {
      XCTAssertEqual(
        original[old.offset..<old.offset + 12 + old.length],
        stripped[new.offset..<new.offset + 12 + new.length], old.type)
    }
    XCTAssertTrue(try chunks(stripped).colorSpaceChunks.isEmpty)
  }

  func testHeaderExtentNeedsNoPixelDataButCompleteExtentNeedsIEND() throws {
    let original = try bytes("rgb8.png")
    let idat = try XCTUnwrap(pngChunkOffsets(original).first { $0.type == "IDAT" })
    let cut = Array(original.prefix(idat.offset + 10))
    XCTAssertEqual(try chunks(cut, extent: .header).header.width, 5)
    XCTAssertThrowsError(try chunks(cut, extent: .complete)) {
      XCTAssertEqual($0 as? ImageError, .truncated(file: "test.png", format: .png))
    }
    let withoutEnd = Array(original.dropLast(12))
    XCTAssertThrowsError(try chunks(withoutEnd)) {
      XCTAssertEqual($0 as? ImageError, .truncated(file: "test.png", format: .png))
    }
  }

  func testBytesAfterIENDAreIgnored() throws {
    XCTAssertNoThrow(try chunks(try bytes("rgb8.png") + [1, 2, 3]))
  }

  func testFramingErrorsAreCorruptData() throws {
    let ihdr = pngChunk("IHDR", bigEndian(1) + bigEndian(1) + [8, 0, 0, 0, 0])
    let bad: [(String, [UInt8])] = [
      ("first chunk is not IHDR", signature + pngChunk("IDAT", [0]) + ihdr),
      ("IHDR too short", signature + pngChunk("IHDR", [0, 0, 0, 1])),
      ("length above 2^31 − 1", signature + ihdr + [0x80, 0, 0, 0] + Array("IDAT".utf8)),
      ("chunk type with a digit", signature + ihdr + pngChunk("ID4T", [])),
      (
        "interlace method 2",
        signature + pngChunk("IHDR", bigEndian(1) + bigEndian(1) + [8, 0, 0, 0, 2])
      ),
    ]
    for (what, stream) in bad {
      XCTAssertThrowsError(try chunks(stream), what) { error in
        guard case .corruptData("test.png", .png, _) = error as? ImageError else {
          return XCTFail("\(what): \(error)")
        }
      }
    }
  }

  func testHugeWidthIsAcceptedByTheWalkerAndLeftToTheLimits() throws {
    let stream =
      signature + pngChunk("IHDR", bigEndian(0x7FFF_FFFF) + bigEndian(1) + [8, 0, 0, 0, 0])
      + pngChunk("IEND", [])
    XCTAssertEqual(try chunks(stream).header.width, Int(Int32.max))
    let tooWide =
      signature + pngChunk("IHDR", bigEndian(0x8000_0000) + bigEndian(1) + [8, 0, 0, 0, 0])
      + pngChunk("IEND", [])
    XCTAssertThrowsError(try chunks(tooWide))
  }
}
