import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class MobileNetV2Tests: XCTestCase {
  // MARK: torchvision keys and onnxruntime logits on the same random weights

  func testMobileNetV2HasTorchvisionKeysAndMatchesOnnxruntime() throws {
    try assertMatchesTorchvisionReference("mobilenet_v2_96")
  }

  func testMobileNetV2MatchesOnnxruntimeAt224() throws {
    try assertMatchesTorchvisionReference("mobilenet_v2_224")
  }

  // MARK: Structure

  func testBlocksFollowTorchvisionsNumberingAndShortcutRule() {
    var rng = SeededGenerator(seed: 1)
    let network = MobileNetV2(classCount: 10, using: &rng)
    XCTAssertEqual(network.features.count, 19)
    let blocks = (1...17).compactMap {
      network.features[String($0)] as? MobileNetV2.InvertedResidual
    }
    XCTAssertEqual(blocks.count, 17)
    // Residual where stride 1 and the width repeats: the 2nd+ repeat of every group but the first.
    XCTAssertEqual(
      blocks.enumerated().filter(\.element.usesResidual).map { $0.offset + 1 },
      [3, 5, 6, 8, 9, 10, 12, 13, 15, 16])
    XCTAssertEqual(blocks[0].conv.count, 3, "expansion 1: depthwise block, projection, batch norm")
    XCTAssertEqual(blocks[1].conv.count, 4)
    let shapes = Dictionary(
      uniqueKeysWithValues: network.parameterShapes.map { ($0.name, $0.shape) })
    XCTAssertEqual(shapes["features.1.conv.0.0.weight"], [32, 1, 3, 3])
    XCTAssertEqual(shapes["features.2.conv.1.0.weight"], [96, 1, 3, 3])
    XCTAssertEqual(shapes["features.17.conv.2.weight"], [320, 960, 1, 1])
    XCTAssertEqual(shapes["features.18.0.weight"], [1280, 320, 1, 1])
    XCTAssertEqual(shapes["classifier.1.weight"], [10, 1280])
    XCTAssertNil(shapes["features.0.0.bias"], "convolutions before batch norms have no bias")
  }

  // MARK: Gradients and capture

  func testInvertedResidualsMatchFiniteDifferences() {
    var rng = SeededGenerator(seed: 2)
    var residual = MobileNetV2.InvertedResidual(
      inputChannels: 4, outputChannels: 4, stride: 1, expansionRatio: 2, using: &rng)
    conditionForReference(&residual, using: &rng)
    XCTAssertTrue(residual.usesResidual)
    let input = Tensor.normal([2, 4, 5, 4], using: &rng)
    assertInputGradientMatchesDirectionalDifferences(residual, at: input, randomCount: 6, seed: 1)
    assertParameterGradientsMatchDirectionalDifferences(
      residual, at: input, directionCount: 6, seed: 2)
    var strided = MobileNetV2.InvertedResidual(
      inputChannels: 3, outputChannels: 5, stride: 2, expansionRatio: 1, using: &rng)
    conditionForReference(&strided, using: &rng)
    XCTAssertFalse(strided.usesResidual)
    let stridedInput = Tensor.normal([1, 3, 6, 5], using: &rng)
    assertInputGradientMatchesDirectionalDifferences(
      strided, at: stridedInput, randomCount: 6, seed: 3)
    assertParameterGradientsMatchDirectionalDifferences(
      strided, at: stridedInput, directionCount: 6, seed: 4)
  }

  func testMobileNetV2InputGradientMatchesDirectionalFiniteDifferences() {
    var rng = SeededGenerator(seed: 3)
    var network = MobileNetV2(classCount: 8, using: &rng)
    conditionForReference(&network, using: &rng)
    // A small input keeps the number of ReLU6 kinks a difference step can cross small.
    let input = Tensor.normal([1, 3, 12, 12], using: &rng)
    assertInputGradientMatchesDirectionalDifferences(
      network, at: input, randomCount: 12, patch: 4, maxError: 0.15, rmsError: 0.05, seed: 4)
  }

  func testEveryMobileNetV2LayerPathIsCapturableAndFeaturesArePooled() {
    var rng = SeededGenerator(seed: 5)
    let network = MobileNetV2(classCount: 8, using: &rng)
    let input = Tensor.normal([2, 3, 32, 32], using: &rng)
    assertEveryLayerPathIsCapturable(network, input: input)
    XCTAssertTrue(network.layerPaths.contains("features.4.conv.1.2"))
    let context = ForwardContext(capturing: ["features", network.featureLayer])
    _ = network.forward(input, context: context)
    let features = context.activations["features"] ?? Tensor(0)
    XCTAssertEqual(features.shape, [2, 1280, 1, 1])
    XCTAssertEqual(context.activations[network.featureLayer], features.reshaped(to: [2, 1280]))
  }
}
