import Foundation
import TestSupport
import XCTest

final class EvaluateCommandTests: XCTestCase {
  private struct Rate: Decodable {
    var errors: Int
    var images: Int
    var rate: Double
    var low: Double
    var high: Double
  }
  private struct Confused: Decodable {
    var `true`: Int
    var predicted: Int
    var predictedLabel: String
    var count: Int
    var distance: Int
    var ancestor: String
    var kind: String
  }
  private struct PerClass: Decodable {
    var index: Int
    var label: String
    var top1Error: Rate
  }
  private struct Report: Decodable {
    var images: Int
    var top: Int
    var top1Error: Rate
    var topKError: Rate
    var perClass: [PerClass]
    var confused: [Confused]
    var mistakeKinds: [String: Int]
  }

  func testEvaluatesTheLabelledPhotographsWithWordNetDistances() throws {
    // Act: 5 photographs in batches of 2.
    let run = try runDemo([
      "evaluate", "Assets/images", "--labels", "Tests/Fixtures/Mistakes/photographs.csv",
      "--batch-size", "2", "--json", "--quiet",
    ])

    // Assert
    XCTAssertEqual(run.status, 0, run.standardError)
    XCTAssertEqual(run.standardError, "")
    let report = try JSONDecoder().decode(Report.self, from: Data(run.standardOutput.utf8))
    XCTAssertEqual(report.images, 5)
    XCTAssertEqual(report.top, 5)
    XCTAssertEqual([report.top1Error.errors, report.top1Error.images], [2, 5])
    XCTAssertEqual(report.top1Error.low, 0.1176, accuracy: 1e-4)  // Wilson 95% of 2/5
    XCTAssertEqual(report.top1Error.high, 0.7693, accuracy: 1e-4)
    XCTAssertEqual(report.topKError.errors, 0)
    XCTAssertEqual(report.perClass.map(\.index), [281, 652, 698, 872, 967])
    XCTAssertEqual(report.perClass.map(\.top1Error.errors), [1, 1, 0, 0, 0])
    // The tabby taken for a tiger cat is a neighbour (both domestic cats); Grace Hopper's
    // uniform taken for an academic gown shares only "clothing", 5 edges away.
    let pairs = Dictionary(uniqueKeysWithValues: report.confused.map { ($0.true, $0) })
    XCTAssertEqual(pairs[281]?.predictedLabel, "tiger cat")
    XCTAssertEqual(pairs[281]?.distance, 2)
    XCTAssertEqual(pairs[281]?.ancestor, "domestic cat")
    XCTAssertEqual(pairs[281]?.kind, "neighbour")
    XCTAssertEqual(pairs[652]?.predictedLabel, "academic gown")
    XCTAssertEqual(pairs[652]?.distance, 5)
    XCTAssertEqual(pairs[652]?.ancestor, "clothing")
    XCTAssertEqual(pairs[652]?.kind, "different")
    XCTAssertEqual(report.mistakeKinds, ["neighbour": 1, "related": 0, "different": 1])
  }

  func testTheTableNamesTheErrorsAndTheConfusedPairs() throws {
    let run = try runDemo([
      "evaluate", "Assets/images", "--labels", "Tests/Fixtures/Mistakes/photographs.csv", "--top", "3",
    ])

    XCTAssertEqual(run.status, 0, run.standardError)
    XCTAssertTrue(run.standardOutput.contains("top-1 error  2/5   40.0% [11.8%, 76.9%]"), run.standardOutput)
    XCTAssertTrue(run.standardOutput.contains("top-3 error  0/5"), run.standardOutput)
    XCTAssertTrue(
      run.standardOutput.contains("tabby → tiger cat: 1, neighbour, distance 2 via domestic cat"),
      run.standardOutput)
    XCTAssertTrue(run.standardError.contains("evaluation: 5/5"), run.standardError)
  }

  func testABadLabelRowIsAnErrorNamingFileAndLine() throws {
    let labels = FileManager.default.temporaryDirectory
      .appendingPathComponent("bad-labels-\(ProcessInfo.processInfo.processIdentifier).csv")
    try "filename,label\ncoffee.png,espresso\nchelsea.png,unicorn\n".write(
      to: labels, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: labels) }

    let run = try runDemo(["evaluate", "Assets/images", "--labels", labels.path, "--quiet"])

    XCTAssertNotEqual(run.status, 0)
    XCTAssertTrue(
      run.standardError.contains("\(labels.path):3: 'unicorn' is not a class index"), run.standardError)
  }

  func testMissingLabelsIsAUsageError() throws {
    let run = try runDemo(["evaluate", "Assets/images"])

    XCTAssertEqual(run.status, 64, run.standardError)
    XCTAssertTrue(run.standardError.contains("--labels"), run.standardError)
  }
}
