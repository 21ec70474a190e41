import Models
import Tensor
import TestSupport
import XCTest

final class AvgPool2DTests: XCTestCase {
  /// Textbook average pooling of one plane with zero padding; the divisor counts the padded
  /// window or only the real elements.
  private func referenceAveragePool(
    _ x: Tensor, kernel: Int, stride: Int, padding: Int, countsPadding: Bool,
    outputSize: (Int, Int)
  ) -> Tensor {
    mapReferencePlanes(x, outputSize: outputSize) { plane in
      let (h, w) = (plane.count, plane[0].count)
      return (0..<outputSize.0).map { i in
        (0..<outputSize.1).map { j in
          var sum: Double = 0
          var real = 0
          var padded = 0
          for p in 0..<kernel {
            for q in 0..<kernel {
              let (r, c) = (i * stride - padding + p, j * stride - padding + q)
              // Positions inside the padded input count for count_include_pad.
              if r < h + padding, c < w + padding { padded += 1 }
              if r >= 0, r < h, c >= 0, c < w {
                sum += Double(plane[r][c])
                real += 1
              }
            }
          }
          return Float(sum / Double(countsPadding ? padded : real))
        }
      }
    }
  }

  func testForwardMatchesTextbookAveragePoolingForBothDivisors() {
    let x = layerTestNormal([2, 3, 7, 5], seed: 1)
    for countsPadding in [true, false] {
      let layer = AvgPool2D(
        kernelSize: 3, stride: 2, padding: 1, countIncludesPadding: countsPadding)

      let y = layer(x)

      XCTAssertEqual(y.shape, [2, 3, 4, 3])
      let expected = referenceAveragePool(
        x, kernel: 3, stride: 2, padding: 1, countsPadding: countsPadding, outputSize: (4, 3))
      assertAllClose(y, expected, absoluteTolerance: 1e-6, "countsPadding \(countsPadding)")
    }
  }

  func testUnpaddedPoolingDividesByTheKernelArea() {
    let x = Tensor(shape: [1, 1, 2, 4], scalars: [1, 2, 3, 4, 5, 6, 7, 8])

    let y = AvgPool2D(kernelSize: 2)(x)

    XCTAssertEqual(y, Tensor(shape: [1, 1, 1, 2], scalars: [3.5, 5.5]))
  }

  func testGradientMatchesFiniteDifferences() {
    let x = layerTestNormal([2, 2, 5, 6], seed: 2)
    for countsPadding in [true, false] {
      assertLayerGradientsMatchFiniteDifferences(
        AvgPool2D(kernelSize: 3, stride: 2, padding: 1, countIncludesPadding: countsPadding), at: x)
    }
    assertLayerGradientsMatchFiniteDifferences(
      AvgPool2D(Pooling2DConfiguration(kernelSize: (2, 3), stride: (1, 2), ceilMode: true)), at: x)
  }
}
