import Foundation
import Imaging
import Tensor
import TestSupport
import XCTest

/// Golden values: `Tools/make_image_fixtures.py` (numpy arrays written as PNG, checked by Pillow).
final class PNGDecoderTests: XCTestCase {
  private func pngFixtures(_ names: [String]) throws -> [ImageFixture] {
    let all = try ImageFixture.all()
    return try names.map { name in
      try XCTUnwrap(all.first { $0.image == name }, "\(name) missing from manifest.json")
    }
  }

  func testEightBitAndLowerDepthPNGsDecodeExactlyToGoldenValues() throws {
    let names = [
      "gray1.png", "gray4.png", "gray8.png", "gray8_trns.png", "graya8.png", "rgb8.png",
      "rgba8.png", "palette1.png", "palette4.png", "palette8.png", "palette8_trns.png",
      "rgb8_interlaced.png", "rgb8_gamma1.png",
    ]
    for fixture in try pngFixtures(names) {
      let decoded = try ImageFile.decode(contentsOf: fixture.url)
      XCTAssertEqual(decoded.shape, [3, fixture.height, fixture.width], fixture.image)
      assertAllClose(
        decoded, try fixture.expectedTensor(), absoluteTolerance: 0, relativeTolerance: 0,
        "\(fixture.image): \(fixture.description)")
    }
  }

  func testEveryPNGFixtureInTheManifestIsCoveredAbove() throws {
    let covered: Set<String> = [
      "gray1.png", "gray4.png", "gray8.png", "gray8_trns.png", "graya8.png", "rgb8.png",
      "rgba8.png", "palette1.png", "palette4.png", "palette8.png", "palette8_trns.png",
      "rgb8_interlaced.png", "rgb8_gamma1.png", "gray16.png", "rgb16.png", "rgb16_gamma.png",
      "graya16.png", "rgba16.png",
    ]
    let manifest = Set(try ImageFixture.all().filter { $0.format == "png" }.map(\.image))
    XCTAssertEqual(manifest, covered)
  }

  func testSixteenBitPNGsKeepAllSixteenBitsAndApplyNoGamma() throws {
    for fixture in try pngFixtures(["gray16.png", "rgb16.png", "rgb16_gamma.png"]) {
      let decoded = try ImageFile.decode(contentsOf: fixture.url)
      assertAllClose(
        decoded, try fixture.expectedTensor(), absoluteTolerance: 0, relativeTolerance: 0,
        "\(fixture.image): \(fixture.description)")
      // Not merely 8-bit values: some sample lies far from every multiple of 1/255.
      let offGrid = decoded.scalars.map { abs($0 * 255 - ($0 * 255).rounded()) }.max() ?? 0
      XCTAssertGreaterThan(offGrid, 0.1, "\(fixture.image) lost its low byte")
    }
  }

  func testSixteenBitFileEqualsItsEightBitVersionWhenSamplesAreMultiplesOf257() throws {
    // The libpng pitfall: asked for 8-bit output, the simplified API would brighten this file.
    var generator = SeededGenerator(seed: 7)
    let levels = (0..<(3 * 5 * 6)).map { _ in
      Float(Int.random(in: 0...255, using: &generator)) / 255
    }
    let image = Tensor(shape: [3, 5, 6], scalars: levels)
    let eight = try ImageFile.decode(ImageFile.encode(image, as: .png(bitDepth: .eight)))
    let sixteen = try ImageFile.decode(ImageFile.encode(image, as: .png(bitDepth: .sixteen)))
    assertAllClose(sixteen, eight, absoluteTolerance: 0, relativeTolerance: 0)
    assertAllClose(eight, image, absoluteTolerance: 0, relativeTolerance: 0)
  }

  func testSixteenBitAlphaCompositesOverWhiteWithinOneSixteenBitStep() throws {
    for fixture in try pngFixtures(["graya16.png", "rgba16.png"]) {
      let decoded = try ImageFile.decode(contentsOf: fixture.url)
      assertAllClose(
        decoded, try fixture.expectedTensor(), absoluteTolerance: 1.0 / 65535,
        relativeTolerance: 0, fixture.image)
    }
  }

  func testDropPolicyReturnsTheStoredColourOfEightBitAlphaImages() throws {
    for fixture in try pngFixtures([
      "graya8.png", "rgba8.png", "palette8_trns.png", "gray8_trns.png",
    ]) {
      let decoded = try ImageFile.decode(
        contentsOf: fixture.url, options: ImageDecodingOptions(alpha: .drop))
      let rgba = try fixture.expectedRGBATensor()
      assertAllClose(
        decoded, rgba.sliced(axis: 0, 0..<3), absoluteTolerance: 0, relativeTolerance: 0,
        fixture.image)
    }
  }

