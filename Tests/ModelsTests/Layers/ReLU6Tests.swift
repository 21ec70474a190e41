import Models
import Tensor
import TestSupport
import XCTest

final class ReLU6Tests: XCTestCase {
  func testForwardClampsToZeroSix() {
    let x = Tensor(shape: [6], scalars: [-1, 0, 2.5, 6, 6.5, 100])

    XCTAssertEqual(ReLU6()(x), Tensor(shape: [6], scalars: [0, 0, 2.5, 6, 6, 6]))
  }

  func testGradientMatchesFiniteDifferencesAwayFromBothKinks() {
    // 0.05 + 0.1k − 2 for k < 90 spans (−2, 7) and stays 0.05 away from 0 and 6.
    let x = layerTestSpaced([2, 3, 3, 5], seed: 1) - 2

    assertLayerGradientsMatchFiniteDifferences(ReLU6(), at: x)
  }

  func testGradientPassesOnlyStrictlyBetweenZeroAndSix() {
    let x = Tensor(shape: [5], scalars: [-1, 0, 3, 6, 7])
    let (_, pullback) = ReLU6().forward(x, context: ForwardContext())

    let gradient = pullback(Tensor(shape: [5], repeating: 2)).input

    XCTAssertEqual(gradient, Tensor(shape: [5], scalars: [0, 0, 2, 0, 0]))
  }
}
