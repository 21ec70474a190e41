import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class SqueezeNetTests: XCTestCase {
  // MARK: torchvision keys and onnxruntime logits on the same random weights

  func testSqueezeNet10HasTorchvisionKeysAndMatchesOnnxruntimeWhereCeilModeRoundsUp() throws {
    try assertMatchesTorchvisionReference("squeezenet1_0_65")
  }

  func testSqueezeNet11HasTorchvisionKeysAndMatchesOnnxruntimeWhereCeilModeRoundsUp() throws {
    try assertMatchesTorchvisionReference("squeezenet1_1_66")
  }

  func testSqueezeNet11MatchesOnnxruntimeAt224() throws {
    try assertMatchesTorchvisionReference("squeezenet1_1_224")
  }

  // MARK: Structure

  func testPoolsRoundUpAsTorchvisionsCeilMode() {
    var rng = SeededGenerator(seed: 1)
    let network = SqueezeNet.squeezeNet1_1(classCount: 4, using: &rng)
    let context = ForwardContext(capturing: ["features.0", "features.2", "features.5"])
    _ = network.forward(Tensor(zeros: [1, 3, 66, 66]), context: context)
    // 66 → conv 3×3/2: 32 → pool: ⌈(32 − 3)/2⌉ + 1 = 16 (floor would give 15) → 8.
    XCTAssertEqual(context.activations["features.0"]?.shape, [1, 64, 32, 32])
    XCTAssertEqual(context.activations["features.2"]?.shape, [1, 64, 16, 16])
    XCTAssertEqual(context.activations["features.5"]?.shape, [1, 128, 8, 8])
  }

  func testFireModulesHaveTorchvisionsChannelsAndKeys() {
    var rng = SeededGenerator(seed: 2)
    let network = SqueezeNet.squeezeNet1_0(classCount: 4, using: &rng)
    let fires = network.features.layers.compactMap { $0.layer as? SqueezeNet.Fire }
    XCTAssertEqual(fires.map(\.outputChannels), [128, 128, 256, 256, 384, 384, 512, 512])
    XCTAssertEqual(
      network.parameterShapes.prefix(8).map(\.name),
      [
        "features.0.weight", "features.0.bias", "features.3.squeeze.weight",
        "features.3.squeeze.bias", "features.3.expand1x1.weight", "features.3.expand1x1.bias",
        "features.3.expand3x3.weight", "features.3.expand3x3.bias",
      ])
    XCTAssertEqual(
      network.parameterShapes.suffix(2).map(\.name), ["classifier.1.weight", "classifier.1.bias"])
  }

  // MARK: Gradients and capture

  func testFireModuleMatchesFiniteDifferences() {
    var rng = SeededGenerator(seed: 3)
    var fire = SqueezeNet.Fire(
      inputChannels: 3, squeezeChannels: 2, expand1x1Channels: 3, expand3x3Channels: 2,
      using: &rng)
    conditionForReference(&fire, using: &rng)
    let input = Tensor.normal([2, 3, 4, 5], using: &rng)
    assertInputGradientMatchesDirectionalDifferences(fire, at: input, randomCount: 6, seed: 1)
    assertParameterGradientsMatchDirectionalDifferences(fire, at: input, directionCount: 6, seed: 2)
  }

  func testSqueezeNetInputGradientMatchesDirectionalFiniteDifferences() {
    var rng = SeededGenerator(seed: 4)
    var network = SqueezeNet.squeezeNet1_1(classCount: 6, using: &rng)
    conditionForReference(&network, using: &rng)
    let input = Tensor.normal([1, 3, 25, 25], using: &rng)
    assertInputGradientMatchesDirectionalDifferences(
      network, at: input, randomCount: 12, patch: 4, maxError: 0.15, rmsError: 0.05, seed: 5)
  }

  func testEveryLayerPathIsCapturableAndTheFeatureTapIsThePooledTrunk() {
    var rng = SeededGenerator(seed: 6)
    let network = SqueezeNet.squeezeNet1_1(classCount: 6, using: &rng)
    let input = Tensor.normal([2, 3, 40, 40], using: &rng)
    assertEveryLayerPathIsCapturable(network, input: input, exempt: ["avgpool"])
    let context = ForwardContext(capturing: ["features", "avgpool"])
    let (logits, _) = network.forward(input, context: context)
    let trunk = context.activations["features"] ?? Tensor(0)
    XCTAssertEqual(context.activations["avgpool"]?.shape, [2, 512, 1, 1])
    assertAllClose(
      context.activations["avgpool"] ?? Tensor(0),
      trunk.mean(alongAxes: 2, 3).reshaped(to: [2, 512, 1, 1]), absoluteTolerance: 1e-6)
    XCTAssertEqual(logits, network(input), "the tap does not change the logits")
  }
}
