import Models
import Tensor
import TestSupport
import XCTest

final class MBConvBlockTests: XCTestCase {
  /// A block with random batch-norm statistics (fresh ones are the identity).
  private func block(
    _ input: Int, _ output: Int, kernel: Int, stride: Int, expansion: Int, seed: UInt64
  ) -> MBConvBlock {
    var rng = SeededGenerator(seed: seed)
    var block = MBConvBlock(
      inputChannels: input, outputChannels: output, kernelSize: kernel, stride: stride,
      expansionRatio: expansion, using: &rng)
    block.updateParameters { name, _, tensor in
      switch name.split(separator: ".").last {
      case "weight" where name.contains("_bn"):
        tensor = Tensor.uniform(tensor.shape, low: 0.5, high: 2, using: &rng)
      case "bias", "running_mean": tensor = Tensor.normal(tensor.shape, using: &rng) * 0.5
      case "running_var": tensor = Tensor.uniform(tensor.shape, low: 0.3, high: 2, using: &rng)
      default: break
      }
    }
    return block
  }

  /// The block written out with unfolded layers: expand, batch norm, ReLU6, depthwise, ….
  private func reference(_ block: MBConvBlock, _ x: Tensor) -> Tensor {
    var h = x
    if let expansion = block.expansion {
      h = ReLU6()(expansion.batchNorm(expansion.convolution(h)))
    }
    h = ReLU6()(block.depthwise.batchNorm(block.depthwise.convolution(h)))
    h = block.projection.batchNorm(block.projection.convolution(h))
    return block.hasIdentitySkip ? h + x : h
  }

  func testStrideOneBlockAddsItsInputAndMatchesTheUnfoldedLayers() {
    let block = block(4, 4, kernel: 3, stride: 1, expansion: 3, seed: 1)
    let x = layerTestNormal([2, 4, 6, 5], seed: 2)

    let y = block(x)

    XCTAssertTrue(block.hasIdentitySkip)
    XCTAssertEqual(y.shape, [2, 4, 6, 5])
    assertAllClose(y, reference(block, x), absoluteTolerance: 1e-5, relativeTolerance: 1e-5)
  }

  func testStrideTwoBlockHasNoSkipAndHalvesTheSizeRoundingUp() {
    let block = block(4, 6, kernel: 5, stride: 2, expansion: 2, seed: 3)
    let x = layerTestNormal([1, 4, 7, 9], seed: 4)

    let y = block(x)

    XCTAssertFalse(block.hasIdentitySkip)
    XCTAssertEqual(y.shape, [1, 6, 4, 5])
    assertAllClose(y, reference(block, x), absoluteTolerance: 1e-5, relativeTolerance: 1e-5)
  }

  func testExpansionOneHasNoExpandStageOrKeys() {
    let block = block(8, 4, kernel: 3, stride: 1, expansion: 1, seed: 5)

    XCTAssertNil(block.expansion)
    XCTAssertFalse(block.hasIdentitySkip)
    XCTAssertEqual(block.childPaths, ["depthwise", "project"])
    XCTAssertEqual(
      layerParameterNames(block),
      [
        "_depthwise_conv.weight", "_bn1.weight", "_bn1.bias", "_bn1.running_mean",
        "_bn1.running_var", "_project_conv.weight", "_bn2.weight", "_bn2.bias",
        "_bn2.running_mean", "_bn2.running_var",
      ])
  }

  func testSkipBlockGradientsMatchFiniteDifferences() {
    let block = block(3, 3, kernel: 3, stride: 1, expansion: 2, seed: 6)
    let x = layerTestNormal([1, 3, 5, 4], seed: 7)

    assertLayerGradientsMatchFiniteDifferences(block, at: x, step: 1e-3)
  }

  func testStridedBlockGradientsMatchFiniteDifferences() {
    let block = block(2, 3, kernel: 5, stride: 2, expansion: 3, seed: 8)
    let x = layerTestNormal([2, 2, 6, 5], seed: 9)

    assertLayerGradientsMatchFiniteDifferences(block, at: x, step: 1e-3)
  }

  func testStagesAreCapturedUnderTheirChildPaths() {
    let block = block(3, 3, kernel: 3, stride: 1, expansion: 2, seed: 10)
    let x = layerTestNormal([1, 3, 4, 4], seed: 11)

    let context = ForwardContext(capturing: ["expand", "depthwise", "project"])
    let (y, pullback) = block.forward(x, context: context)
    _ = pullback(Tensor(shape: y.shape, repeating: 1))

    XCTAssertEqual(context.activations["expand"]?.shape, [1, 6, 4, 4])
    XCTAssertEqual(context.activations["depthwise"]?.shape, [1, 6, 4, 4])
    XCTAssertEqual(context.activations["project"].map { $0 + x }, y)
    XCTAssertEqual(context.activationGradients["project"], Tensor(shape: y.shape, repeating: 1))
  }
}
