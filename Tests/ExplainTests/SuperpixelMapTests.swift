import Explain
import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class SuperpixelMapTests: XCTestCase {
  func testLabelsAreRenumberedInOrderOfFirstAppearance() throws {
    let map = try SuperpixelMap(height: 2, width: 3, labels: [7, 7, -2, 40, 7, -2])
    XCTAssertEqual(map.labels, [0, 0, 1, 2, 0, 1])
    XCTAssertEqual(map.count, 3)
    XCTAssertEqual(map.sizes, [3, 2, 1])
  }

  func testBoundariesMarkBothSidesOfAnEdge() throws {
    let map = try SuperpixelMap(height: 3, width: 3, labels: [0, 0, 1, 0, 0, 1, 2, 2, 2])
    XCTAssertEqual(
      map.boundaries,
      [
        false, true, true,
        true, true, true,
        true, true, true,
      ])
    XCTAssertEqual(
      try SuperpixelMap(height: 2, width: 2, labels: [5, 5, 5, 5]).boundaries,
      [false, false, false, false])
  }

  /// A scikit-image label map (`int16`, labels from 1) read from `.npy`, written back as a float
  /// tensor and read again: the same map.
  func testNumPyRoundTrip() throws {
    let golden = try SuperpixelFixtures.golden("coffee_slic100")
    XCTAssertEqual(golden.height, 224)
    XCTAssertEqual(golden.width, 224)
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("superpixels-\(ProcessInfo.processInfo.processIdentifier).npy")
    defer { try? FileManager.default.removeItem(at: url) }
    try NumPyArray.write(golden.tensor, to: url)
    let back = try SuperpixelMap(NumPyArray.read(contentsOf: url).tensor())
    XCTAssertEqual(back, golden)
  }

  /// Values cross-checked with scikit-learn's `adjusted_rand_score`:
  ///
  /// ```python
  /// adjusted_rand_score([0, 0, 1, 1, 2, 2], [0, 0, 1, 2, 2, 2])  # 0.4444444444444444
  /// adjusted_rand_score([0, 0, 0, 1, 1, 1], [0, 1, 2, 0, 1, 2])  # -0.36363636363636365
  /// ```
  func testAdjustedRandIndex() throws {
    let a = try SuperpixelMap(height: 2, width: 3, labels: [0, 0, 1, 1, 2, 2])
    let b = try SuperpixelMap(height: 2, width: 3, labels: [0, 0, 1, 2, 2, 2])
    XCTAssertEqual(try a.adjustedRandIndex(with: b), 4.0 / 9.0, accuracy: 1e-12)
    XCTAssertEqual(try b.adjustedRandIndex(with: a), 4.0 / 9.0, accuracy: 1e-12)
    let renamed = try SuperpixelMap(height: 2, width: 3, labels: [9, 9, 4, 4, 1, 1])
    XCTAssertEqual(try a.adjustedRandIndex(with: renamed), 1)
    let c = try SuperpixelMap(height: 2, width: 3, labels: [0, 0, 0, 1, 1, 1])
    let d = try SuperpixelMap(height: 2, width: 3, labels: [0, 1, 2, 0, 1, 2])
    XCTAssertEqual(try c.adjustedRandIndex(with: d), -4.0 / 11.0, accuracy: 1e-12)
    let single = try SuperpixelMap(height: 1, width: 4, labels: [3, 3, 3, 3])
    XCTAssertEqual(try single.adjustedRandIndex(with: single), 1)
    XCTAssertThrowsError(try a.adjustedRandIndex(with: single)) {
      XCTAssertEqual($0 as? SegmentationError, .sizeMismatch(segmentation: [1, 4], image: [2, 3]))
    }
  }

  func testBadLabelsThrow() {
    XCTAssertThrowsError(try SuperpixelMap(height: 2, width: 2, labels: [0, 1, 2])) {
      XCTAssertEqual($0 as? SegmentationError, .wrongLabelCount(expected: 4, found: 3))
    }
    XCTAssertThrowsError(try SuperpixelMap(height: 0, width: 2, labels: [])) {
      XCTAssertEqual($0 as? SegmentationError, .emptyImage)
    }
    XCTAssertThrowsError(try SuperpixelMap(Tensor(zeros: [2, 2, 1]))) {
      XCTAssertEqual($0 as? SegmentationError, .wrongShape([2, 2, 1]))
    }
    XCTAssertThrowsError(try SuperpixelMap(Tensor(shape: [1, 2], scalars: [0, 0.5]))) {
      XCTAssertEqual($0 as? SegmentationError, .nonIntegerLabel(0.5))
    }
  }
}
