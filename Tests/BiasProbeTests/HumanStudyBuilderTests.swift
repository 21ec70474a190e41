import Explain
import Foundation
import Imaging
import Models
import TestSupport
import XCTest

@testable import BiasProbe

final class HumanStudyBuilderTests: XCTestCase {
  func testAStudyOfTheMistakesWithSaliencyAndWordNetNotes() throws {
    // Arrange: Lite0's evaluation of the labelled photographs (2 mistakes of 5).
    let (classifier, images) = try PhotographFixture.load()
    let evaluation = try EvaluationRunner(classifier: classifier).evaluate(images)
    let builder = HumanStudyBuilder(
      preprocessing: classifier.preprocessing, explanation: Saliency(classifier: classifier),
      hierarchy: try WordNetFixture.load(), mistakesOnly: true)

    // Act
    let study = try builder.study(
      id: "photographs", title: "Lite0's mistakes", evaluation: evaluation, images: images,
      showsLabels: true)

    // Assert
    XCTAssertEqual(study.population, 5)
    XCTAssertEqual(study.items.map(\.id), ["chelsea.png", "grace_hopper.jpg"])
    XCTAssertEqual(study.items.map(\.answer), ["tiger cat", "academic gown"])
    XCTAssertEqual(study.items.map(\.label), ["tabby", "military uniform"])
    XCTAssertTrue(study.items.allSatisfy(\.isMistake))
    XCTAssertEqual(
      study.items[0].note, "WordNet: neighbour, distance 2 through 'domestic cat'")
    for item in study.items {
      XCTAssertEqual(item.image.mediaType, "image/jpeg")
      XCTAssertEqual(try ImageFile.decode(item.image.data).shape, [3, 224, 224])
      let explanation = try XCTUnwrap(item.explanation)
      XCTAssertEqual(try ImageFile.decode(explanation.data).shape, [3, 224, 224])
      XCTAssertNotEqual(explanation.data, item.image.data)
    }
  }

  func testAllImagesWithoutLabelsOrExplanations() throws {
    let (classifier, images) = try PhotographFixture.load()
    let evaluation = try EvaluationRunner(classifier: classifier).evaluate(images)

    let study = try HumanStudyBuilder(preprocessing: classifier.preprocessing)
      .study(id: "all", title: "All", evaluation: evaluation, images: images)

    XCTAssertEqual(study.items.count, 5)
    XCTAssertEqual(study.items.map(\.isMistake), [false, true, true, false, false])
    XCTAssertFalse(study.showsLabels)
    XCTAssertTrue(study.items.allSatisfy { $0.explanation == nil && $0.note.isEmpty })
  }
}
