import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class AlexNetTests: XCTestCase {
  func testAlexNetHasTorchvisionKeysAndMatchesOnnxruntimeWithRepeatedAdaptiveBins() throws {
    try assertMatchesTorchvisionReference("alexnet_96")
  }

  func testAlexNetMatchesOnnxruntimeAt224() throws {
    try assertMatchesTorchvisionReference("alexnet_224")
  }

  func testAlexNetInitialisationIsPyTorchsDefaultUniform() {
    var rng = SeededGenerator(seed: 1)
    let network = AlexNet(classCount: 10, using: &rng)
    let conv = network.features["3"] as? Conv2D
    let bound = 1 / Float(64 * 25).squareRoot()
    let values = (conv?.weight.scalars ?? []) + (conv?.bias?.scalars ?? [])
    XCTAssertLessThanOrEqual(values.map(abs).max() ?? 1, bound)
    XCTAssertGreaterThan(values.map(abs).max() ?? 0, 0.99 * bound)
    XCTAssertEqual(
      network.parameterShapes.map(\.name).filter { $0.hasPrefix("classifier") },
      [
        "classifier.1.weight", "classifier.1.bias", "classifier.4.weight", "classifier.4.bias",
        "classifier.6.weight", "classifier.6.bias",
      ])
  }

  func testAlexNetInputGradientMatchesDirectionalFiniteDifferences() {
    var rng = SeededGenerator(seed: 2)
    var network = AlexNet(classCount: 5, using: &rng)
    conditionForReference(&network, using: &rng)
    let input = Tensor.normal([1, 3, 63, 63], using: &rng)
    assertInputGradientMatchesDirectionalDifferences(
      network, at: input, randomCount: 8, patch: 4, maxError: 0.15, rmsError: 0.05, seed: 3)
  }

  func testEveryAlexNetLayerPathIsCapturableAndFeaturesAreFc7() {
    var rng = SeededGenerator(seed: 4)
    let network = AlexNet(classCount: 5, using: &rng)
    let input = Tensor.normal([2, 3, 63, 63], using: &rng)
    assertEveryLayerPathIsCapturable(network, input: input)
    let context = ForwardContext(capturing: ["features", network.featureLayer])
    _ = network.forward(input, context: context)
    XCTAssertEqual(context.activations["features"]?.shape, [2, 256, 1, 1])
    XCTAssertEqual(context.activations[network.featureLayer]?.shape, [2, 4096])
  }
}
