import Foundation
import Imaging
import Models
import Tensor
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
    var lime: Lime?
  }

  private struct Lime: Decodable {
    var weights: [Double]
    var intercept: Double
    var r2: Double
    var localPrediction: Double
    var segments: Int
    var samples: Int
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
    let run = try runDemo(["explain", "Tests/Fixtures/Lite0/coffee.png", "--method", "magic"])

    XCTAssertEqual(run.status, 64, run.standardError)
  }

  func testLIMEOnGivenSegmentsReportsOneWeightPerSuperpixelAndRepeatsWithTheSeed() throws {
    // Arrange
    let output = FileManager.default.temporaryDirectory
      .appendingPathComponent("demo-lime-\(ProcessInfo.processInfo.processIdentifier).png")
    defer { try? FileManager.default.removeItem(at: output) }
    let arguments = [
      "explain", "Tests/Fixtures/Lite0/coffee.png", "--method", "lime", "--segments",
      "Tests/Fixtures/LIME/coffee_quickshift.npy", "--samples", "100", "--seed", "3", "--json",
      "--quiet", "--output", output.path,
    ]

    // Act
    let first = try runDemo(arguments)
    let second = try runDemo(arguments)

    // Assert
    XCTAssertEqual(first.status, 0, first.standardError)
    XCTAssertEqual(first.standardError, "")  // --quiet
    let summary = try JSONDecoder().decode(Summary.self, from: Data(first.standardOutput.utf8))
    XCTAssertEqual(summary.method, "lime")
    XCTAssertEqual(summary.target, 967)
    let lime = try XCTUnwrap(summary.lime)
    XCTAssertEqual(lime.segments, 29)
    XCTAssertEqual(lime.samples, 100)
    XCTAssertEqual(lime.weights.count, 29)
    XCTAssertTrue(lime.r2.isFinite && lime.r2 <= 1)
    XCTAssertEqual(
      lime.localPrediction, lime.intercept + lime.weights.reduce(0, +), accuracy: 1e-9)
    // The map is the weight of each pixel's superpixel: its maximum is the largest weight.
    XCTAssertEqual(summary.map.max, lime.weights.max()!, accuracy: 1e-6)
    let again = try JSONDecoder().decode(Summary.self, from: Data(second.standardOutput.utf8))
    XCTAssertEqual(again.lime?.weights, lime.weights)
    XCTAssertEqual(try ImageFile.decode(contentsOf: output).shape, [3, 224, 3 * 224 + 8])
  }

  func testLIMEWithoutSegmentsUsesQuickshiftSuperpixels() throws {
    let output = FileManager.default.temporaryDirectory
      .appendingPathComponent("demo-lime-qs-\(ProcessInfo.processInfo.processIdentifier).png")
    defer { try? FileManager.default.removeItem(at: output) }

    let run = try runDemo([
      "explain", "Tests/Fixtures/Lite0/coffee.png", "--method", "lime", "--samples", "50",
      "--json", "--quiet", "--output", output.path,
    ])

    XCTAssertEqual(run.status, 0, run.standardError)
    let summary = try JSONDecoder().decode(Summary.self, from: Data(run.standardOutput.utf8))
    let lime = try XCTUnwrap(summary.lime)
    // scikit-image finds 29 quickshift superpixels on this crop; a Swift port lands close.
    XCTAssertTrue((15...60).contains(lime.segments), "\(lime.segments) superpixels")
    XCTAssertEqual(lime.weights.count, lime.segments)
  }

  func testLIMEWithSegmentsOfTheWrongSizeNamesTheFileAndBothSizes() throws {
    let segments = FileManager.default.temporaryDirectory
      .appendingPathComponent("demo-segments-\(ProcessInfo.processInfo.processIdentifier).npy")
    defer { try? FileManager.default.removeItem(at: segments) }
    try NumPyArray.write(Tensor(zeros: [10, 12]), to: segments)

    let run = try runDemo([
      "explain", "Tests/Fixtures/Lite0/coffee.png", "--method", "lime", "--segments",
      segments.path, "--samples", "10",
    ])

    XCTAssertNotEqual(run.status, 0)
    XCTAssertTrue(run.standardError.contains(segments.path), run.standardError)
    XCTAssertTrue(run.standardError.contains("[10, 12]"), run.standardError)
    XCTAssertTrue(run.standardError.contains("[224, 224]"), run.standardError)
  }
}
