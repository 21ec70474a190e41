import Models
import Tensor
import TestSupport
import XCTest

final class FoldedConvolutionTests: XCTestCase {
  /// A batch norm with non-trivial statistics, so that folding changes the weights.
  private func batchNorm(channels: Int, seed: UInt64) -> BatchNorm2D {
    var rng = SeededGenerator(seed: seed)
    return BatchNorm2D(
      weight: Tensor.uniform([channels], low: 0.5, high: 2, using: &rng),
      bias: Tensor.normal([channels], using: &rng),
      runningMean: Tensor.normal([channels], using: &rng),
      runningVariance: Tensor.uniform([channels], low: 0.2, high: 3, using: &rng),
      epsilon: 1e-3)
  }

  private func unit(
    weight: [Int], bias: Bool = false, stride: Int = 1, groups: Int = 1,
    activation: FoldedConvolution.Activation, seed: UInt64
  ) -> FoldedConvolution {
    let conv = Conv2D(
      weight: layerTestNormal(weight, seed: seed),
      bias: bias ? layerTestNormal([weight[0]], seed: seed + 1) : nil,
      configuration: Convolution2DConfiguration(stride: stride, padding: .same, groups: groups))
    return FoldedConvolution(
      conv, named: "_depthwise_conv", batchNorm(channels: weight[0], seed: seed + 2),
      named: "_bn1", activation: activation)
  }

  func testOutputEqualsConvolutionThenBatchNormThenReLU6() {
    let folded = unit(weight: [6, 1, 5, 5], stride: 2, groups: 6, activation: .relu6, seed: 1)
    let x = layerTestNormal([2, 6, 9, 8], seed: 4) * 3

    let y = folded(x)

    let reference = ReLU6()(folded.batchNorm(folded.convolution(x)))
    assertAllClose(y, reference, absoluteTolerance: 1e-5, relativeTolerance: 1e-5)
    XCTAssertEqual(y.shape, [2, 6, 5, 4])
    XCTAssertTrue(y.scalars.contains(0) && y.scalars.contains(6), "both kinks are exercised")
  }

  func testIdentityActivationLeavesTheBatchNormOutput() {
    let folded = unit(weight: [4, 3, 1, 1], bias: true, activation: .identity, seed: 5)
    let x = layerTestNormal([1, 3, 4, 5], seed: 8) * 4

    assertAllClose(
      folded(x), folded.batchNorm(folded.convolution(x)), absoluteTolerance: 1e-5,
      relativeTolerance: 1e-5)
  }

  func testParametersAreNamedAfterTheTwoModulesInStateDictOrder() {
    let folded = unit(weight: [4, 3, 1, 1], bias: true, activation: .identity, seed: 9)

    XCTAssertEqual(
      layerParameterNames(folded),
      [
        "_depthwise_conv.weight", "_depthwise_conv.bias", "_bn1.weight", "_bn1.bias",
        "_bn1.running_mean", "_bn1.running_var",
      ])
  }

  func testUpdatingParametersRefoldsTheConvolution() {
    var folded = unit(weight: [3, 2, 3, 3], activation: .identity, seed: 12)
    let x = layerTestNormal([1, 2, 5, 5], seed: 15)

    folded.updateParameters { name, _, tensor in
      if name == "_bn1.running_mean" { tensor = tensor + 1 }
      if name == "_depthwise_conv.weight" { tensor = tensor * 2 }
    }

    assertAllClose(
      folded(x), folded.batchNorm(folded.convolution(x)), absoluteTolerance: 1e-5,
      relativeTolerance: 1e-5)
    var changed = folded
    changed.batchNorm.bias = changed.batchNorm.bias + 3
    assertAllClose(changed(x), folded(x) + 3, absoluteTolerance: 1e-5)
  }

  func testDepthwiseReLU6GradientsMatchFiniteDifferencesOfTheUnfoldedParameters() {
    let folded = unit(weight: [4, 1, 3, 3], stride: 2, groups: 4, activation: .relu6, seed: 16)
    let x = layerTestNormal([2, 4, 7, 6], seed: 19)

    assertLayerGradientsMatchFiniteDifferences(folded, at: x, step: 1e-3)
  }

  func testDenseConvolutionWithBiasGradientsMatchFiniteDifferences() {
    let folded = unit(weight: [5, 3, 3, 3], bias: true, stride: 1, activation: .identity, seed: 20)
    let x = layerTestNormal([2, 3, 5, 6], seed: 23)

    assertLayerGradientsMatchFiniteDifferences(folded, at: x)
  }

  func testPointwiseReLU6GradientsMatchFiniteDifferences() {
    let folded = unit(weight: [6, 4, 1, 1], activation: .relu6, seed: 24)
    let x = layerTestNormal([1, 4, 5, 5], seed: 27) * 2

    assertLayerGradientsMatchFiniteDifferences(folded, at: x, step: 1e-3)
  }

  func testInputGradientOnlyWhenParameterGradientsAreNotRequested() {
    let folded = unit(weight: [4, 1, 3, 3], groups: 4, activation: .relu6, seed: 28)
    let x = layerTestNormal([1, 4, 6, 6], seed: 31)
    let w = layerTestNormal([1, 4, 6, 6], seed: 32)

    let full = folded.forward(x, context: ForwardContext()).pullback(w)
    let inputOnly = folded.forward(x, context: ForwardContext(computesParameterGradients: false))
      .pullback(w)

    XCTAssertEqual(inputOnly.input, full.input)
    XCTAssertTrue(inputOnly.parameters.isEmpty)
    XCTAssertEqual(full.parameters.names.count, 3)
  }
}
