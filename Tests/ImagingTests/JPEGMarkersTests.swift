import Foundation
import TestSupport
import XCTest

@testable import Imaging

final class JPEGMarkersTests: XCTestCase {
  private func ending(_ bytes: [UInt8]) -> JPEGMarkers.Ending {
    bytes.withUnsafeBytes { JPEGMarkers.ending(of: $0) }
  }

  /// SOI, a 2-segment header, a scan whose data holds a stuffed `FF 00` and a restart marker,
  /// then EOI.
  private let synthetic: [UInt8] =
    [0xFF, 0xD8]
    + [0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB]  // APP0, 2 data bytes
    + [0xFF, 0xFF, 0xDB, 0x00, 0x02]  // a fill byte, then an empty DQT
    + [0xFF, 0xDA, 0x00, 0x03, 0x01]  // SOS
    + [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xD9]

  func testFixtureJPEGsIncludingProgressiveOnesAreComplete() throws {
    for name in ["baseline420.jpg", "progressive.jpg", "gray.jpg", "cmyk.jpg"] {
      let bytes = [UInt8](try Data(contentsOf: try ImageFixture.named(name).url))
      XCTAssertEqual(ending(bytes), .complete, name)
      XCTAssertEqual(ending(bytes + [0x00, 0x42]), .complete, "\(name) with trailing bytes")
    }
  }

  func testStuffedBytesAndRestartMarkersDoNotEndTheScan() {
    XCTAssertEqual(ending(synthetic), .complete)
  }

  func testEveryProperPrefixIsTruncated() throws {
    let progressive = [UInt8](try Data(contentsOf: try ImageFixture.named("progressive.jpg").url))
    for bytes in [synthetic, progressive] {
      for length in 2..<bytes.count {
        XCTAssertEqual(ending(Array(bytes.prefix(length))), .truncated, "prefix \(length)")
      }
    }
  }

  func testNonJPEGStructuresAreMalformed() {
    XCTAssertEqual(ending([0x89, 0x50, 0x4E, 0x47]), .malformed)
    XCTAssertEqual(ending([0xFF, 0xD8, 0x00, 0x01]), .malformed)  // no marker after SOI
    XCTAssertEqual(ending([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01]), .malformed)  // length < 2
    XCTAssertEqual(ending([0xFF, 0xD8, 0xFF, 0xD8]), .malformed)  // a second SOI
  }
}
