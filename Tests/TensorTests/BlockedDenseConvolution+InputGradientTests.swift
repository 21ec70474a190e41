import Tensor
import TestSupport
import XCTest

final class BlockedDenseConvolutionInputGradientTests: XCTestCase {
  func testInputGradientEqualsThePlanarOneOnTheStemAndOddShapes() {
    var rng = SeededGenerator(seed: 31)
    // (C, O, H, W, kernel, stride, padding)
    let cases: [(Int, Int, Int, Int, Int, Int, ConvolutionPadding)] = [
      (3, 32, 224, 224, 3, 2, .same), (3, 5, 9, 11, 3, 2, .same), (1, 40, 7, 6, 3, 1, .symmetric(1)),
      (2, 17, 5, 8, 5, 2, .same),
    ]
    for (channels, outputs, height, width, kernel, stride, padding) in cases {
      // Arrange
      let configuration = Convolution2DConfiguration(stride: stride, padding: padding)
      let weight = Tensor.uniform([outputs, channels, kernel, kernel], low: -1, high: 1, using: &rng)
      let convolution = BlockedDenseConvolution(
        weight: weight, bias: nil, configuration: configuration, inputHeight: height,
        inputWidth: width)
      let outputShape = [1, outputs, convolution.outputHeight, convolution.outputWidth]
      let outputGradient = Tensor.uniform(outputShape, low: -1, high: 1, using: &rng)
      // Act
      let blocked = ChannelBlocks.blocked(outputGradient)
      let gradient = blocked.withUnsafeBufferPointer { dy in
        Tensor(shape: [1, channels, height, width]) { dx in
          convolution.applyInputGradient(dy.baseAddress!, inputGradient: dx.baseAddress!)
        }
      }
      // Assert
      let expected = Tensor.convolution2DInputGradient(
        outputGradient, weight: weight, inputShape: [1, channels, height, width],
        configuration: configuration)
      assertAllClose(
        gradient, expected, absoluteTolerance: 1e-5 * Float(outputs * kernel * kernel),
        relativeTolerance: 1e-5, "\(channels)→\(outputs) \(height)×\(width) k\(kernel) s\(stride)")
    }
  }
}
