import Models
import Tensor
import TestSupport
import XCTest

final class Conv2DTests: XCTestCase {
  func testForwardMatchesTextbookConvolutionWithStrideDilationAndAsymmetricPadding() {
    let x = layerTestNormal([2, 3, 7, 6], seed: 1)
    let weight = layerTestNormal([4, 3, 3, 2], seed: 2)
    let bias = layerTestNormal([4], seed: 3)
    let layer = Conv2D(
      weight: weight, bias: bias,
      configuration: Convolution2DConfiguration(
        stride: (2, 1), dilation: (1, 2), padding: .explicit(top: 1, bottom: 0, left: 2, right: 1)))

    let y = layer(x)

    let expected = referenceConvolution(
      x, weight: weight, bias: bias, stride: (2, 1), dilation: (1, 2), padding: (1, 0, 2, 1))
    assertAllClose(y, expected, absoluteTolerance: 1e-5)
  }

  func testGroupedAndDepthwiseForwardMatchTextbookConvolution() {
    let x = layerTestNormal([1, 4, 5, 7], seed: 4)
    for (outputs, groups) in [(6, 2), (4, 4), (8, 4)] {
      let weight = layerTestNormal([outputs, 4 / groups, 3, 3], seed: UInt64(10 + outputs))
      let layer = Conv2D(
        weight: weight, bias: nil,
        configuration: Convolution2DConfiguration(stride: 1, padding: .symmetric(1), groups: groups)
      )

      let y = layer(x)

      let expected = referenceConvolution(
        x, weight: weight, bias: nil, padding: (1, 1, 1, 1), groups: groups)
      assertAllClose(y, expected, absoluteTolerance: 1e-5, "groups \(groups)")
    }
  }

  func testSamePaddingKeepsCeilOfSizeOverStrideWithTheSmallerHalfFirst() {
    // TensorFlow "SAME": total = max((⌈i/s⌉ − 1)·s + k − i, 0), floor(total/2) before.
    let x = layerTestNormal([1, 2, 7, 6], seed: 5)
    let weight = layerTestNormal([3, 2, 3, 3], seed: 6)
    let layer = Conv2D(
      weight: weight, bias: nil,
      configuration: Convolution2DConfiguration(stride: 2, padding: .same))

    let y = layer(x)

    // Height 7: ⌈7/2⌉ = 4, total = 3·2 + 3 − 7 = 2 → (1, 1). Width 6: ⌈6/2⌉ = 3,
    // total = 2·2 + 3 − 6 = 1 → (0, 1).
    XCTAssertEqual(y.shape, [1, 3, 4, 3])
    let expected = referenceConvolution(
      x, weight: weight, bias: nil, stride: (2, 2), padding: (1, 1, 0, 1))
    assertAllClose(y, expected, absoluteTolerance: 1e-5)
  }

  func testInputWeightAndBiasGradientsMatchFiniteDifferences() {
    let layer = Conv2D(
      weight: layerTestNormal([4, 2, 3, 2], seed: 7), bias: layerTestNormal([4], seed: 8),
      configuration: Convolution2DConfiguration(
        stride: (2, 1), dilation: (1, 2), padding: .explicit(top: 1, bottom: 2, left: 1, right: 0),
        groups: 1))
    assertLayerGradientsMatchFiniteDifferences(layer, at: layerTestNormal([2, 2, 5, 6], seed: 9))
  }

  func testGroupedSamePaddedGradientsMatchFiniteDifferences() {
    let grouped = Conv2D(
      weight: layerTestNormal([6, 2, 3, 3], seed: 10), bias: layerTestNormal([6], seed: 11),
      configuration: Convolution2DConfiguration(stride: 2, padding: .same, groups: 2))
    assertLayerGradientsMatchFiniteDifferences(
      grouped, at: layerTestNormal([1, 4, 5, 4], seed: 12))

    let depthwise = Conv2D(
      weight: layerTestNormal([3, 1, 3, 3], seed: 13), bias: nil,
      configuration: Convolution2DConfiguration(stride: 1, padding: .symmetric(1), groups: 3))
    assertLayerGradientsMatchFiniteDifferences(
      depthwise, at: layerTestNormal([2, 3, 5, 3], seed: 14))
  }

  func testParametersAreNamedLikeThePyTorchStateDict() {
    var rng = SeededGenerator(seed: 15)
    let withBias = Conv2D(inputChannels: 3, outputChannels: 5, kernelSize: 3, using: &rng)
    let withoutBias = Conv2D(
      inputChannels: 3, outputChannels: 5, kernelSize: 3, bias: false, using: &rng)

    XCTAssertEqual(withBias.parameterShapes.map(\.name), ["weight", "bias"])
    XCTAssertEqual(withBias.parameterShapes.map(\.shape), [[5, 3, 3, 3], [5]])
    XCTAssertEqual(withoutBias.parameterShapes.map(\.name), ["weight"])
    XCTAssertEqual(withBias.trainableParameterCount, 5 * 27 + 5)
  }

  func testUpdateParametersReachesTheOptionalBias() {
    var layer = Conv2D(
      weight: Tensor(zeros: [2, 1, 1, 1]), bias: Tensor(zeros: [2]),
      configuration: Convolution2DConfiguration())

    layer.updateParameters { name, _, tensor in if name == "bias" { tensor = tensor + 1 } }

    XCTAssertEqual(layer.bias, Tensor(shape: [2], repeating: 1))
  }

  func testDefaultInitialisationIsUniformWithinOneOverRootFanIn() {
    var rng = SeededGenerator(seed: 16)
    let layer = Conv2D(
      inputChannels: 8, outputChannels: 32, kernelSize: (3, 2), groups: 2, using: &rng)

    let bound: Float = 1 / Float(4 * 3 * 2).squareRoot()
    let weights = layer.weight.scalars
    XCTAssertEqual(layer.weight.shape, [32, 4, 3, 2])
    XCTAssertLessThan(weights.map(abs).max() ?? 0, bound)
    XCTAssertGreaterThan(weights.map(abs).max() ?? 0, 0.95 * bound, "the whole range is used")
    XCTAssertEqual(Double(layer.weight.mean()), 0, accuracy: 0.05 * Double(bound))
    XCTAssertLessThan(layer.bias?.scalars.map(abs).max() ?? .infinity, bound)
  }
}
