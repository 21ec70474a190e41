import Models
import Tensor
import TestSupport
import XCTest

/// The inference path on 16-channel blocks (`EfficientNetLite.callAsFunction`) against the
/// layer-by-layer path on planar maps (`forward(_:context:)`, the one that differentiates and is
/// itself checked against onnxruntime and finite differences).
final class EfficientNetLiteBlockedInferenceTests: XCTestCase {
  private func network() -> EfficientNetLite { seededLite0(seed: 11) }

  func testLogitsEqualTheLayerByLayerPathOnOddSizedImages() {
    // Arrange: odd, non-square images, so SAME padding is uneven at every stride-2 stage and
    // the 7×7-like tail is 2×2.
    let network = network()
    var rng = SeededGenerator(seed: 5)
    let images = Tensor.uniform([2, 3, 45, 61], low: -1, high: 1, using: &rng)
    // Act
    let blocked = network(images)
    let planar = network.forward(images, context: ForwardContext()).output
    // Assert
    XCTAssertEqual(blocked.shape, [2, 10])
    assertAllClose(blocked, planar, absoluteTolerance: 1e-4, relativeTolerance: 1e-4)
  }

  func testOneImageSplitOverTwoThreadsHasTheBitsOfOneThreadAndOfABatch() {
    // Arrange
    let network = network()
    var rng = SeededGenerator(seed: 6)
    let images = Tensor.uniform([3, 3, 64, 64], low: -1, high: 1, using: &rng)
    let previous = ComputeThreads.count
    defer { ComputeThreads.set(previous) }
    // Act: one image alone runs each layer's output channels on both threads.
    ComputeThreads.set(2)
    let alone = network(images.sliced(axis: 0, 1..<2))
    let batch = network(images)
    ComputeThreads.set(1)
    let oneThread = network(images.sliced(axis: 0, 1..<2))
    // Assert
    XCTAssertEqual(alone.scalars, oneThread.scalars)
    XCTAssertEqual(alone.scalars, batch[index: 1].scalars)
  }
}