  func testKeepPolicyReturnsStraightRGBAAndOpaqueAlphaForImagesWithoutAlpha() throws {
    let names = ["graya8.png", "rgba8.png", "palette8_trns.png", "gray8_trns.png", "rgb8.png"]
    for fixture in try pngFixtures(names) {
      let decoded = try ImageFile.decode(
        contentsOf: fixture.url, options: ImageDecodingOptions(alpha: .keep))
      XCTAssertEqual(decoded.shape, [4, fixture.height, fixture.width])
      assertAllClose(
        decoded, try fixture.expectedRGBATensor(), absoluteTolerance: 0, relativeTolerance: 0,
        fixture.image)
    }
  }

  func testCompositeOverACustomBackgroundIsAlphaTimesColourPlusRestTimesBackground() throws {
    let fixture = try ImageFixture.named("rgba8.png")
    let background = RGBColor(red: 0.2, green: 0.4, blue: 0.6)
    let decoded = try ImageFile.decode(
      contentsOf: fixture.url, options: ImageDecodingOptions(alpha: .composite(over: background)))
    let rgba = try fixture.expectedRGBATensor().scalars
    let plane = fixture.width * fixture.height
    let backgrounds = [background.red, background.green, background.blue]
    let expected = (0..<3 * plane).map { i -> Float in
      let a = rgba[3 * plane + i % plane]
      return rgba[i] * a + backgrounds[i / plane] * (1 - a)
    }
    assertAllClose(decoded, Tensor(shape: [3, fixture.height, fixture.width], scalars: expected))
    // Where alpha is 0 the background shows; where it is 1 the colour does (fixture pixels
    // (0,1) and (1,0)).
    XCTAssertEqual(decoded[2, 0, 1], 0.6)
    XCTAssertEqual(decoded[0, 1, 0], rgba[0 * plane + 1 * fixture.width + 0])
  }

  func testSixteenBitStraightColourIsRecoveredWithinHalfAStepOverAlpha() throws {
    for fixture in try pngFixtures(["graya16.png", "rgba16.png"]) {
      let decoded = try ImageFile.decode(
        contentsOf: fixture.url, options: ImageDecodingOptions(alpha: .keep)
      ).scalars
      let golden = try fixture.expectedRGBATensor().scalars
      let plane = fixture.width * fixture.height
      var sawTransparent = false
      for pixel in 0..<plane {
        let alpha = golden[3 * plane + pixel]
        XCTAssertEqual(decoded[3 * plane + pixel], alpha, "alpha of pixel \(pixel)")
        for c in 0..<3 {
          let value = decoded[c * plane + pixel]
          if alpha == 0 {
            // libpng's 16-bit output is premultiplied: colour under zero alpha is gone.
            XCTAssertEqual(value, 0)
            sawTransparent = true
          } else {
            let bound = 0.5 / (alpha * 65535) + 1e-6
            XCTAssertLessThanOrEqual(
              abs(value - golden[c * plane + pixel]), bound,
              "\(fixture.image) channel \(c) pixel \(pixel) alpha \(alpha)")
          }
        }
      }
      XCTAssertTrue(sawTransparent, "the fixture should hold a fully transparent pixel")
    }
  }

  // MARK: Bad PNG data

  private func rgb8Bytes() throws -> [UInt8] {
    [UInt8](try Data(contentsOf: try ImageFixture.named("rgb8.png").url))
  }

  func testCorruptedIDATCRCIsAnError() throws {
    var bytes = try rgb8Bytes()
    let idat = try XCTUnwrap(pngChunkOffsets(bytes).first { $0.type == "IDAT" })
    bytes[idat.offset + 8 + idat.length] ^= 0x01  // first CRC byte
    let error = assertThrowsImageError(try ImageFile.decode(Data(bytes), named: "bad-idat.png")) {
      if case .corruptData("bad-idat.png", .png, _) = $0 { return true } else { return false }
    }
    XCTAssertTrue(error?.description.contains("CRC") ?? false, "\(String(describing: error))")
  }

