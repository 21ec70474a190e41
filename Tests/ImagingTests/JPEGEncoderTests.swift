import Foundation
import Imaging
import Tensor
import TestSupport
import XCTest

final class JPEGEncoderTests: XCTestCase {
  /// A smooth colour image (JPEG's easy case): gradients plus a soft blob, `[3, 24, 32]`.
  private func smoothImage() -> Tensor {
    let (height, width) = (24, 32)
    var scalars = [Float]()
    for c in 0..<3 {
      for y in 0..<height {
        for x in 0..<width {
          let u = Float(x) / Float(width - 1)
          let v = Float(y) / Float(height - 1)
          let blob = exp(-((u - 0.5) * (u - 0.5) + (v - 0.4) * (v - 0.4)) * 8)
          scalars.append([u, v, blob][c] * 0.8 + 0.1)
        }
      }
    }
    return Tensor(shape: [3, height, width], scalars: scalars)
  }

  private func meanAbsoluteDifference(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.scalars, b.scalars).map { abs($0 - $1) }.reduce(0, +) / Float(a.count)
  }

  func testHighQualityRoundTripStaysWithinAFewLevelsOfTheInput() throws {
    let image = smoothImage()
    let decoded = try ImageFile.decode(
      ImageFile.encode(image, as: .jpeg(quality: 95, chromaSubsampling: .s444)))
    XCTAssertEqual(decoded.shape, image.shape)
    let worst = maximumDifference(decoded, image)
    let mean = meanAbsoluteDifference(decoded, image)
    print("JPEG q95 4:4:4 round trip: max \(worst * 255)/255, mean \(mean * 255)/255")
    // Measured: max 5.1 / 255, mean 0.87 / 255 (8-bit rounding, YCbCr rounding and the DCT).
    XCTAssertLessThan(worst, 8 / 255)
    XCTAssertLessThan(mean, 1.5 / 255)
  }

  func testLowerQualityGivesSmallerFilesAndLargerErrors() throws {
    let image = smoothImage()
    let high = try ImageFile.encode(image, as: .jpeg(quality: 95))
    let low = try ImageFile.encode(image, as: .jpeg(quality: 20))
    XCTAssertLessThan(low.count, high.count)
    let highError = meanAbsoluteDifference(try ImageFile.decode(high), image)
    let lowError = meanAbsoluteDifference(try ImageFile.decode(low), image)
    XCTAssertLessThan(highError, lowError)
  }

  func testOneChannelImageBecomesAGrayscaleJPEG() throws {
    let gray = smoothImage().sliced(axis: 0, 2..<3)
    let data = try ImageFile.encode(gray, as: .jpeg(quality: 90))
    XCTAssertEqual(
      try ImageFile.info(of: data),
      ImageInfo(
        width: 32, height: 24, format: .jpeg, colorModel: .gray, bitDepth: 8, hasAlpha: false))
    let decoded = try ImageFile.decode(data)
    for c in 0..<3 {
      XCTAssertLessThan(
        maximumDifference(decoded.selecting(axis: 0, index: c), gray.selecting(axis: 0, index: 0)),
        4 / 255)
    }
  }

  func testEncodedJPEGStartsWithSOIAndEndsWithEOI() throws {
    let bytes = [UInt8](try ImageFile.encode(smoothImage(), as: .jpeg()))
    XCTAssertEqual(Array(bytes.prefix(3)), [0xFF, 0xD8, 0xFF])
    XCTAssertEqual(Array(bytes.suffix(2)), [0xFF, 0xD9])
  }

  func testNaNIsATypedErrorNamingItsPosition() {
    var image = smoothImage()
    image[0, 5, 6] = .nan
    assertThrows(
      .notANumber(file: "out.jpg", channel: 0, y: 5, x: 6),
      try ImageFile.encode(image, as: .jpeg(), named: "out.jpg"))
  }

  func testSidesAboveJPEGsLimitAreAnEncodingError() throws {
    let wide = Tensor(shape: [1, 1, 65536], repeating: 0.5)
    assertThrowsImageError(try ImageFile.encode(wide, as: .jpeg(), named: "wide.jpg")) {
      if case .encodingFailed("wide.jpg", .jpeg, _) = $0 { return true } else { return false }
    }
  }
}
