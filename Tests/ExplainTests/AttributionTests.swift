import Models
import Tensor
import TestSupport
import XCTest

@testable import Explain

/// `logits = W · vec(x) + b` on `[3, H, W]` images: every gradient attribution has a closed form.
struct LinearTestClassifier: ImageClassifier {
  /// `[K, 3·H·W]`.
  let weight: Tensor
  /// `[K]`.
  let bias: Tensor
  let inputSize: (height: Int, width: Int)
  var classNames: [String] { (0..<weight.shape[0]).map { "class \($0)" } }

  init(classes: Int = 3, height: Int = 4, width: Int = 5, seed: UInt64 = 1) {
    var generator = SeededGenerator(seed: seed)
    weight = Tensor.normal([classes, 3 * height * width], using: &generator)
    bias = Tensor.normal([classes], using: &generator)
    inputSize = (height, width)
  }

  func logits(_ images: Tensor) -> Tensor {
    let flat = images.reshaped(to: [images.shape[0], weight.shape[1]])
    return matmul(flat, transposed: false, weight, transposed: true) + bias
  }

  func logitsWithPullback(_ images: Tensor) -> (
    logits: Tensor, pullback: @Sendable (Tensor) -> Tensor
  ) {
    let weight = self.weight
    let shape = images.shape
    return (logits(images), { seed in matmul(seed, weight).reshaped(to: shape) })
  }

  func logitsWithPullback(_ images: Tensor, capturing layer: String) throws -> (
    logits: Tensor, activation: Tensor,
    pullback: @Sendable (Tensor) -> (images: Tensor, activation: Tensor)
  ) {
    throw ClassifierError.unknownLayer(layer, available: [])
  }

  func features(_ images: Tensor) -> Tensor {
    images.reshaped(to: [images.shape[0], weight.shape[1]])
  }
}

/// `logits = W₂ relu(W₁ vec(x) + b₁) + b₂`: a piecewise-linear network for completeness tests.
struct ReLUTestClassifier: ImageClassifier {
  let first: Tensor
  let firstBias: Tensor
  let second: Tensor
  let secondBias: Tensor
  let inputSize: (height: Int, width: Int)
  var classNames: [String] { (0..<second.shape[0]).map { "class \($0)" } }

  init(classes: Int = 3, hidden: Int = 16, height: Int = 4, width: Int = 5, seed: UInt64 = 2) {
    var generator = SeededGenerator(seed: seed)
    let inputs = 3 * height * width
    let scale = (6 / Float(inputs)).squareRoot()
    first = Tensor.normal([hidden, inputs], using: &generator) * scale
    firstBias = Tensor.normal([hidden], using: &generator) * 0.5
    second = Tensor.normal([classes, hidden], using: &generator)
    secondBias = Tensor.normal([classes], using: &generator)
    inputSize = (height, width)
  }

  private func preActivation(_ images: Tensor) -> Tensor {
    let flat = images.reshaped(to: [images.shape[0], first.shape[1]])
    return matmul(flat, transposed: false, first, transposed: true) + firstBias
  }

  func logits(_ images: Tensor) -> Tensor {
    matmul(relu(preActivation(images)), transposed: false, second, transposed: true) + secondBias
  }

  func logitsWithPullback(_ images: Tensor) -> (
    logits: Tensor, pullback: @Sendable (Tensor) -> Tensor
  ) {
    let pre = preActivation(images)
    let (first, second, shape) = (self.first, self.second, images.shape)
    let mask = Tensor(shape: pre.shape, scalars: pre.scalars.map { $0 > 0 ? 1 : 0 })
    return (
      matmul(relu(pre), transposed: false, second, transposed: true) + secondBias,
      { seed in matmul(matmul(seed, second) * mask, first).reshaped(to: shape) }
    )
  }

  func logitsWithPullback(_ images: Tensor, capturing layer: String) throws -> (
    logits: Tensor, activation: Tensor,
    pullback: @Sendable (Tensor) -> (images: Tensor, activation: Tensor)
  ) {
    throw ClassifierError.unknownLayer(layer, available: [])
  }

  func features(_ images: Tensor) -> Tensor { relu(preActivation(images)) }
}

/// A random `[3, H, W]` image in [0, 1].
func testImage(seed: UInt64 = 7, height: Int = 4, width: Int = 5) -> Tensor {
  var generator = SeededGenerator(seed: seed)
  return Tensor.uniform([3, height, width], low: 0, high: 1, using: &generator)
}

final class AttributionTests: XCTestCase {
  func testChannelReductionsMatchTheirFormulas() {
    let values: [Float] = [1, -2, 3, -4, 0, 2, -5, 6]
    let tensor = Tensor(shape: [2, 2, 2], scalars: values)
    XCTAssertEqual(tensor.channelReduced(.maximumAbsolute).scalars, [1, 2, 5, 6])
    XCTAssertEqual(tensor.channelReduced(.sum).scalars, [1, 0, -2, 2])
    XCTAssertEqual(tensor.channelReduced(.sumAbsolute).scalars, [1, 4, 8, 10])
    assertAllClose(
      tensor.channelReduced(.l2),
      Tensor(shape: [2, 2], scalars: [1, 8, 34, 52].map { Float($0).squareRoot() }))
    XCTAssertEqual(tensor.channelReduced(.sum).shape, [2, 2])
  }

  func testTestClassifierPullbacksMatchFiniteDifferences() {
    let image = testImage().expandingShape(at: 0)
    let classifiers: [any ImageClassifier] = [LinearTestClassifier(), ReLUTestClassifier()]
    for classifier in classifiers {
      let seed = Tensor(shape: [1, 3], scalars: [0.5, -1, 2])
      let analytic = classifier.logitsWithPullback(image).pullback(seed)
      assertGradientMatchesFiniteDifferences(
        analytic, of: { dot(classifier.logits($0), seed) }, at: image, step: 1e-3)
    }
  }

  func testBadShapeTargetAndNonFiniteInputThrowTypedErrors() throws {
    let saliency = Saliency(classifier: LinearTestClassifier())
    XCTAssertThrowsError(try saliency.attribute(Tensor(zeros: [3, 5, 4]), target: 0)) {
      XCTAssertEqual(
        $0 as? AttributionError, .wrongImageShape(expected: [3, 4, 5], found: [3, 5, 4]))
    }
    XCTAssertThrowsError(try saliency.attribute(Tensor(zeros: [1, 3, 4, 5]), target: 0)) {
      XCTAssertEqual(
        $0 as? AttributionError, .wrongImageShape(expected: [3, 4, 5], found: [1, 3, 4, 5]))
    }
    XCTAssertThrowsError(try saliency.attribute(testImage(), target: 3)) {
      XCTAssertEqual($0 as? AttributionError, .targetOutOfRange(target: 3, classCount: 3))
    }
    XCTAssertThrowsError(try saliency.attribute(testImage(), target: -1)) {
      XCTAssertEqual($0 as? AttributionError, .targetOutOfRange(target: -1, classCount: 3))
    }
    var pixels = testImage().scalars
    pixels[7] = .nan
    let poisoned = Tensor(shape: [3, 4, 5], scalars: pixels)
    XCTAssertThrowsError(try saliency.attribute(poisoned, target: 0)) {
      XCTAssertEqual($0 as? AttributionError, .nonFiniteInput)
    }
  }
}