  func testCorruptedIHDRCRCIsAnError() throws {
    var bytes = try rgb8Bytes()
    bytes[8 + 8 + 13] ^= 0x80  // first byte of IHDR's CRC
    assertThrowsImageError(try ImageFile.decode(Data(bytes), named: "bad-ihdr.png")) {
      if case .corruptData("bad-ihdr.png", .png, _) = $0 { return true } else { return false }
    }
    assertThrowsImageError(try ImageFile.info(of: Data(bytes), named: "bad-ihdr.png")) {
      if case .corruptData("bad-ihdr.png", .png, _) = $0 { return true } else { return false }
    }
  }

  func testCorruptedCompressedDataWithValidCRCIsAnError() throws {
    var bytes = try rgb8Bytes()
    let idat = try XCTUnwrap(pngChunkOffsets(bytes).first { $0.type == "IDAT" })
    var data = Array(bytes[idat.offset + 8..<idat.offset + 8 + idat.length])
    data[0] = 0xFF  // no longer a zlib header
    bytes.replaceSubrange(
      idat.offset..<idat.offset + 12 + idat.length, with: pngChunk("IDAT", data))
    assertThrowsImageError(try ImageFile.decode(Data(bytes), named: "bad-zlib.png")) {
      if case .corruptData("bad-zlib.png", .png, _) = $0 { return true } else { return false }
    }
  }

  func testAncillaryChunkWithBadCRCIsSkippedAndTheImageStillDecodes() throws {
    var bytes = try rgb8Bytes()
    var text = pngChunk("tEXt", Array("Comment\u{0}hello".utf8))
    text[text.count - 1] ^= 0xFF
    bytes.insert(contentsOf: text, at: 8 + 25)  // after IHDR
    let decoded = try ImageFile.decode(Data(bytes))
    assertAllClose(decoded, try ImageFixture.named("rgb8.png").expectedTensor())
  }

  func testEveryTruncationOfAPNGIsATypedError() throws {
    let bytes = try rgb8Bytes()
    for length in 1..<bytes.count {
      assertThrowsImageError(
        try ImageFile.decode(Data(bytes.prefix(length)), named: "cut-\(length).png")
      ) { error in
        if case .truncated("cut-\(length).png", .png) = error { return true }
        return false
      }
    }
  }

  func testZeroWidthHeaderIsAnEmptyImageError() throws {
    let header = bigEndian(0) + bigEndian(4) + [8, 2, 0, 0, 0]
    let bytes =
      [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + pngChunk("IHDR", header)
      + pngChunk("IDAT", []) + pngChunk("IEND", [])
    assertThrows(
      .emptyImage(file: "zero.png", width: 0, height: 4),
      try ImageFile.decode(Data(bytes), named: "zero.png"))
  }

  func testAbsurdlyLargeHeaderIsRefusedBeforeAllocating() throws {
    // 100,000 × 100,000 RGBA would need 160 GB as Float; the header alone is refused.
    let header = bigEndian(100_000) + bigEndian(100_000) + [8, 6, 0, 0, 0]
    var bytes = Array(try rgb8Bytes())
    bytes.replaceSubrange(8..<33, with: pngChunk("IHDR", header))
    assertThrows(
      .tooManyPixels(file: "huge.png", width: 100_000, height: 100_000, limit: 100_000_000),
      try ImageFile.decode(Data(bytes), named: "huge.png"))
    // The header is still readable.
    let info = try ImageFile.info(of: Data(bytes), named: "huge.png")
    XCTAssertEqual([info.width, info.height], [100_000, 100_000])
  }

  func testPixelLimitIsConfigurable() throws {
    let url = try ImageFixture.named("rgb8.png").url  // 5 × 4 = 20 pixels
    assertThrows(
      .tooManyPixels(file: url.path, width: 5, height: 4, limit: 19),
      try ImageFile.decode(contentsOf: url, options: ImageDecodingOptions(maximumPixelCount: 19)))
    XCTAssertNoThrow(
      try ImageFile.decode(contentsOf: url, options: ImageDecodingOptions(maximumPixelCount: 20)))
  }

  func testInvalidBitDepthForColourTypeIsCorrupt() throws {
    let header = bigEndian(5) + bigEndian(4) + [4, 2, 0, 0, 0]  // RGB cannot have 4 bits
    var bytes = try rgb8Bytes()
    bytes.replaceSubrange(8..<33, with: pngChunk("IHDR", header))
    let error = assertThrowsImageError(try ImageFile.decode(Data(bytes), named: "depth.png")) {
      if case .corruptData("depth.png", .png, _) = $0 { return true } else { return false }
    }
    XCTAssertTrue(error?.description.contains("bit depth 4") ?? false)
  }
}
