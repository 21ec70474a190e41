import Imaging
import Models
import Tensor
import TestSupport
import XCTest

/// The input gradient on 16-channel blocks (`EfficientNetLite.inferenceLogitsWithInputPullback`,
/// what `Classifier.logitsWithPullback` runs for Lite0) against the pullback of the planar
/// layer-by-layer `forward(_:context:)`, itself checked against finite differences and JAX.
final class EfficientNetLiteBlockedInputGradientTests: XCTestCase {
  private func network() -> EfficientNetLite { seededLite0(seed: 21) }

  func testGradientEqualsThePlanarPullbackOnOddSizedImages() throws {
    // Arrange: odd, non-square images (uneven SAME padding at every stride-2 stage) and a seed
    // that mixes all classes.
    let network = network()
    var rng = SeededGenerator(seed: 8)
    let images = Tensor.uniform([2, 3, 45, 61], low: -1, high: 1, using: &rng)
    let seed = Tensor.normal([2, 10], using: &rng)
    // Act
    let (logits, pullback) = try XCTUnwrap(network.inferenceLogitsWithInputPullback(images))
    let gradient = pullback(seed)
    let (planarLogits, planarPullback) = network.forward(
      images, context: ForwardContext(computesParameterGradients: false))
    let expected = planarPullback(seed).input
    // Assert
    assertAllClose(logits, planarLogits, absoluteTolerance: 1e-4, relativeTolerance: 1e-4)
    XCTAssertEqual(gradient.shape, images.shape)
    let scale = expected.scalars.map(abs).max() ?? 1
    assertAllClose(
      gradient, expected, absoluteTolerance: 1e-4 * scale, relativeTolerance: 1e-3)
  }

  func testPullbackRepeatsAndOneImageOnTwoThreadsHasTheBitsOfOneThreadAndOfABatch() throws {
    // Arrange
    let network = network()
    var rng = SeededGenerator(seed: 9)
    let images = Tensor.uniform([3, 3, 64, 64], low: -1, high: 1, using: &rng)
    let seed = Tensor.normal([3, 10], using: &rng)
    let previous = ComputeThreads.count
    defer { ComputeThreads.set(previous) }
    func gradient(_ range: Range<Int>) throws -> Tensor {
      let (_, pullback) = try XCTUnwrap(
        network.inferenceLogitsWithInputPullback(images.sliced(axis: 0, range)))
      return pullback(seed.sliced(axis: 0, range))
    }
    // Act
    ComputeThreads.set(2)
    let alone = try gradient(1..<2)
    let batch = try gradient(0..<3)
    let (_, pullback) = try XCTUnwrap(network.inferenceLogitsWithInputPullback(images))
    let first = pullback(seed)
    let second = pullback(seed)
    ComputeThreads.set(1)
    let oneThread = try gradient(1..<2)
    // Assert
    XCTAssertEqual(alone.scalars, oneThread.scalars)
    XCTAssertEqual(alone.scalars, batch[index: 1].scalars)
    XCTAssertEqual(first.scalars, second.scalars)
  }

  func testEspressoGradientOfTheRealLite0EqualsThePlanarPullback() throws {
    // Arrange: the real weights, the coffee crop, the espresso logit.
    let network = try EfficientNetLite.lite0(
      contentsOf: assetURL("models/efficientnet-lite0.pth"))
    let crop = try ImageFile.decode(contentsOf: fixtureURL("Lite0/coffee.png"))
    let images = Normalization.efficientNetLite(crop.expandingShape(at: 0))
    var seedValues = [Float](repeating: 0, count: 1000)
    seedValues[967] = 1
    let seed = Tensor(shape: [1, 1000], scalars: seedValues)
    // Act
    let (logits, pullback) = try XCTUnwrap(network.inferenceLogitsWithInputPullback(images))
    let gradient = pullback(seed)
    let (planarLogits, planarPullback) = network.forward(
      images, context: ForwardContext(computesParameterGradients: false))
    let expected = planarPullback(seed).input
    // Assert: the same logits and, up to rounding, the same gradient (relative L2 error).
    assertAllClose(logits, planarLogits, absoluteTolerance: 1e-4, relativeTolerance: 0)
    let difference = (gradient - expected).scalars.reduce(0) { $0 + Double($1 * $1) }
    let norm = expected.scalars.reduce(0) { $0 + Double($1 * $1) }
    XCTAssertGreaterThan(norm, 0)
    XCTAssertLessThan((difference / norm).squareRoot(), 1e-4)
  }
}
