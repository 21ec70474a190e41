import Models
import Tensor
import TestSupport
import XCTest

final class FlattenTests: XCTestCase {
  func testFlattenKeepsTheBatchAxisAndRowMajorOrder() {
    let x = layerTestNormal([2, 3, 2, 5], seed: 1)

    let y = Flatten()(x)

    XCTAssertEqual(y.shape, [2, 30])
    XCTAssertEqual(y.scalars, x.scalars)
    XCTAssertEqual(y[1, 7], x[1, 0, 1, 2])
  }

  func testNonContiguousInputFlattensInLogicalOrder() {
    let x = layerTestNormal([2, 3, 4], seed: 2).permuted([0, 2, 1])

    let y = Flatten()(x)

    XCTAssertEqual(y.shape, [2, 12])
    XCTAssertEqual(y[1, 5], x[1, 1, 2])
  }

  func testGradientMatchesFiniteDifferences() {
    assertLayerGradientsMatchFiniteDifferences(
      Flatten(), at: layerTestNormal([3, 2, 1, 3], seed: 3))
    assertLayerGradientsMatchFiniteDifferences(Flatten(), at: layerTestNormal([3], seed: 4))
  }
}
