import Foundation
import Imaging
import Tensor
import TestSupport
import XCTest

/// Golden values: Pillow's decode of JPEGs Pillow wrote (`Tools/make_image_fixtures.py`);
/// decoders agree within 1–2 / 255 (IDCT and upsampling details differ between libjpeg builds).
final class JPEGDecoderTests: XCTestCase {
  func testBaselineProgressiveGrayAndCMYKJPEGsMatchPillowWithinTwoLevels() throws {
    let fixtures = try ImageFixture.all().filter { $0.format == "jpeg" }
    XCTAssertEqual(
      Set(fixtures.map(\.image)), ["baseline420.jpg", "progressive.jpg", "gray.jpg", "cmyk.jpg"])
    var report: [String] = []
    for fixture in fixtures {
      let decoded = try ImageFile.decode(contentsOf: fixture.url)
      XCTAssertEqual(decoded.shape, [3, fixture.height, fixture.width], fixture.image)
      let expected = try fixture.expectedTensor()
      assertAllClose(
        decoded, expected, absoluteTolerance: fixture.tolerance + 1e-6, relativeTolerance: 0,
        "\(fixture.image): \(fixture.description)")
      report.append("\(fixture.image) \(maximumDifference(decoded, expected) * 255)/255")
    }
    print("JPEG max |Swift − Pillow|: " + report.joined(separator: ", "))
  }

  func testGrayJPEGIsReplicatedIntoThreeEqualChannels() throws {
    let decoded = try ImageFile.decode(contentsOf: try ImageFixture.named("gray.jpg").url)
    let channels = (0..<3).map { decoded.selecting(axis: 0, index: $0).scalars }
    XCTAssertEqual(channels[0], channels[1])
    XCTAssertEqual(channels[0], channels[2])
  }

  func testInfoReportsSizeAndColourModelWithoutDecoding() throws {
    let cases: [(String, ImageInfo.ColorModel)] = [
      ("baseline420.jpg", .rgb), ("progressive.jpg", .rgb), ("gray.jpg", .gray),
      ("cmyk.jpg", .cmyk),
    ]
    for (name, model) in cases {
      let fixture = try ImageFixture.named(name)
      let info = try ImageFile.info(contentsOf: fixture.url)
      XCTAssertEqual(
        info,
        ImageInfo(
          width: fixture.width, height: fixture.height, format: .jpeg, colorModel: model,
          bitDepth: 8, hasAlpha: false), name)
    }
  }

  func testKeepPolicyAddsAnOpaqueAlphaChannel() throws {
    let url = try ImageFixture.named("baseline420.jpg").url
    let rgb = try ImageFile.decode(contentsOf: url)
    let rgba = try ImageFile.decode(contentsOf: url, options: ImageDecodingOptions(alpha: .keep))
    XCTAssertEqual(rgba.shape, [4] + rgb.shape.dropFirst())
    XCTAssertEqual(rgba.sliced(axis: 0, 0..<3).scalars, rgb.scalars)
    XCTAssertTrue(rgba.selecting(axis: 0, index: 3).scalars.allSatisfy { $0 == 1 })
  }

  // MARK: Bad JPEG data

  private func baselineBytes() throws -> [UInt8] {
    [UInt8](try Data(contentsOf: try ImageFixture.named("baseline420.jpg").url))
  }

  /// The offset of the first `FF code` marker.
  private func markerOffset(_ code: UInt8, in bytes: [UInt8]) throws -> Int {
    try XCTUnwrap(bytes.indices.dropLast().first { bytes[$0] == 0xFF && bytes[$0 + 1] == code })
  }

  func testEveryTruncationOfAJPEGIsATypedErrorAndNeverAnImage() throws {
    let bytes = try baselineBytes()
    for length in 1..<bytes.count - 2 {  // the last 2 bytes are EOI
      let name = "cut-\(length).jpg"
      assertThrowsImageError(try ImageFile.decode(Data(bytes.prefix(length)), named: name)) {
        error in
        if case .truncated(name, .jpeg) = error { return true }
        return false
      }
    }
  }

