import TestSupport
import XCTest

@testable import Tensor

final class PoolingGlobalAverageTests: XCTestCase {
  func testGlobalAverageIsThePlaneMean() {
    // 2 images × 2 channels of 3×7 = 21 elements (more than one 16-lane block).
    let x = Tensor(shape: [2, 2, 3, 7], scalars: (0..<84).map(Float.init))
    let y = Tensor.globalAveragePool2D(x)
    XCTAssertEqual(y.shape, [2, 2])
    XCTAssertEqual(y.scalars, [10, 31, 52, 73])
  }

  func testGlobalAverageBackwardMatchesFiniteDifferences() {
    var rng = SeededGenerator(seed: 1)
    let x = Tensor.normal([2, 3, 4, 5], using: &rng)
    let probe = Tensor.normal([2, 3], using: &rng)
    let analytic = Tensor.globalAveragePool2DBackward(probe, inputShape: x.shape)
    assertGradientMatchesFiniteDifferences(
      analytic, of: { dot(Tensor.globalAveragePool2D($0), probe) }, at: x)
  }
}
