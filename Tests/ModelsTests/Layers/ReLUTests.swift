import Models
import Tensor
import TestSupport
import XCTest

final class ReLUTests: XCTestCase {
  func testForwardZeroesNegativesAndKeepsPositives() {
    let x = Tensor(shape: [1, 5], scalars: [-2, -0.5, 0, 0.5, 3])

    XCTAssertEqual(ReLU()(x), Tensor(shape: [1, 5], scalars: [0, 0, 0, 0.5, 3]))
  }

  func testGradientMatchesFiniteDifferencesAwayFromTheKink() {
    // Values ±(0.05 + 0.1k): at least 0.05 from zero, far beyond the step 0.01.
    var rng = SeededGenerator(seed: 1)
    let magnitudes = layerTestSpaced([2, 3, 3, 5], seed: 2)
    let x = magnitudes.map { Bool.random(using: &rng) ? $0 : -$0 }

    assertLayerGradientsMatchFiniteDifferences(ReLU(), at: x)
  }

  func testGradientPassesOnlyWherePositive() {
    let x = Tensor(shape: [4], scalars: [-1, 0, 2, -3])
    let (_, pullback) = ReLU().forward(x, context: ForwardContext())

    let (gradient, parameters) = pullback(Tensor(shape: [4], scalars: [10, 20, 30, 40]))

    XCTAssertEqual(gradient, Tensor(shape: [4], scalars: [0, 0, 30, 0]))
    XCTAssertTrue(parameters.isEmpty)
  }
}
