import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class ResNetTests: XCTestCase {
  // MARK: torchvision keys and onnxruntime logits on the same random weights

  func testResNet18HasTorchvisionKeysAndMatchesOnnxruntime() throws {
    try assertMatchesTorchvisionReference("resnet18_64")
  }

  func testResNet34HasTorchvisionKeysAndMatchesOnnxruntimeOnAnOddSize() throws {
    try assertMatchesTorchvisionReference("resnet34_57")
  }

  func testResNet50HasTorchvisionKeysAndMatchesOnnxruntime() throws {
    try assertMatchesTorchvisionReference("resnet50_64")
  }

  func testResNet50MatchesOnnxruntimeAt224() throws {
    try assertMatchesTorchvisionReference("resnet50_224")
  }

  func testResNet101HasTorchvisionKeysAndMatchesOnnxruntime() throws {
    try assertMatchesTorchvisionReference("resnet101_48")
  }

  func testResNet152HasTorchvisionKeysAndMatchesOnnxruntime() throws {
    try assertMatchesTorchvisionReference("resnet152_48")
  }

  // MARK: Structure

  func testResNet18FirstKeysFollowTorchvisionsOrder() {
    var rng = SeededGenerator(seed: 1)
    let keys = ResNet.resnet18(classCount: 10, using: &rng).parameterShapes.map(\.name)
    XCTAssertEqual(
      Array(keys.prefix(7)),
      [
        "conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
        "layer1.0.conv1.weight", "layer1.0.bn1.weight",
      ])
    XCTAssertTrue(keys.contains("layer2.0.downsample.0.weight"))
    XCTAssertTrue(keys.contains("layer2.0.downsample.1.running_var"))
    XCTAssertFalse(keys.contains("layer1.0.downsample.0.weight"), "layer1 keeps 64 channels")
    XCTAssertEqual(Array(keys.suffix(2)), ["fc.weight", "fc.bias"])
  }

  func testResNet50StagesHaveBottleneckShapesAndOnlyFirstBlocksProject() {
    var rng = SeededGenerator(seed: 2)
    let network = ResNet.resnet50(classCount: 10, using: &rng)
    let shapes = Dictionary(
      uniqueKeysWithValues: network.parameterShapes.map { ($0.name, $0.shape) })
    XCTAssertEqual(shapes["layer1.0.downsample.0.weight"], [256, 64, 1, 1])
    XCTAssertEqual(shapes["layer3.0.conv2.weight"], [256, 256, 3, 3])
    XCTAssertEqual(shapes["layer4.2.conv3.weight"], [2048, 512, 1, 1])
    XCTAssertNil(shapes["layer3.1.downsample.0.weight"])
    XCTAssertEqual(shapes["fc.weight"], [10, 2048])
    let block = network.layer2["0"] as? ResNet.Bottleneck
    XCTAssertEqual(block?.conv2.configuration.stride.height, 2, "stride on the 3×3 (v1.5)")
    XCTAssertEqual(block?.conv1.configuration.stride.height, 1)
  }

  func testTorchvisionInitialisationHasKaimingFanOutConvolutionsAndDefaultLinear() {
    var rng = SeededGenerator(seed: 3)
    let network = ResNet.resnet50(using: &rng)
    // N(0, 2/fanOut): layer3.0.conv2 is [256, 256, 3, 3], fanOut = 2304.
    let weights = network.layer3["0"].flatMap { ($0 as? ResNet.Bottleneck)?.conv2.weight }
    let values = weights?.scalars ?? []
    let variance = values.reduce(0.0) { $0 + Double($1 * $1) } / Double(values.count)
    XCTAssertEqual(variance, 2.0 / 2304, accuracy: 0.02 * 2.0 / 2304)
    let fc = network.fc.weight.scalars
    let bound = 1 / Float(2048).squareRoot()
    XCTAssertLessThanOrEqual(fc.map(abs).max() ?? 0, bound)
    XCTAssertGreaterThan(fc.map(abs).max() ?? 0, 0.99 * bound)
    XCTAssertEqual(network.bn1.weight, Tensor(shape: [64], repeating: 1))
    XCTAssertEqual(network.bn1.runningVariance, Tensor(shape: [64], repeating: 1))
  }

  // MARK: Gradients

  func testResNet18InputGradientMatchesDirectionalFiniteDifferences() {
    let network = smallResNet18()
    var rng = SeededGenerator(seed: 5)
    let input = Tensor.normal([2, 3, 32, 32], using: &rng)
    assertInputGradientMatchesDirectionalDifferences(
      network, at: input, randomCount: 12, patch: 4, maxError: 0.15, rmsError: 0.05, seed: 6)
  }

  func testResNet18ParameterGradientsMatchDirectionalFiniteDifferences() {
    let network = smallResNet18()
    var rng = SeededGenerator(seed: 7)
    let input = Tensor.normal([1, 3, 32, 32], using: &rng)
    assertParameterGradientsMatchDirectionalDifferences(network, at: input, seed: 8)
  }

  func testBasicBlockWithProjectionMatchesFiniteDifferences() {
    var rng = SeededGenerator(seed: 9)
    var block = ResNet.BasicBlock(inputChannels: 3, planes: 4, stride: 2, using: &rng)
    conditionForReference(&block, using: &rng)
    XCTAssertNotNil(block.downsample)
    let input = Tensor.normal([1, 3, 5, 5], using: &rng)
    assertInputGradientMatchesDirectionalDifferences(block, at: input, randomCount: 6, seed: 1)
    assertParameterGradientsMatchDirectionalDifferences(
      block, at: input, directionCount: 6, seed: 2)
  }

  func testBottleneckWithIdentityShortcutMatchesFiniteDifferences() {
    var rng = SeededGenerator(seed: 10)
    var block = ResNet.Bottleneck(inputChannels: 8, planes: 2, stride: 1, using: &rng)
    conditionForReference(&block, using: &rng)
    XCTAssertNil(block.downsample, "8 = 4·2 channels at stride 1 keep the identity")
    let input = Tensor.normal([2, 8, 3, 4], using: &rng)
    assertInputGradientMatchesDirectionalDifferences(block, at: input, randomCount: 6, seed: 1)
    assertParameterGradientsMatchDirectionalDifferences(
      block, at: input, directionCount: 6, seed: 2)
  }

  func testBottleneckWithProjectionMatchesFiniteDifferences() {
    var rng = SeededGenerator(seed: 11)
    var block = ResNet.Bottleneck(inputChannels: 3, planes: 2, stride: 2, using: &rng)
    conditionForReference(&block, using: &rng)
    let input = Tensor.normal([1, 3, 5, 4], using: &rng)
    assertInputGradientMatchesDirectionalDifferences(block, at: input, randomCount: 6, seed: 1)
    assertParameterGradientsMatchDirectionalDifferences(
      block, at: input, directionCount: 6, seed: 2)
  }

  // MARK: Capture

  func testEveryResNetLayerPathIsCapturableWithItsGradient() {
    let network = smallResNet18()
    var rng = SeededGenerator(seed: 12)
    assertEveryLayerPathIsCapturable(network, input: Tensor.normal([1, 3, 32, 32], using: &rng))
    XCTAssertEqual(network.featureLayer, "avgpool")
    XCTAssertEqual(network.lastConvolutionalLayer, "layer4")
    XCTAssertTrue(network.layerPaths.contains("layer2.0.downsample.1"))
    XCTAssertFalse(network.layerPaths.contains("layer1.0.relu"), "the block's relu runs twice")
  }

  func testClassifierFeaturesAreThePooledLayer4Output() throws {
    let network = smallResNet18()
    let classifier = Classifier(
      network: network, normalization: .identity, preprocessing: .imageNet,
      classNames: (0..<10).map(String.init))
    var rng = SeededGenerator(seed: 13)
    let images = Tensor.uniform([2, 3, 32, 32], using: &rng)
    let (_, layer4, _) = try classifier.logitsWithPullback(images, capturing: "layer4")
    XCTAssertEqual(layer4.shape, [2, 512, 1, 1])
    let features = classifier.features(images)
    XCTAssertEqual(features.shape, [2, 512])
    assertAllClose(features, layer4.reshaped(to: [2, 512]).contiguous(), absoluteTolerance: 1e-6)
  }

  // MARK: Helpers

  /// ResNet-18 with 10 classes, conditioned for gradient checks.
  private func smallResNet18() -> ResNet {
    var rng = SeededGenerator(seed: 4)
    var network = ResNet.resnet18(classCount: 10, using: &rng)
    conditionForReference(&network, using: &rng)
    return network
  }
}