  func testTruncationIsAnErrorEvenWhenWarningsAreAccepted() throws {
    let bytes = try baselineBytes()
    let options = ImageDecodingOptions(jpegWarnings: .accept)
    assertThrows(
      .truncated(file: "cut.jpg", format: .jpeg),
      try ImageFile.decode(Data(bytes.prefix(bytes.count - 40)), named: "cut.jpg", options: options)
    )
  }

  func testDecoderWarningFailsByDefaultAndDecodesWhenAccepted() throws {
    // Junk bytes between two segments: libjpeg warns "Corrupt JPEG data: 3 extraneous bytes
    // before marker 0xda" and still decodes every pixel.
    var bytes = try baselineBytes()
    bytes.insert(contentsOf: [0x12, 0x34, 0x56], at: try markerOffset(0xDA, in: bytes))
    let error = assertThrowsImageError(try ImageFile.decode(Data(bytes), named: "junk.jpg")) {
      if case .corruptData("junk.jpg", .jpeg, _) = $0 { return true } else { return false }
    }
    XCTAssertTrue(
      error?.description.contains("extraneous") ?? false, "\(String(describing: error))")
    let accepted = try ImageFile.decode(
      Data(bytes), named: "junk.jpg", options: ImageDecodingOptions(jpegWarnings: .accept))
    let clean = try ImageFile.decode(Data(try baselineBytes()))
    XCTAssertEqual(accepted.scalars, clean.scalars)
    // The header is readable either way.
    XCTAssertEqual(try ImageFile.info(of: Data(bytes)).width, 18)
  }

  func testDamagedHeaderIsCorruptData() throws {
    var bytes = try baselineBytes()
    let sof = try markerOffset(0xC0, in: bytes)
    bytes[sof + 4] = 12  // sample precision 12 bits: not decodable by an 8-bit decoder
    assertThrowsImageError(try ImageFile.decode(Data(bytes), named: "precision.jpg")) {
      if case .corruptData("precision.jpg", .jpeg, _) = $0 { return true } else { return false }
    }
  }

  func testZeroWidthFrameIsAnError() throws {
    var bytes = try baselineBytes()
    let sof = try markerOffset(0xC0, in: bytes)
    bytes[sof + 7] = 0  // width, big-endian, after length (2) and precision (1) and height (2)
    bytes[sof + 8] = 0
    assertThrowsImageError(try ImageFile.decode(Data(bytes), named: "zero.jpg")) {
      switch $0 {
      case .corruptData("zero.jpg", .jpeg, _), .emptyImage("zero.jpg", _, _): return true
      default: return false
      }
    }
  }

  func testAbsurdlyLargeFrameIsRefusedBeforeAllocating() throws {
    var bytes = try baselineBytes()
    let sof = try markerOffset(0xC0, in: bytes)
    bytes.replaceSubrange(sof + 5..<sof + 9, with: [0xEA, 0x60, 0xEA, 0x60])  // 60000 × 60000
    assertThrows(
      .tooManyPixels(file: "huge.jpg", width: 60000, height: 60000, limit: 100_000_000),
      try ImageFile.decode(Data(bytes), named: "huge.jpg"))
    let info = try ImageFile.info(of: Data(bytes))
    XCTAssertEqual([info.width, info.height], [60000, 60000])
  }

  func testCorruptEntropyCodedDataIsNeverACrash() throws {
    // Overwrite scan bytes with random values: libjpeg either fails or warns; both are errors
    // by default.
    let clean = try baselineBytes()
    let scanStart = try markerOffset(0xDA, in: clean) + 14
    var generator = SeededGenerator(seed: 11)
    for trial in 0..<20 {
      var bytes = clean
      for i in scanStart..<clean.count - 2 where Int.random(in: 0..<4, using: &generator) == 0 {
        bytes[i] = UInt8.random(in: 0...0xFE, using: &generator)
      }
      do {
        _ = try ImageFile.decode(Data(bytes), named: "noise-\(trial).jpg")
      } catch let error as ImageError {
        switch error {
        case .corruptData, .truncated: break
        default: XCTFail("trial \(trial): \(error)")
        }
      }
    }
  }
}
