import BiasProbe
import Models
import Tensor
import TestSupport
import XCTest

final class GrayImageClassifierTests: XCTestCase {
  private func classifier() -> (GrayImageClassifier, SmallCNN) {
    var rng = SeededGenerator(seed: 11)
    let network = SmallCNN(imageSize: (8, 8), classCount: 4, hiddenUnits: 16, using: &rng)
    return (GrayImageClassifier(network: network, inputSize: (8, 8), classNames: ["a", "b", "c", "d"]), network)
  }

  func testThreeEqualChannelsGiveTheGrayNetworksLogits() {
    let (classifier, network) = classifier()
    var rng = SeededGenerator(seed: 1)
    let gray = Tensor.uniform([3, 1, 8, 8], using: &rng)
    assertAllClose(
      classifier.logits(GrayImageClassifier.colored(gray)), network(gray),
      absoluteTolerance: 1e-5, relativeTolerance: 1e-5)
    XCTAssertEqual(classifier.features(GrayImageClassifier.colored(gray)).shape, [3, 16])
  }

  func testPullbackGivesAThirdOfTheGrayGradientInEachChannel() {
    let (classifier, network) = classifier()
    var rng = SeededGenerator(seed: 2)
    let gray = Tensor.uniform([2, 1, 8, 8], using: &rng)
    let seed = Tensor.normal([2, 4], using: &rng)
    let (_, pullback) = classifier.logitsWithPullback(GrayImageClassifier.colored(gray))
    let colour = pullback(seed)
    let grayGradient = network.forward(gray, context: ForwardContext()).pullback(seed).input
    XCTAssertEqual(colour.shape, [2, 3, 8, 8])
    for k in 0..<3 {
      assertAllClose(
        colour.sliced(axis: 1, k..<(k + 1)), grayGradient * (1 / 3), absoluteTolerance: 1e-6,
        relativeTolerance: 1e-5)
    }
  }

  func testDirectionalDerivativeMatchesFiniteDifference() {
    let (classifier, _) = classifier()
    var rng = SeededGenerator(seed: 5)
    let images = Tensor.uniform([1, 3, 8, 8], using: &rng)
    let direction = Tensor.normal([1, 3, 8, 8], using: &rng)
    let seed = Tensor.normal([1, 4], using: &rng)
    let analytic = dot(classifier.inputGradient(images, logitWeights: seed), direction)
    let h: Float = 1e-3
    let numeric =
      (dot(classifier.logits(images + direction * h), seed)
        - dot(classifier.logits(images - direction * h), seed)) / (2 * Double(h))
    XCTAssertEqual(analytic, numeric, accuracy: 2e-2 * max(1, abs(analytic)))
  }
}
