import Models
import Tensor
import TestSupport
import XCTest

final class DropoutTests: XCTestCase {
  func testInferenceIsTheIdentityWithIdentityPullback() {
    let x = layerTestNormal([2, 3, 4], seed: 1)
    let dropout = Dropout(probability: 0.5)

    let (y, pullback) = dropout.forward(x, context: ForwardContext(mode: .inference))
    let gradient = layerTestNormal([2, 3, 4], seed: 2)

    XCTAssertEqual(y, x)
    XCTAssertEqual(dropout(x), x)
    XCTAssertEqual(pullback(gradient).input, gradient)
  }

  func testTrainingWithTheSameSeedDrawsTheSameMask() {
    let x = Tensor(shape: [4, 50], repeating: 1)
    let dropout = Dropout(probability: 0.4)

    let first = dropout.forward(x, context: ForwardContext(mode: .training, seed: 3)).output
    let second = dropout.forward(x, context: ForwardContext(mode: .training, seed: 3)).output
    let other = dropout.forward(x, context: ForwardContext(mode: .training, seed: 4)).output

    XCTAssertEqual(first, second)
    XCTAssertNotEqual(first, other)
  }

  func testTrainingKeepsElementsScaledByOneOverKeepProbability() {
    let dropout = Dropout(probability: 0.3)
    let x = Tensor(shape: [100_000], repeating: 1)

    let y = dropout.forward(x, context: ForwardContext(mode: .training, seed: 5)).output

    // Each element is 0 or 1/0.7; the mean estimates E[y] = 1 with standard deviation
    // √(p/(1−p)/n) ≈ 0.0021, and the zero fraction estimates p with deviation ≈ 0.0014.
    let values = y.scalars
    XCTAssertTrue(values.allSatisfy { $0 == 0 || $0 == 1 / Float(0.7) })
    XCTAssertEqual(Double(y.mean()), 1, accuracy: 0.01)
    let zeroFraction = Double(values.filter { $0 == 0 }.count) / Double(values.count)
    XCTAssertEqual(zeroFraction, 0.3, accuracy: 0.007)
  }

  func testTrainingGradientAppliesTheSameMaskAndMatchesFiniteDifferences() {
    let dropout = Dropout(probability: 0.5)
    let x = layerTestNormal([3, 7], seed: 6)
    let (y, pullback) = dropout.forward(x, context: ForwardContext(mode: .training, seed: 8))

    let gradient = pullback(Tensor(shape: [3, 7], repeating: 1)).input

    XCTAssertEqual(gradient, y / x, "the mask, recovered from the output")
    assertLayerGradientsMatchFiniteDifferences(dropout, at: x, mode: .training, contextSeed: 8)
  }

  func testProbabilityZeroKeepsEverythingAndOneDropsEverything() {
    let x = layerTestNormal([2, 5], seed: 9)
    let context = { ForwardContext(mode: .training, seed: 10) }

    XCTAssertEqual(Dropout(probability: 0).forward(x, context: context()).output, x)
    XCTAssertEqual(
      Dropout(probability: 1).forward(x, context: context()).output, Tensor(zeros: [2, 5]))
  }
}
