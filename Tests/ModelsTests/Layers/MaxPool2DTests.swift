import Models
import Tensor
import TestSupport
import XCTest

final class MaxPool2DTests: XCTestCase {
  /// Textbook max pooling of one plane: padding is −∞, windows clipped to the input.
  private func referenceMaxPool(
    _ x: Tensor, kernel: Int, stride: Int, padding: Int, outputSize: (Int, Int)
  ) -> Tensor {
    mapReferencePlanes(x, outputSize: outputSize) { plane in
      (0..<outputSize.0).map { i in
        (0..<outputSize.1).map { j in
          var best = -Float.infinity
          for p in 0..<kernel {
            for q in 0..<kernel {
              let (r, c) = (i * stride - padding + p, j * stride - padding + q)
              if r >= 0, r < plane.count, c >= 0, c < plane[0].count {
                best = max(best, plane[r][c])
              }
            }
          }
          return best
        }
      }
    }
  }

  func testForwardMatchesTextbookMaxPoolingWithPadding() {
    // ResNet's stem pool: 3×3, stride 2, padding 1; on 7×6 the output is 4×3.
    let x = layerTestNormal([2, 3, 7, 6], seed: 1)

    let y = MaxPool2D(kernelSize: 3, stride: 2, padding: 1)(x)

    XCTAssertEqual(y.shape, [2, 3, 4, 3])
    assertAllClose(
      y, referenceMaxPool(x, kernel: 3, stride: 2, padding: 1, outputSize: (4, 3)),
      absoluteTolerance: 0)
  }

  func testCeilModeAddsAPartialLastWindow() {
    // 7 rows, kernel 2, stride 2: ⌊5/2⌋ + 1 = 3 windows, ceil mode gives 4 (the last one holds
    // only row 6).
    let x = layerTestNormal([1, 2, 7, 7], seed: 2)

    let y = MaxPool2D(kernelSize: 2, stride: 2, ceilMode: true)(x)

    XCTAssertEqual(y.shape, [1, 2, 4, 4])
    assertAllClose(
      y, referenceMaxPool(x, kernel: 2, stride: 2, padding: 0, outputSize: (4, 4)),
      absoluteTolerance: 0)
  }

  func testGradientMatchesFiniteDifferencesForDistinctValues() {
    // Values 0.1 apart: no tie between window elements changes within a step of 0.01.
    let x = layerTestSpaced([2, 2, 5, 7], seed: 3)

    assertLayerGradientsMatchFiniteDifferences(
      MaxPool2D(kernelSize: 3, stride: 2, padding: 1), at: x)
    assertLayerGradientsMatchFiniteDifferences(
      MaxPool2D(Pooling2DConfiguration(kernelSize: (2, 3), stride: (1, 2))), at: x)
  }
}
