import Foundation
import TestSupport
import XCTest

@testable import Tensor

/// One pooling case written by Tools/make_convolution_fixtures.py (JAX, float64).
struct PoolingFixture: Decodable {
  let name: String
  let operation: String
  let kernel: [Int]
  let stride: [Int]
  let padding: [Int]
  let ceilMode: Bool
  let countIncludePad: Bool
  let input: FixtureTensor
  let output: FixtureTensor
  let outputGradient: FixtureTensor
  let inputGradient: FixtureTensor

  var configuration: Pooling2DConfiguration {
    Pooling2DConfiguration(
      kernelSize: (kernel[0], kernel[1]), stride: (stride[0], stride[1]),
      padding: .explicit(top: padding[0], bottom: padding[1], left: padding[2], right: padding[3]),
      ceilMode: ceilMode)
  }

  static func load(_ name: String) throws -> PoolingFixture {
    let data = try Data(contentsOf: fixtureURL("Convolution/\(name).json"))
    return try JSONDecoder().decode(PoolingFixture.self, from: data)
  }
}

/// Pooling windows written as plain loops in Double (the reference for the C kernels).
enum ReferencePooling {
  /// Calls `body(outputIndex, inputIndices, paddedArea)` for each window; `inputIndices` are the
  /// real elements in row-major window order, `paddedArea` the window clipped to the padded
  /// input.
  static func forEachWindow(
    inputShape: [Int], _ c: Pooling2DConfiguration, _ body: (Int, [Int], Int) -> Void
  ) -> [Int] {
    let out = c.outputShape(inputShape: inputShape)
    let (h, w) = (inputShape[2], inputShape[3])
    guard case .explicit(let top, let bottom, let left, let right) = c.padding else {
      fatalError("The reference takes explicit padding.")
    }
    for plane in 0..<(inputShape[0] * inputShape[1]) {
      for i in 0..<out[2] {
        for j in 0..<out[3] {
          let r0 = i * c.stride.height - top
          let c0 = j * c.stride.width - left
          var indices: [Int] = []
          for r in r0..<(r0 + c.kernelSize.height) where r >= 0 && r < h {
            for q in c0..<(c0 + c.kernelSize.width) where q >= 0 && q < w {
              indices.append((plane * h + r) * w + q)
            }
          }
          let area =
            (min(r0 + c.kernelSize.height, h + bottom) - r0)
            * (min(c0 + c.kernelSize.width, w + right) - c0)
          body((plane * out[2] + i) * out[3] + j, indices, area)
        }
      }
    }
    return out
  }
}

final class Pooling2DConfigurationTests: XCTestCase {
  func testFloorModeDropsThePartialWindow() {
    let configuration = Pooling2DConfiguration(kernelSize: 3, stride: 2)
    XCTAssertEqual(configuration.outputShape(inputShape: [1, 1, 8, 7]), [1, 1, 3, 3])
  }

  func testCeilModeKeepsThePartialWindow() {
    let configuration = Pooling2DConfiguration(kernelSize: 3, stride: 2, ceilMode: true)
    XCTAssertEqual(configuration.outputShape(inputShape: [1, 1, 8, 7]), [1, 1, 4, 3])
  }

  func testCeilModeDropsAWindowThatWouldStartInTheTrailingPadding() {
    // PyTorch: MaxPool2d(2, 2, padding=1, ceil_mode=True) maps 5 → 3, not ⌈5/2⌉ + 1 = 4.
    let configuration = Pooling2DConfiguration(
      kernelSize: 2, stride: 2, padding: .symmetric(1), ceilMode: true)
    XCTAssertEqual(configuration.outputShape(inputShape: [2, 3, 5, 6]), [2, 3, 3, 4])
  }

  func testStrideDefaultsToTheKernelSize() {
    let configuration = Pooling2DConfiguration(kernelSize: (2, 3))
    XCTAssertTrue(configuration.stride == (2, 3))
    XCTAssertEqual(configuration, Pooling2DConfiguration(kernelSize: (2, 3), stride: (2, 3)))
  }
}
