import Explain
import Foundation
import Imaging
import Tensor
import TestSupport
import XCTest

final class HeatMapTests: XCTestCase {
  /// numpy: np.percentile(np.arange(100), 99) = 98.01, np.percentile(np.arange(100), 50) = 49.5.
  func testPercentileThresholdInterpolatesLikeNumpy() {
    let map = Tensor(shape: [10, 10], scalars: (0..<100).map(Float.init))
    XCTAssertEqual(HeatMap.threshold(map, clipping: .percentile(99)), 98.01, accuracy: 1e-4)
    XCTAssertEqual(HeatMap.threshold(map, clipping: .percentile(50)), 49.5, accuracy: 1e-5)
    XCTAssertEqual(HeatMap.threshold(map, clipping: .percentile(100)), 99)
  }

  /// Captum's `_cumulative_sum_threshold` on 1…10 (total 55): 98 % → 53.9 is reached at 10;
  /// 80 % → 44 is reached at 9 (cumulative 45).
  func testCumulativeMassThresholdMatchesCaptum() {
    let map = Tensor(shape: [10], scalars: (1...10).map(Float.init).reversed())
    XCTAssertEqual(HeatMap.threshold(map, clipping: .cumulativeMass(outlierPercent: 2)), 10)
    XCTAssertEqual(HeatMap.threshold(map, clipping: .cumulativeMass(outlierPercent: 20)), 9)
  }

  func testNormalizationClipsOutliersAndUsesMagnitudes() {
    var values = (0..<100).map(Float.init)
    values[99] = 1000  // an outlier
    values[0] = -50
    let normalized = HeatMap.normalized(Tensor(shape: [100], scalars: values))
    let t = HeatMap.threshold(Tensor(shape: [100], scalars: values), clipping: .percentile(99))
    XCTAssertEqual(normalized[99], 1)
    XCTAssertEqual(normalized[10], 10 / t, accuracy: 1e-6)
    XCTAssertEqual(normalized[0], 50 / t, accuracy: 1e-6)
    XCTAssertTrue(normalized.scalars.allSatisfy { (0...1).contains($0) })
    let zeros = HeatMap.normalized(Tensor(zeros: [3, 3]))
    XCTAssertEqual(zeros.scalars, [Float](repeating: 0, count: 9))
  }

  func testOverlayBlendsImageAndColors() {
    let image = Tensor(shape: [3, 1, 2], repeating: 0.5)
    let map = Tensor(shape: [1, 2], scalars: [0, 4])
    let overlay = HeatMap.overlay(map, on: image, alpha: 0.25)
    let colored = ColorMap.viridis.apply(HeatMap.normalized(map))
    for c in 0..<3 {
      for j in 0..<2 {
        XCTAssertEqual(overlay[c, 0, j], 0.375 + 0.25 * colored[c, 0, j], accuracy: 1e-6)
      }
    }
  }

  func testPanelPNGDecodesBackWithThePanelSizeAndPixels() throws {
    var generator = SeededGenerator(seed: 5)
    let image = Tensor.uniform([3, 6, 7], using: &generator)
    let map = Tensor.uniform([6, 7], using: &generator)
    let panel = HeatMap.panel(image: image, map: map, gap: 2)
    XCTAssertEqual(panel.shape, [3, 6, 3 * 7 + 4])
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("explain-heatmap-\(ProcessInfo.processInfo.processIdentifier).png")
    defer { try? FileManager.default.removeItem(at: url) }
    try HeatMap.writePanel(image: image, map: map, to: url)
    let decoded = try ImageFile.decode(contentsOf: url)
    XCTAssertEqual(decoded.shape, [3, 6, 3 * 7 + 8])
    let expected = HeatMap.panel(image: image, map: map)
    assertAllClose(decoded, expected, absoluteTolerance: 0.5 / 255 + 1e-6)
    // The left part is the photograph, the gap is white.
    XCTAssertEqual(decoded[1, 2, 3], (image[1, 2, 3] * 255).rounded() / 255, accuracy: 1e-6)
    XCTAssertEqual(decoded[0, 0, 7], 1)
  }
}
