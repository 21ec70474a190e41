import Foundation
import TestSupport
import XCTest

final class StudyCommandTests: XCTestCase {
  private struct Rate: Decodable {
    var count: Int
    var total: Int
    var low: Double
    var high: Double
  }
  private struct Annotator: Decodable {
    var name: String
    var judged: Int
    var rectifiedError: Rate
  }
  private struct Pair: Decodable {
    var first: String
    var second: String
    var exact: Rate
    var kappa: Double?
  }
  private struct Score: Decodable {
    var study: String
    var population: Int
    var top1Error: Rate
    var annotators: [Annotator]
    var majorityRectifiedError: Rate
    var pairs: [Pair]
    var agreement: Rate?
  }

  private func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("demo-study-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
  }

  func testScoresHandMadeVerdictFiles() throws {
    let run = try runDemo([
      "study", "score", "Tests/Fixtures/Mistakes/verdicts/ada.json",
      "Tests/Fixtures/Mistakes/verdicts/bob.json", "--json",
    ])

    XCTAssertEqual(run.status, 0, run.standardError)
    let score = try JSONDecoder().decode(Score.self, from: Data(run.standardOutput.utf8))
    XCTAssertEqual(score.study, "hand-made")
    XCTAssertEqual([score.top1Error.count, score.top1Error.total], [3, 10])
    XCTAssertEqual(score.annotators.map(\.name), ["Ada", "Bob"])
    XCTAssertEqual(score.annotators.map(\.rectifiedError.count), [1, 2])
    // Majority of two: a mistake needs both to accept it; only i3 is accepted by both.
    XCTAssertEqual(score.majorityRectifiedError.count, 2)
    XCTAssertEqual(score.pairs.map(\.exact.count), [2])
    XCTAssertEqual(try XCTUnwrap(score.pairs[0].kappa), 3.0 / 11, accuracy: 1e-12)
    XCTAssertEqual(score.agreement?.total, 4)
  }

  func testTheTableAndATypedErrorForMixedStudies() throws {
    let table = try runDemo(["study", "score", "Tests/Fixtures/Mistakes/verdicts/ada.json"])
    XCTAssertEqual(table.status, 0, table.standardError)
    XCTAssertTrue(table.standardOutput.contains("rectified error           1/10  10.0%"), table.standardOutput)

    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let other = folder.appendingPathComponent("other.json")
    let text = try String(
      contentsOf: fixtureURL("Mistakes/verdicts/bob.json"), encoding: .utf8
    ).replacingOccurrences(of: "\"hand-made\"", with: "\"another study\"")
    try text.write(to: other, atomically: true, encoding: .utf8)
    let mixed = try runDemo(["study", "score", "Tests/Fixtures/Mistakes/verdicts/ada.json", other.path])
    XCTAssertNotEqual(mixed.status, 0)
    XCTAssertTrue(mixed.standardError.contains("study 'another study' differs"), mixed.standardError)
  }

  /// The whole loop: make the page from the labelled photographs, let headless chromium judge the
  /// two mistakes through the page's own buttons and keys, score the saved file.
  func testMakeJudgeInChromiumAndScore() throws {
    // Arrange
    _ = try HeadlessChromium.required()
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let page = folder.appendingPathComponent("study.html")

    // Act 1: the page of the mistakes, with saliency explanations.
    let make = try runDemo([
      "study", "make", "Assets/images", "--labels", "Tests/Fixtures/Mistakes/photographs.csv",
      "--output", page.path, "--mistakes-only", "--explanations", "saliency", "--json", "--quiet",
    ])

    // Assert 1
    XCTAssertEqual(make.status, 0, make.standardError)
    let summary = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(make.standardOutput.utf8)) as? [String: Any])
    XCTAssertEqual(summary["study"] as? String, "photographs")
    XCTAssertEqual(summary["items"] as? Int, 2)
    XCTAssertEqual(summary["population"] as? Int, 5)
    let html = try String(contentsOf: page, encoding: .utf8)
    XCTAssertEqual(html.components(separatedBy: "data:image/jpeg;base64,").count - 1, 4)

    // Act 2: chelsea.png (tiger cat) acceptable with the key 2, grace_hopper.jpg wrong by button.
    let dom = try HeadlessChromium.dumpDOM(
      of: page.absoluteString
        + HeadlessChromium.autotestFragment(["name:tester", "key:2", "click:verdict-wrong"]),
      profile: folder.appendingPathComponent("profile"))
    let saved = folder.appendingPathComponent("verdicts.json")
    let json = try XCTUnwrap(HeadlessChromium.element("pre", id: "verdicts-json", in: dom))
    try Data(HeadlessChromium.unescaped(json).utf8).write(to: saved)
    let score = try runDemo(["study", "score", saved.path, "--json"])

    // Assert 2: 2 mistakes of 5, one accepted → rectified error 1/5.
    XCTAssertEqual(score.status, 0, score.standardError)
    let result = try JSONDecoder().decode(Score.self, from: Data(score.standardOutput.utf8))
    XCTAssertEqual(result.study, "photographs")
    XCTAssertEqual([result.top1Error.count, result.top1Error.total], [2, 5])
    XCTAssertEqual(result.annotators.map(\.name), ["tester"])
    XCTAssertEqual(result.annotators[0].judged, 2)
    XCTAssertEqual([result.annotators[0].rectifiedError.count, result.annotators[0].rectifiedError.total], [1, 5])
  }

  func testAnInvalidVerdictFileIsANamedError() throws {
    let run = try runDemo(["study", "score", "Tests/Fixtures/Mistakes/photographs.csv"])

    XCTAssertNotEqual(run.status, 0)
    XCTAssertTrue(run.standardError.contains("photographs.csv: not a verdict file"), run.standardError)
  }
}
