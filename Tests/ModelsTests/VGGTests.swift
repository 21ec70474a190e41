import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class VGGTests: XCTestCase {
  // MARK: torchvision keys and onnxruntime logits on the same random weights

  func testVGG11HasTorchvisionKeysAndMatchesOnnxruntimeAtTheMinimumSize() throws {
    try assertMatchesTorchvisionReference("vgg11_32")
  }

  func testVGG11BNMatchesOnnxruntimeWithOverlappingAdaptiveBins() throws {
    try assertMatchesTorchvisionReference("vgg11_bn_100")
  }

  func testVGG13HasTorchvisionKeysAndMatchesOnnxruntime() throws {
    try assertMatchesTorchvisionReference("vgg13_48")
  }

  func testVGG13BNHasTorchvisionKeysAndMatchesOnnxruntime() throws {
    try assertMatchesTorchvisionReference("vgg13_bn_32")
  }

  func testVGG16HasTorchvisionKeysAndMatchesOnnxruntimeAt224() throws {
    let network = try XCTUnwrap(try assertMatchesTorchvisionReference("vgg16_224") as? VGG)
    XCTAssertEqual(network.features.count, 31, "13 conv + 13 relu + 5 pools")
    XCTAssertTrue(network.features["28"] is Conv2D)
    XCTAssertTrue(network.features["30"] is MaxPool2D)
  }

  func testVGG16BNHasTorchvisionKeysAndMatchesOnnxruntime() throws {
    let network = try XCTUnwrap(try assertMatchesTorchvisionReference("vgg16_bn_64") as? VGG)
    XCTAssertEqual(network.features.count, 44, "13 × (conv, batch norm, relu) + 5 pools")
    XCTAssertTrue(network.features["1"] is BatchNorm2D)
    XCTAssertTrue(network.features["40"] is Conv2D)
    XCTAssertTrue(network.features["41"] is BatchNorm2D)
    XCTAssertEqual(
      network.parameterShapes.suffix(6).map(\.name),
      [
        "classifier.0.weight", "classifier.0.bias", "classifier.3.weight", "classifier.3.bias",
        "classifier.6.weight", "classifier.6.bias",
      ])
  }

  func testVGG19HasTorchvisionKeysAndMatchesOnnxruntime() throws {
    try assertMatchesTorchvisionReference("vgg19_32")
  }

  func testVGG19BNHasTorchvisionKeysAndMatchesOnnxruntime() throws {
    try assertMatchesTorchvisionReference("vgg19_bn_40")
  }

  // MARK: Structure

  func testEveryDepthHasTorchvisionsConvolutionCount() {
    let convolutions = VGG.Depth.allCases.map { $0.layout.compactMap { $0 }.count }
    XCTAssertEqual(convolutions, [8, 10, 13, 16], "3 linear layers make 11, 13, 16, 19")
    XCTAssertEqual(VGG.Depth.allCases.map { $0.layout.filter { $0 == nil }.count }, [5, 5, 5, 5])
  }

  // MARK: Gradients and capture

  func testVGG11BNInputGradientMatchesDirectionalFiniteDifferences() {
    var rng = SeededGenerator(seed: 2)
    var network = VGG.vgg11BN(classCount: 5, using: &rng)
    conditionForReference(&network, using: &rng)
    let input = Tensor.normal([1, 3, 32, 32], using: &rng)
    assertInputGradientMatchesDirectionalDifferences(
      network, at: input, randomCount: 8, patch: 4, maxError: 0.15, rmsError: 0.05, seed: 3)
  }

  func testEveryVGGLayerPathIsCapturableAndFeaturesAreFc7() throws {
    var rng = SeededGenerator(seed: 4)
    let network = VGG.vgg11(classCount: 5, using: &rng)
    let input = Tensor.normal([2, 3, 32, 32], using: &rng)
    assertEveryLayerPathIsCapturable(network, input: input)
    XCTAssertEqual(network.lastConvolutionalLayer, "features")
    let context = ForwardContext(capturing: [network.featureLayer, "classifier.5"])
    _ = network.forward(input, context: context)
    XCTAssertEqual(context.activations[network.featureLayer]?.shape, [2, 4096])
    XCTAssertEqual(context.activations[network.featureLayer], context.activations["classifier.5"])
  }
}
