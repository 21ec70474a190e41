import Foundation
import Imaging
import Models
import Tensor
import TestSupport
import XCTest

@testable import BiasProbe

/// The bundled photographs with an ImageNet class (Tests/Fixtures/Mistakes/photographs.csv) and
/// EfficientNet-Lite0, loaded once.
enum PhotographFixture {
  static let loaded: Result<(Classifier, [LabelledImage]), any Error> = Result {
    let assets = repositoryRoot.appendingPathComponent("Assets")
    let classifier = try Classifier.efficientNetLite0(
      weights: assets.appendingPathComponent("models/efficientnet-lite0.pth"),
      labels: assets.appendingPathComponent("labels/imagenet_classes.txt"))
    let images = try LabelFile.read(
      contentsOf: fixtureURL("Mistakes/photographs.csv"),
      folder: assets.appendingPathComponent("images"), classNames: classifier.classNames,
      classIDs: ClassHierarchy.readIDs(
        contentsOf: assets.appendingPathComponent("labels/imagenet_wnids.txt")))
    return (classifier, images)
  }

  static func load(file: StaticString = #filePath, line: UInt = #line) throws -> (
    Classifier, [LabelledImage]
  ) {
    _ = try assetURL("models/efficientnet-lite0.pth", file: file, line: line)
    return try loaded.get()
  }
}

final class EvaluationRunnerTests: XCTestCase {
  func testLite0OnTheLabelledPhotographs() throws {
    // Arrange
    let (classifier, images) = try PhotographFixture.load()
    var reports: [WorkProgress] = []

    // Act: batches of 2 (3 batches for 5 photographs).
    let evaluation = try EvaluationRunner(classifier: classifier, batchSize: 2, top: 5)
      .evaluate(images) { reports.append($0) }

    // Assert: espresso, tripod and palace right; the tabby is called "tiger cat" and Grace
    // Hopper's uniform an "academic gown", both with the true class in the top 5.
    XCTAssertEqual(evaluation.items.map(\.name), images.map(\.name))
    XCTAssertEqual(
      evaluation.items.map(\.predictedClass), [967, 282, 400, 872, 698],
      evaluation.items.map { "\($0.name): \($0.predictions[0].label)" }.joined(separator: ", "))
    XCTAssertEqual(evaluation.top1Error, Proportion(successes: 2, trials: 5))
    XCTAssertEqual(evaluation.topKError(5), Proportion(successes: 0, trials: 5))
    XCTAssertEqual(evaluation.mostConfused(5).map { [$0.trueClass, $0.predictedClass, $0.count] },
                   [[281, 282, 1], [652, 400, 1]])
    XCTAssertEqual(evaluation.items[0].predictions[0].probability, 0.95, accuracy: 0.02)
    XCTAssertEqual(reports.map(\.completed), [0, 2, 4, 5])
    XCTAssertTrue(reports.allSatisfy { $0.total == 5 && $0.stage == "evaluation" })
  }

  func testBatchSizeDoesNotChangeTheAnswers() throws {
    let (classifier, images) = try PhotographFixture.load()

    let one = try EvaluationRunner(classifier: classifier, batchSize: 1, top: 3).evaluate(images)
    let all = try EvaluationRunner(classifier: classifier, batchSize: 8, top: 3).evaluate(images)

    XCTAssertEqual(one.items.map { $0.predictions.map(\.index) }, all.items.map { $0.predictions.map(\.index) })
    for (a, b) in zip(one.items, all.items) {
      XCTAssertEqual(a.predictions[0].probability, b.predictions[0].probability, accuracy: 1e-4)
    }
  }

  func testAnInMemoryDatasetGivesTheSameAnswersAsTheFiles() throws {
    // Arrange: the five photographs, preprocessed and stacked into one [5, 3, 224, 224] tensor.
    let (classifier, images) = try PhotographFixture.load()
    let runner = EvaluationRunner(classifier: classifier, batchSize: 3, top: 5)
    let stacked = Tensor.stack(try images.map {
      try classifier.preprocessing(ImageFile.decode(contentsOf: $0.url))
    })
    var reports: [Int] = []

    // Act
    let fromFiles = try runner.evaluate(images)
    let fromTensor = try runner.evaluate(
      images: stacked, trueClasses: images.map(\.trueClass)) { reports.append($0.completed) }

    // Assert
    XCTAssertEqual(fromTensor.items.map(\.name), ["0", "1", "2", "3", "4"])
    XCTAssertEqual(
      fromTensor.items.map { $0.predictions.map(\.index) },
      fromFiles.items.map { $0.predictions.map(\.index) })
    XCTAssertEqual(fromTensor.top1Error, Proportion(successes: 2, trials: 5))
    XCTAssertEqual(reports, [0, 3, 5])
    XCTAssertThrowsError(
      try runner.evaluate(images: stacked, trueClasses: [0, 1, 2, 3, 1000])
    ) {
      XCTAssertEqual($0 as? EvaluationError, .classOutOfRange(name: "4", trueClass: 1000, classCount: 1000))
    }
  }

  func testAnUndecodableImageIsAnErrorNamingTheFile() throws {
    let (classifier, _) = try PhotographFixture.load()
    let broken = FileManager.default.temporaryDirectory
      .appendingPathComponent("broken-\(ProcessInfo.processInfo.processIdentifier).png")
    try Data("not a png".utf8).write(to: broken)
    defer { try? FileManager.default.removeItem(at: broken) }
    let images = [LabelledImage(name: "broken.png", url: broken, trueClass: 0, line: 1)]

    XCTAssertThrowsError(try EvaluationRunner(classifier: classifier).evaluate(images)) {
      XCTAssertTrue("\($0)".contains(broken.path), "\($0)")
    }
    let outOfRange = [LabelledImage(name: "x.png", url: broken, trueClass: 1000, line: 1)]
    XCTAssertThrowsError(try EvaluationRunner(classifier: classifier).evaluate(outOfRange)) {
      XCTAssertEqual($0 as? EvaluationError, .classOutOfRange(name: "x.png", trueClass: 1000, classCount: 1000))
    }
  }
}
