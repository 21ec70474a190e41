import Models
import Tensor
import TestSupport
import XCTest

final class Conv2DBatchNormFoldingTests: XCTestCase {
  private func batchNorm(channels: Int, seed: UInt64, epsilon: Float) -> BatchNorm2D {
    var rng = SeededGenerator(seed: seed)
    return BatchNorm2D(
      weight: Tensor.uniform([channels], low: 0.5, high: 2, using: &rng),
      bias: Tensor.normal([channels], using: &rng),
      runningMean: Tensor.normal([channels], using: &rng),
      runningVariance: Tensor.uniform([channels], low: 0.2, high: 3, using: &rng),
      epsilon: epsilon)
  }

  func testFoldedConvolutionEqualsConvolutionThenBatchNorm() {
    let conv = Conv2D(
      weight: layerTestNormal([5, 3, 3, 3], seed: 1), bias: layerTestNormal([5], seed: 2),
      configuration: Convolution2DConfiguration(stride: 2, padding: .same))
    let bn = batchNorm(channels: 5, seed: 3, epsilon: 1e-3)
    let x = layerTestNormal([2, 3, 9, 7], seed: 4)

    let folded = conv.folding(bn)

    assertAllClose(folded(x), bn(conv(x)), absoluteTolerance: 1e-5, relativeTolerance: 1e-5)
    XCTAssertEqual(folded.configuration, conv.configuration)
  }

  func testFoldingABiaslessDepthwiseConvolutionAddsTheShiftAsBias() {
    let conv = Conv2D(
      weight: layerTestNormal([4, 1, 3, 3], seed: 5), bias: nil,
      configuration: Convolution2DConfiguration(stride: 1, padding: .symmetric(1), groups: 4))
    let bn = batchNorm(channels: 4, seed: 6, epsilon: 1e-5)
    let x = layerTestNormal([1, 4, 5, 6], seed: 7)

    let folded = conv.folding(bn)

    XCTAssertNotNil(folded.bias)
    assertAllClose(folded(x), bn(conv(x)), absoluteTolerance: 1e-5, relativeTolerance: 1e-5)
    let (_, shift) = bn.affineCoefficients()
    assertAllClose(folded.bias ?? Tensor(zeros: [4]), shift)
  }
}
