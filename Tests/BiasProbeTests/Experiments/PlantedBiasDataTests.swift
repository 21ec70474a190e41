import BiasProbe
import Models
import Tensor
import XCTest

final class PlantedBiasDataTests: XCTestCase {
  private func dataset() -> ImageDataset {
    // 40 images of class 0 and 60 of classes 1–2, all black.
    let labels = (0..<100).map { $0 < 40 ? 0 : 1 + $0 % 2 }
    return ImageDataset(
      images: Tensor(zeros: [100, 1, 8, 8]), labels: labels, classNames: ["a", "b", "c"])
  }

  func testMarksExactlyTheRoundedShareOfEachGroupAndStampsThoseImages() {
    var rng = SeededGenerator(seed: 3)
    let cue = PlantedCue(side: 2, value: 1, corner: .topLeft, margin: 0)
    let planted = PlantedBiasData(
      dataset(), cue: cue, cueClass: 0, shareInClass: 0.9, shareElsewhere: 0.05, using: &rng)
    let labels = planted.dataset.labels
    XCTAssertEqual(labels.indices.filter { labels[$0] == 0 && planted.hasCue[$0] }.count, 36)
    XCTAssertEqual(labels.indices.filter { labels[$0] != 0 && planted.hasCue[$0] }.count, 3)
    XCTAssertEqual(planted.cueCount, 39)
    let pixels = planted.dataset.images.scalars
    for index in labels.indices {
      XCTAssertEqual(pixels[index * 64], planted.hasCue[index] ? 1 : 0, "image \(index)")
    }
  }

  func testSameSeedMarksTheSameImagesAndAnotherSeedOthers() {
    let cue = PlantedCue(side: 2, corner: .topLeft, margin: 0)
    func flags(_ seed: UInt64) -> [Bool] {
      var rng = SeededGenerator(seed: seed)
      return PlantedBiasData(
        dataset(), cue: cue, cueClass: 0, shareInClass: 0.5, shareElsewhere: 0.1, using: &rng
      ).hasCue
    }
    XCTAssertEqual(flags(7), flags(7))
    XCTAssertNotEqual(flags(7), flags(8))
  }
}
