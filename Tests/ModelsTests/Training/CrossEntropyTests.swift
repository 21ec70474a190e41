import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class CrossEntropyTests: XCTestCase {
  private struct Case: Decodable {
    let name: String
    let smoothing: Float
    let logits: TrainingFixtureTensor
    let labels: [Int]
    let loss: Double
    let gradient: TrainingFixtureTensor
  }

  func testLossAndGradientMatchJAXWithAndWithoutLabelSmoothingAndForHugeLogits() throws {
    let cases = try trainingFixture("cross_entropy.json", as: [Case].self)
    XCTAssertEqual(cases.count, 3)
    for fixture in cases {
      let loss = CrossEntropy(labelSmoothing: fixture.smoothing)

      let (value, gradient) = loss.lossAndGradient(
        logits: fixture.logits.tensor, labels: fixture.labels)

      XCTAssertEqual(
        Double(value), fixture.loss, accuracy: 1e-5 * max(1, fixture.loss), fixture.name)
      assertAllClose(
        gradient, fixture.gradient.tensor, absoluteTolerance: 1e-6, relativeTolerance: 1e-4,
        fixture.name)
      XCTAssertEqual(loss.loss(logits: fixture.logits.tensor, labels: fixture.labels), value)
    }
  }

  func testGradientMatchesFiniteDifferences() {
    var rng = SeededGenerator(seed: 3)
    let logits = Tensor.normal([4, 6], standardDeviation: 2, using: &rng)
    let labels = [5, 0, 2, 2]
    for smoothing: Float in [0, 0.2] {
      let loss = CrossEntropy(labelSmoothing: smoothing)

      let analytic = loss.lossAndGradient(logits: logits, labels: labels).gradient

      assertGradientMatchesFiniteDifferences(
        analytic, of: { Double(loss.loss(logits: $0, labels: labels)) }, at: logits, step: 1e-2,
        absoluteTolerance: 2e-4, relativeTolerance: 1e-2)
    }
  }

  func testEqualLogitsGiveTheLogarithmOfTheClassCount() {
    let logits = Tensor(shape: [3, 10], repeating: 4.5)

    let (value, gradient) = CrossEntropy().lossAndGradient(logits: logits, labels: [0, 3, 9])

    XCTAssertEqual(value, Float(log(10.0)), accuracy: 1e-6)
    // (p − onehot)/N with p = 1/10: 0.1/3 off target, −0.9/3 on target.
    XCTAssertEqual(gradient[1, 3], -0.3, accuracy: 1e-7)
    XCTAssertEqual(gradient[1, 4], 0.1 / 3, accuracy: 1e-7)
  }

  func testGradientRowsSumToZero() {
    var rng = SeededGenerator(seed: 4)
    let logits = Tensor.normal([5, 7], using: &rng)

    let gradient = CrossEntropy(labelSmoothing: 0.1)
      .lossAndGradient(logits: logits, labels: [0, 1, 2, 3, 6]).gradient

    for value in gradient.sum(alongAxes: 1).scalars { XCTAssertEqual(value, 0, accuracy: 1e-7) }
  }
}
