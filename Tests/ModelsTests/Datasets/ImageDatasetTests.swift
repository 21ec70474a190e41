import Models
import Tensor
import TestSupport
import XCTest

final class ImageDatasetTests: XCTestCase {
  /// Five 1×2×2 images whose pixels all equal their index.
  private let dataset = ImageDataset(
    images: Tensor(shape: [5, 1, 2, 2], scalars: (0..<20).map { Float($0 / 4) }),
    labels: [0, 1, 2, 0, 1], classNames: ["a", "b", "c"])

  func testBatchGathersImagesAndLabelsInTheGivenOrder() {
    let (images, labels) = dataset.batch(at: [4, 0, 4])

    XCTAssertEqual(images.shape, [3, 1, 2, 2])
    XCTAssertEqual(images.scalars, [4, 4, 4, 4, 0, 0, 0, 0, 4, 4, 4, 4])
    XCTAssertEqual(labels, [1, 0, 1])
  }

  func testSubsetKeepsTheRangeAndTheClassNames() {
    let subset = dataset.subset(1..<4)

    XCTAssertEqual(subset.count, 3)
    XCTAssertEqual(subset.labels, [1, 2, 0])
    XCTAssertEqual(subset.images.scalars, (4..<16).map { Float($0 / 4) })
    XCTAssertEqual(subset.classNames, ["a", "b", "c"])
    XCTAssertEqual(subset.batch(at: [0]).images.scalars, [1, 1, 1, 1])
  }

  func testClassCountsAndImageShape() {
    XCTAssertEqual(dataset.classCounts, [2, 2, 1])
    XCTAssertEqual(dataset.imageShape, [1, 2, 2])
  }
}
