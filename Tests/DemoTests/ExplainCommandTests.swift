import Foundation
import Imaging
import TestSupport
import XCTest

final class ExplainCommandTests: XCTestCase {
  private struct Summary: Decodable {
    struct Map: Decodable {
      var height: Int
      var width: Int
      var sum: Double
      var max: Double
      var top: [Int]
    }
    var file: String
    var method: String
    var target: Int
    var label: String
    var output: String
    var map: Map
  }

  func testGradCAMOfTheCoffeeCropExplainsEspressoAndWritesAPanel() throws {
    // Arrange
    let output = FileManager.default.temporaryDirectory
      .appendingPathComponent("demo-explain-\(ProcessInfo.processInfo.processIdentifier).png")
    defer { try? FileManager.default.removeItem(at: output) }

    // Act
    let run = try runDemo([
      "explain", "Tests/Fixtures/Lite0/coffee.png", "--method", "gradcam", "--json",
      "--output", output.path,
    ])

    // Assert
    XCTAssertEqual(run.status, 0, run.standardError)
    let summary = try JSONDecoder().decode(Summary.self, from: Data(run.standardOutput.utf8))
    XCTAssertEqual(summary.target, 967)
    XCTAssertEqual(summary.label, "espresso")
    XCTAssertEqual([summary.map.height, summary.map.width], [224, 224])
    XCTAssertEqual(summary.map.top.count, 100)
    XCTAssertGreaterThan(summary.map.max, 0)
    let panel = try ImageFile.decode(contentsOf: output)
    XCTAssertEqual(panel.shape, [3, 224, 3 * 224 + 8])
  }

  func testAMissingFileIsAOneLineErrorAndExitCodeOne() throws {
    let run = try runDemo(["explain", "no-such-photo.png", "--method", "saliency"])

    XCTAssertNotEqual(run.status, 0)
    XCTAssertTrue(run.standardError.contains("no-such-photo.png"), run.standardError)
  }

  func testAnUnknownMethodIsAUsageError() throws {
    let run = try runDemo(["explain", "Tests/Fixtures/Lite0/coffee.png", "--method", "lime"])

    XCTAssertEqual(run.status, 64, run.standardError)
  }
}
