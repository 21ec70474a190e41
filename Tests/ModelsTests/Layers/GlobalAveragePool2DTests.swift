import Models
import Tensor
import TestSupport
import XCTest

final class GlobalAveragePool2DTests: XCTestCase {
  func testOutputIsThePlaneMean() {
    let x = layerTestNormal([2, 3, 5, 3], seed: 1)

    let y = GlobalAveragePool2D()(x)

    var expected: [Float] = []
    for n in 0..<2 {
      for c in 0..<3 {
        var sum = 0.0
        for i in 0..<5 { for j in 0..<3 { sum += Double(x[n, c, i, j]) } }
        expected.append(Float(sum / 15))
      }
    }
    assertAllClose(y, Tensor(shape: [2, 3], scalars: expected), absoluteTolerance: 1e-6)
  }

  func testKeepingDimensionsGivesUnitSpatialAxes() {
    let x = layerTestNormal([2, 3, 5, 3], seed: 2)

    let kept = GlobalAveragePool2D(keepsDimensions: true)(x)

    XCTAssertEqual(kept.shape, [2, 3, 1, 1])
    XCTAssertEqual(kept.reshaped(to: [2, 3]), GlobalAveragePool2D()(x))
  }

  func testGradientMatchesFiniteDifferencesWithAndWithoutKeptDimensions() {
    let x = layerTestNormal([2, 3, 3, 5], seed: 3)

    assertLayerGradientsMatchFiniteDifferences(GlobalAveragePool2D(), at: x)
    assertLayerGradientsMatchFiniteDifferences(GlobalAveragePool2D(keepsDimensions: true), at: x)
  }
}
