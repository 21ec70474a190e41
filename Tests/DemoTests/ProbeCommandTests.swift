import Foundation
import Tensor
import TestSupport
import XCTest

@testable import Models

final class ProbeCommandTests: XCTestCase {
  private struct Report: Decodable {
    var prototypes: [Int]
    var prototypeScores: [Double]
    var criticisms: [Int]
    var criticismScores: [Double]
    var gamma: Double
    var points: Int
  }

  private struct Golden: Decodable {
    struct Case: Decodable {
      let scope: String
      let gamma: Double
      let prototypes: [Int]
      let criticisms: [String: [String: [Double]]]
    }
    let cases: [Case]
  }

  private var folder: URL!

  /// Writes scikit-learn's digits as `digits.npy` `[1797, 64]` and `labels.csv`.
  override func setUpWithError() throws {
    folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("demo-probe-\(ProcessInfo.processInfo.processIdentifier)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let url = try assetURL("digits/digits.csv.gz")
    let text = String(
      decoding: try Gzip.decompress(Data(contentsOf: url), file: url.path, limit: 1 << 24),
      as: UTF8.self)
    var values: [Float] = []
    var labels: [String] = []
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: ",")
      values += fields.dropLast().map { Float($0)! }
      labels.append(String(fields.last!))
    }
    try NumPyArray.write(
      Tensor(shape: [labels.count, 64], scalars: values), to: folder.appendingPathComponent("digits.npy"))
    try labels.joined(separator: "\n").write(
      to: folder.appendingPathComponent("labels.csv"), atomically: true, encoding: .utf8)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: folder)
  }

  func testProbeOfDigitsPrintsTheReferenceIndices() throws {
    // Arrange: the golden indices of the numpy port of mmd.py (global kernel, log-det).
    let golden = try JSONDecoder().decode(
      Golden.self, from: Data(contentsOf: fixtureURL("Criticism/digits_mmd_critic.json")))
    let reference = golden.cases.first { $0.scope == "global" }!

    // Act
    let run = try runDemo([
      "probe", "--features", folder.appendingPathComponent("digits.npy").path,
      "--labels", folder.appendingPathComponent("labels.csv").path,
      "--prototypes", "32", "--criticisms", "10", "--regularizer", "logdet",
      "--gamma", "\(reference.gamma)", "--json",
    ])

    // Assert
    XCTAssertEqual(run.status, 0, run.standardError)
    let report = try JSONDecoder().decode(Report.self, from: Data(run.standardOutput.utf8))
    XCTAssertEqual(report.prototypes, reference.prototypes)
    XCTAssertEqual(
      report.criticisms.map(Double.init), reference.criticisms["logDeterminant"]?["indices"])
    XCTAssertEqual(report.points, 1797)
  }

  func testProbeOfOneClassPrintsRowsOfThatClassWithTheMedianHeuristic() throws {
    let run = try runDemo([
      "probe", "--features", folder.appendingPathComponent("digits.npy").path,
      "--labels", folder.appendingPathComponent("labels.csv").path, "--class", "3",
    ])
    XCTAssertEqual(run.status, 0, run.standardError)
    XCTAssertTrue(run.lines[0].hasPrefix("183 points × 64, global RBF kernel, gamma "), run.lines[0])
    XCTAssertTrue(run.lines[0].hasSuffix("(median heuristic)"))
    // 8 prototypes and 4 criticisms, each row naming a digit 3.
    let rows = run.lines.filter { $0.hasPrefix("  ") && !$0.contains("rank") }
    XCTAssertEqual(rows.count, 12)
    XCTAssertTrue(rows.allSatisfy { $0.split(separator: " ")[2] == "3" }, "\(rows)")
  }

  func testBadInputsFailWithAMessage() throws {
    let missingLabels = try runDemo([
      "probe", "--features", folder.appendingPathComponent("digits.npy").path, "--kernel", "local",
    ])
    XCTAssertNotEqual(missingLabels.status, 0)
    XCTAssertTrue(missingLabels.standardError.contains("need --labels"), missingLabels.standardError)

    let wrongFile = try runDemo([
      "probe", "--features", folder.appendingPathComponent("labels.csv").path,
    ])
    XCTAssertNotEqual(wrongFile.status, 0)
    XCTAssertTrue(wrongFile.standardError.contains("labels.csv"), wrongFile.standardError)
  }
}
