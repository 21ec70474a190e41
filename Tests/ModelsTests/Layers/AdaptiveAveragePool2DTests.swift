import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class AdaptiveAveragePool2DTests: XCTestCase {
  /// Textbook adaptive pooling: bin i covers ⌊i·n/o⌋ ..< ⌈(i+1)·n/o⌉, computed with real
  /// division.
  private func referenceAdaptivePool(_ x: Tensor, outputSize: (Int, Int)) -> Tensor {
    func bin(_ i: Int, _ n: Int, _ o: Int) -> Range<Int> {
      Int(floor(Double(i * n) / Double(o)))..<Int(ceil(Double((i + 1) * n) / Double(o)))
    }
    return mapReferencePlanes(x, outputSize: outputSize) { plane in
      (0..<outputSize.0).map { i in
        (0..<outputSize.1).map { j in
          let rows = bin(i, plane.count, outputSize.0)
          let columns = bin(j, plane[0].count, outputSize.1)
          var sum = 0.0
          for r in rows { for c in columns { sum += Double(plane[r][c]) } }
          return Float(sum / Double(rows.count * columns.count))
        }
      }
    }
  }

  func testBinsFollowPyTorchsFloorCeilRule() {
    // 5 → 3: [0, 2), [1, 4), [3, 5) — neighbouring bins overlap.
    XCTAssertEqual(
      (0..<3).map { AdaptiveAveragePool2D.bin($0, inputSize: 5, outputSize: 3) },
      [0..<2, 1..<4, 3..<5])
    // 2 → 3: [0, 1), [0, 2), [1, 2) — upsampling repeats rows.
    XCTAssertEqual(
      (0..<3).map { AdaptiveAveragePool2D.bin($0, inputSize: 2, outputSize: 3) },
      [0..<1, 0..<2, 1..<2])
  }

  func testForwardMatchesTextbookBinsWhenShrinkingAndGrowing() {
    let x = layerTestNormal([2, 3, 7, 5], seed: 1)
    for size in [(3, 2), (1, 1), (9, 4), (7, 3)] {
      let y = AdaptiveAveragePool2D(outputSize: size)(x)

      assertAllClose(
        y, referenceAdaptivePool(x, outputSize: size), absoluteTolerance: 1e-6, "\(size)")
    }
  }

  func testMatchingSizeIsTheIdentity() {
    let x = layerTestNormal([1, 2, 7, 7], seed: 2)
    let layer = AdaptiveAveragePool2D(outputSize: 7)

    let (y, pullback) = layer.forward(x, context: ForwardContext())
    let gradient = layerTestNormal([1, 2, 7, 7], seed: 3)

    XCTAssertEqual(y, x)
    XCTAssertEqual(pullback(gradient).input, gradient)
  }

  func testGradientMatchesFiniteDifferences() {
    let x = layerTestNormal([2, 2, 7, 5], seed: 4)
    for size in [(3, 2), (2, 7), (1, 1)] {
      assertLayerGradientsMatchFiniteDifferences(AdaptiveAveragePool2D(outputSize: size), at: x)
    }
  }
}
