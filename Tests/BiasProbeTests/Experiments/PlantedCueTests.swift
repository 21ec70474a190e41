import BiasProbe
import Tensor
import XCTest

final class PlantedCueTests: XCTestCase {
  func testRegionSitsMarginAwayFromEachCorner() {
    let expected: [PlantedCue.Corner: (Range<Int>, Range<Int>)] = [
      .topLeft: (1..<5, 1..<5), .topRight: (1..<5, 23..<27),
      .bottomLeft: (23..<27, 1..<5), .bottomRight: (23..<27, 23..<27),
    ]
    for (corner, (rows, columns)) in expected {
      let region = PlantedCue(side: 4, corner: corner, margin: 1).region(height: 28, width: 28)
      XCTAssertEqual(region.rows, rows, "\(corner)")
      XCTAssertEqual(region.columns, columns, "\(corner)")
    }
  }

  func testMaskCoversExactlyTheSquareAndAreaShareMatches() {
    let cue = PlantedCue(side: 3, corner: .bottomRight, margin: 2)
    let mask = cue.mask(height: 10, width: 8).scalars
    XCTAssertEqual(mask.reduce(0, +), 9)
    XCTAssertEqual(mask[(10 - 2 - 1) * 8 + (8 - 2 - 1)], 1)  // the square's last pixel
    XCTAssertEqual(mask[(10 - 2) * 8 + (8 - 2)], 0)  // inside the margin
    XCTAssertEqual(cue.areaShare(height: 10, width: 8), 9.0 / 80, accuracy: 1e-12)
  }

  func testAppliedWritesTheValueInEveryChannelOfMarkedImagesOnly() {
    let images = Tensor(shape: [2, 3, 6, 6], repeating: 0.25)
    let cue = PlantedCue(side: 2, value: 0.75, corner: .topLeft, margin: 0)
    let marked = cue.applied(to: images, where: [false, true])
    let values = marked.scalars
    let plane = 36
    for k in 0..<3 {
      XCTAssertEqual(values[(0 * 3 + k) * plane + 0], 0.25, "unmarked image, channel \(k)")
      XCTAssertEqual(values[(1 * 3 + k) * plane + 0], 0.75, "marked image, channel \(k)")
      XCTAssertEqual(values[(1 * 3 + k) * plane + 1 * 6 + 1], 0.75)
      XCTAssertEqual(values[(1 * 3 + k) * plane + 2 * 6 + 2], 0.25, "outside the square")
    }
    XCTAssertEqual(images.scalars.allSatisfy { $0 == 0.25 }, true, "the input is left alone")
  }
}
