import Tensor
import TestSupport
import XCTest

@testable import Imaging

final class PixelLayoutTests: XCTestCase {
  func testInterleavedGrayAlphaBecomesPlanarUnderEachPolicy() {
    // Two pixels: (gray 255, alpha 0) and (gray 51, alpha 255).
    let samples: [UInt8] = [255, 0, 51, 255]
    let layout = PixelLayout.Interleaved(channels: 2, maximum: 255, premultiplied: false)
    func decode(_ policy: AlphaPolicy) -> [Float] {
      samples.withUnsafeBufferPointer {
        PixelLayout.planarTensor(from: $0, width: 2, height: 1, layout: layout, alpha: policy)
          .scalars
      }
    }
    let g: Float = 51.0 / 255
    XCTAssertEqual(decode(.drop), [1, g, 1, g, 1, g])
    XCTAssertEqual(decode(.keep), [1, g, 1, g, 1, g, 0, 1])
    XCTAssertEqual(decode(.default), [1, g, 1, g, 1, g])
    XCTAssertEqual(
      decode(.composite(over: RGBColor(red: 0.25, green: 0.5, blue: 0))), [0.25, g, 0.5, g, 0, g])
  }

  func testPremultipliedSixteenBitColourIsDividedBackByAlpha() {
    // RGBA, colour 40000 at alpha 32768 premultiplied: 40000 · 32768 / 65535 ≈ 20000.3 → 20000.
    let samples: [UInt16] = [20000, 0, 65535, 32768]
    let layout = PixelLayout.Interleaved(channels: 4, maximum: 65535, premultiplied: true)
    let kept = samples.withUnsafeBufferPointer {
      PixelLayout.planarTensor(from: $0, width: 1, height: 1, layout: layout, alpha: .keep).scalars
    }
    XCTAssertEqual(kept[0], 20000 / 32768, accuracy: 1e-7)
    XCTAssertEqual(kept[1], 0)
    XCTAssertEqual(kept[2], 1)  // clipped: premultiplied colour above alpha
    XCTAssertEqual(kept[3], 32768 / 65535)
    let composited = samples.withUnsafeBufferPointer {
      PixelLayout.planarTensor(from: $0, width: 1, height: 1, layout: layout, alpha: .default)
        .scalars
    }
    XCTAssertEqual(composited[0], 20000 / 65535 + (1 - 32768 / 65535), accuracy: 1e-7)
  }

  func testQuantisationClampsRoundsHalfUpAndInterleaves() throws {
    // [2 channels, 1 row, 3 columns]
    let image = Tensor(shape: [2, 1, 3], scalars: [0.5, -1, 2, 1.5 / 255, 0.499 / 255, 1])
    let samples = try PixelLayout.interleavedSamples(of: image, as: UInt8.self, file: "f")
    XCTAssertEqual(samples, [128, 2, 0, 0, 255, 255])
  }

  func testPremultiplyingRoundsToNearest() throws {
    let image = Tensor(shape: [4, 1, 1], scalars: [1, 0.5, 0, 0.5])
    let samples = try PixelLayout.interleavedSamples(
      of: image, as: UInt16.self, premultiplyingAlpha: true, file: "f")
    // alpha 32768; 65535 · 32768 / 65535 = 32768; 32768 · 32768 / 65535 = 16384.25 → 16384.
    XCTAssertEqual(samples, [32768, 16384, 0, 32768])
  }
}
