import Explain
import Tensor
import XCTest

final class GridSegmenterTests: XCTestCase {
  func testCellsAreRowMajorSquares() throws {
    let map = try GridSegmenter(cellSize: 2).segment(Tensor(zeros: [3, 3, 5]))
    XCTAssertEqual(map.count, 6)
    XCTAssertEqual(
      map.labels,
      [
        0, 0, 1, 1, 2,
        0, 0, 1, 1, 2,
        3, 3, 4, 4, 5,
      ])
    XCTAssertEqual(map.sizes, [4, 4, 2, 2, 2, 1])
  }

  func testImageNetInputGives49Cells() throws {
    let map = try GridSegmenter(cellSize: 32).segment(Tensor(zeros: [3, 224, 224]))
    XCTAssertEqual(map.count, 49)
    XCTAssertEqual(Set(map.sizes), [1024])
    // The same map as SuperpixelMap's general initializer builds from the formula.
    let labels = (0..<(224 * 224)).map { ($0 / 224 / 32) * 7 + ($0 % 224) / 32 }
    XCTAssertEqual(map, try SuperpixelMap(height: 224, width: 224, labels: labels))
  }

  func testCellLargerThanImageIsOneSegment() throws {
    let map = try GridSegmenter(cellSize: 100).segment(Tensor(zeros: [3, 1, 7]))
    XCTAssertEqual(map.count, 1)
    XCTAssertEqual(map.labels, [Int32](repeating: 0, count: 7))
  }

  func testBadInputThrows() {
    XCTAssertThrowsError(try GridSegmenter(cellSize: 0).segment(Tensor(zeros: [3, 4, 4]))) {
      XCTAssertEqual(
        $0 as? SegmentationError, .invalidParameter("cellSize must be at least 1, not 0"))
    }
    XCTAssertThrowsError(try GridSegmenter(cellSize: 2).segment(Tensor(zeros: [4, 4]))) {
      XCTAssertEqual($0 as? SegmentationError, .wrongShape([4, 4]))
    }
    XCTAssertThrowsError(
      try GridSegmenter(cellSize: 2).segment(Tensor(shape: [1, 1, 2], scalars: [0, .nan]))
    ) {
      XCTAssertEqual($0 as? SegmentationError, .nonFiniteInput)
    }
  }
}
