import Foundation
import Imaging
import Models
import Tensor
import TestSupport
import XCTest

/// Runs the built `demo classify` binary on real files and checks its output and exit status.
final class ClassifyCommandTests: XCTestCase {
  private struct Row: Decodable {
    struct Entry: Decodable {
      var index: Int
      var label: String
      var probability: Double
    }
    var file: String
    var top: [Entry]
    var logits: [Float]?
  }

  private func demo(_ arguments: [String]) throws -> DemoRun { try runDemo(arguments) }

  private func rows(_ run: DemoRun) throws -> [Row] {
    try run.lines.map { try JSONDecoder().decode(Row.self, from: Data($0.utf8)) }
  }

  private func temporaryURL(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent(
      "demo-classify-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
  }

  func testHelpDescribesTheOptionsAndExitsZero() throws {
    let run = try demo(["classify", "--help"])

    XCTAssertEqual(run.status, 0)
    for option in ["--model", "--top", "--logits", "--json", "--batch-size", ".npy"] {
      XCTAssertTrue(run.standardOutput.contains(option), option)
    }
  }

  func testCoffeePhotographIsEspressoAsOneJSONLine() throws {
    _ = try assetURL("images/coffee.png")

    let run = try demo(["classify", "--json", "--top", "3", "Assets/images/coffee.png"])

    XCTAssertEqual(run.status, 0, run.standardError)
    let rows = try rows(run)
    XCTAssertEqual(rows.count, 1)
    XCTAssertEqual(rows.first?.file, "Assets/images/coffee.png")
    XCTAssertEqual(rows.first?.top.count, 3)
    XCTAssertEqual(rows.first?.top.first?.index, 967)
    XCTAssertEqual(rows.first?.top.first?.label, "espresso")
    XCTAssertGreaterThan(rows.first?.top.first?.probability ?? 0, 0.9)
    XCTAssertNil(rows.first?.logits)
  }

  func testNumPyImageGetsOnlyTheNormalisationAndGivesTheOnnxRuntimeLogits() throws {
    let crop = try ImageFile.decode(contentsOf: fixtureURL("Lite0/chelsea.png"))
    let url = temporaryURL("chelsea.npy")
    defer { try? FileManager.default.removeItem(at: url) }
    try NumPyArray.write(crop.expandingShape(at: 0), to: url)

    let run = try demo(["classify", "--json", "--logits", url.path])

    XCTAssertEqual(run.status, 0, run.standardError)
    let row = try XCTUnwrap(try rows(run).first)
    let logits = try XCTUnwrap(row.logits)
    let expected = try NumPyArray.read(contentsOf: fixtureURL("Lite0/chelsea.npy")).tensor()
    assertAllClose(
      Tensor(shape: [logits.count], scalars: logits), expected, absoluteTolerance: 1e-3,
      relativeTolerance: 0)
    XCTAssertEqual(row.top.map(\.index), [282, 285, 281, 287, 904])
  }

  func testBadInputsAreReportedOnStderrWhileTheOthersStillRun() throws {
    let text = temporaryURL("notes.png")
    let wrongShape = temporaryURL("small.npy")
    let integers = temporaryURL("integers.npy")
    defer {
      for url in [text, wrongShape, integers] { try? FileManager.default.removeItem(at: url) }
    }
    try Data("not an image".utf8).write(to: text)
    try NumPyArray.write(Tensor(zeros: [3, 32, 32]), to: wrongShape)
    try NumPyArray.write(
      WeightArray(dtype: .uint8, shape: [3, 224, 224], data: Data(count: 3 * 224 * 224)),
      to: integers)
    let missing = "Assets/images/no-such-photo.jpg"

    let run = try demo([
      "classify", "--json", text.path, "Assets/images/coffee.png", wrongShape.path, missing,
      integers.path, "Tests/Fixtures/Lite0/horse.png",
    ])

    XCTAssertEqual(run.status, 1)
    XCTAssertEqual(
      try rows(run).map(\.file), ["Assets/images/coffee.png", "Tests/Fixtures/Lite0/horse.png"])
    let errors = run.standardError.split(separator: "\n")
    XCTAssertEqual(errors.count, 4, run.standardError)
    for (line, name) in zip(errors, [text.path, wrongShape.path, missing, integers.path]) {
      XCTAssertTrue(line.contains(name), "'\(line)' should name \(name)")
    }
    XCTAssertTrue(errors[1].contains("[3, 32, 32]"), String(errors[1]))
  }

  func testTableListsTheTopClassesOfEachInputInOrder() throws {
    let run = try demo([
      "classify", "--top", "2", "--batch-size", "1", "Tests/Fixtures/Lite0/coffee.png",
      "Tests/Fixtures/Lite0/camera.png",
    ])

    XCTAssertEqual(run.status, 0, run.standardError)
    let lines = run.lines
    XCTAssertEqual(lines.count, 6)
    XCTAssertEqual(lines.first, "Tests/Fixtures/Lite0/coffee.png")
    XCTAssertTrue(lines[1].hasSuffix("967  espresso"), lines[1])
    XCTAssertEqual(lines[3], "Tests/Fixtures/Lite0/camera.png")
    XCTAssertTrue(lines[4].hasSuffix("872  tripod"), lines[4])
  }

  func testUnknownModelNameIsRejectedBeforeAnythingRuns() throws {
    let run = try demo(["classify", "--model", "resnet9000", "Assets/images/coffee.png"])

    XCTAssertNotEqual(run.status, 0)
    XCTAssertTrue(run.standardError.contains("lite0"), run.standardError)
    XCTAssertEqual(run.standardOutput, "")
  }
}
