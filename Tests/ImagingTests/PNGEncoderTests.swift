import Foundation
import Imaging
import Tensor
import TestSupport
import XCTest

final class PNGEncoderTests: XCTestCase {
  private func randomImage(channels: Int, height: Int = 6, width: Int = 7, seed: UInt64) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    let count = channels * height * width
    return Tensor(
      shape: [channels, height, width],
      scalars: (0..<count).map { _ in Float.random(in: 0...1, using: &generator) })
  }

  /// `⌊clamp(v, 0, 1) · maximum + ½⌋ / maximum`, the documented quantisation, in Double.
  private func quantised(_ image: Tensor, maximum: Double) -> Tensor {
    Tensor(
      shape: image.shape,
      scalars: image.scalars.map {
        Float((Double(min(max($0, 0), 1)) * maximum + 0.5).rounded(.down)) / Float(maximum)
      })
  }

  func testEightBitRGBRoundTripEqualsTheInputQuantisedToEightBits() throws {
    let image = randomImage(channels: 3, seed: 1)
    let decoded = try ImageFile.decode(ImageFile.encode(image, as: .png()))
    assertAllClose(
      decoded, quantised(image, maximum: 255), absoluteTolerance: 0, relativeTolerance: 0)
  }

  func testSixteenBitRGBRoundTripEqualsTheInputQuantisedToSixteenBits() throws {
    let image = randomImage(channels: 3, seed: 2)
    let decoded = try ImageFile.decode(ImageFile.encode(image, as: .png(bitDepth: .sixteen)))
    let expected = quantised(image, maximum: 65535)
    assertAllClose(decoded, expected, absoluteTolerance: 0, relativeTolerance: 0)
    XCTAssertGreaterThan(maximumDifference(expected, quantised(image, maximum: 255)), 1e-4)
  }

  func testGrayImageRoundTripsAsAGrayPNGReplicatedIntoThreeChannels() throws {
    for depth in [PNGBitDepth.eight, .sixteen] {
      let gray = randomImage(channels: 1, seed: 3)
      let data = try ImageFile.encode(gray, as: .png(bitDepth: depth))
      let info = try ImageFile.info(of: data)
      XCTAssertEqual(info.colorModel, .gray)
      XCTAssertEqual(info.bitDepth, depth.rawValue)
      let decoded = try ImageFile.decode(data)
      let expected = quantised(gray, maximum: depth == .eight ? 255 : 65535)
      for c in 0..<3 {
        assertAllClose(
          decoded.selecting(axis: 0, index: c), expected.selecting(axis: 0, index: 0),
          absoluteTolerance: 0, relativeTolerance: 0, "channel \(c), \(depth)")
      }
    }
  }

  func testEightBitRGBARoundTripKeepsAlphaAndTheColourUnderZeroAlpha() throws {
    var image = randomImage(channels: 4, seed: 4)
    image[3, 0, 0] = 0
    image[3, 1, 1] = 1
    let data = try ImageFile.encode(image, as: .png())
    XCTAssertEqual(try ImageFile.info(of: data).hasAlpha, true)
    let decoded = try ImageFile.decode(data, options: ImageDecodingOptions(alpha: .keep))
    assertAllClose(
      decoded, quantised(image, maximum: 255), absoluteTolerance: 0, relativeTolerance: 0)
  }

  func testSixteenBitRGBARoundTripIsExactForOpaqueAndCloseElsewhere() throws {
    var image = randomImage(channels: 4, seed: 5)
    image[3, 0, 0] = 1
    image[3, 0, 1] = 0
    let decoded = try ImageFile.decode(
      ImageFile.encode(image, as: .png(bitDepth: .sixteen)),
      options: ImageDecodingOptions(alpha: .keep))
    let expected = quantised(image, maximum: 65535)
    assertAllClose(
      decoded.selecting(axis: 0, index: 3), expected.selecting(axis: 0, index: 3),
      absoluteTolerance: 0, relativeTolerance: 0, "alpha")
    for c in 0..<3 {
      XCTAssertEqual(decoded[c, 0, 0], expected[c, 0, 0], "opaque pixel, channel \(c)")
      XCTAssertEqual(decoded[c, 0, 1], 0, "colour under zero alpha is lost in 16-bit RGBA")
      for y in 0..<6 {
        for x in 0..<7 where expected[3, y, x] > 0 {
          // Premultiplied on write and on read: each rounding costs ≤ ½ step, scaled by 1/α.
          let bound = 1.5 / (expected[3, y, x] * 65535) + 1e-6
          XCTAssertLessThanOrEqual(abs(decoded[c, y, x] - expected[c, y, x]), bound)
        }
      }
    }
  }

  func testValuesAreClampedThenRoundedHalfUp() throws {
    let values: [Float] = [
      -0.5, -.infinity, 0, 0.4 / 255, 0.6 / 255, 0.5, 1, 1.5, .infinity, 254.4 / 255,
    ]
    let image = Tensor(shape: [1, 1, values.count], scalars: values)
    let decoded = try ImageFile.decode(ImageFile.encode(image, as: .png()))
    let levels = decoded.selecting(axis: 0, index: 0).scalars.map { Int(($0 * 255).rounded()) }
    // 0.5 · 255 = 127.5 exactly: half up gives 128.
    XCTAssertEqual(levels, [0, 0, 0, 0, 1, 128, 255, 255, 255, 254])
    let sixteen = try ImageFile.decode(
      ImageFile.encode(Tensor(shape: [1, 1, 1], scalars: [0.5]), as: .png(bitDepth: .sixteen)))
    XCTAssertEqual(sixteen[0, 0, 0], 32768 / 65535)
  }

  func testNaNIsATypedErrorNamingItsPosition() {
    var image = Tensor(shape: [3, 4, 5], repeating: 0.5)
    image[1, 2, 3] = .nan
    image[2, 3, 4] = .nan
    for encoding in [ImageEncoding.png(), .png(bitDepth: .sixteen)] {
      assertThrows(
        .notANumber(file: "out.png", channel: 1, y: 2, x: 3),
        try ImageFile.encode(image, as: encoding, named: "out.png"))
    }
  }

  func testColourTypeAndDepthFollowTheChannelCountAndBitDepth() throws {
    for (channels, colorType) in [(1, 0), (3, 2), (4, 6)] {
      for depth in [PNGBitDepth.eight, .sixteen] {
        let bytes = [UInt8](
          try ImageFile.encode(randomImage(channels: channels, seed: 6), as: .png(bitDepth: depth)))
        XCTAssertEqual(Int(bytes[8 + 8 + 8]), depth.rawValue)
        XCTAssertEqual(Int(bytes[8 + 8 + 9]), colorType)
      }
    }
  }

  func testSixteenBitFilesCarryNoGammaChunkAndEightBitFilesDeclareSRGB() throws {
    let image = randomImage(channels: 3, seed: 8)
    let sixteen = pngChunkOffsets(
      [UInt8](try ImageFile.encode(image, as: .png(bitDepth: .sixteen)))
    )
    .map(\.type)
    XCTAssertFalse(sixteen.contains("gAMA"), "\(sixteen)")
    XCTAssertFalse(sixteen.contains("cHRM"), "\(sixteen)")
    XCTAssertEqual(sixteen.first, "IHDR")
    XCTAssertEqual(sixteen.last, "IEND")
    let eight = pngChunkOffsets([UInt8](try ImageFile.encode(image, as: .png()))).map(\.type)
    XCTAssertTrue(eight.contains("sRGB"), "\(eight)")
  }

  func testStridedViewEncodesLikeItsContiguousCopy() throws {
    let hwc = randomImage(channels: 6, height: 7, width: 5, seed: 9)  // read as [H, W, C]
    let view = hwc.permuted([2, 0, 1]).sliced(axis: 0, 1..<4)  // [3, 6, 7], not contiguous
    XCTAssertFalse(view.isContiguous)
    XCTAssertEqual(
      try ImageFile.encode(view, as: .png()), try ImageFile.encode(view.materialized(), as: .png()))
  }
}
