import Foundation
import TestSupport
import XCTest

final class BiasExperimentCommandTests: XCTestCase {
  func testTinyRunPrintsJSONWithBothModelsAndWritesPictures() throws {
    // Arrange
    let output = FileManager.default.temporaryDirectory
      .appendingPathComponent("demo-bias-\(ProcessInfo.processInfo.processIdentifier)")
    defer { try? FileManager.default.removeItem(at: output) }

    // Act: a run far too small to learn much, but every step of the pipeline runs.
    let run = try runDemo([
      "bias-experiment", "--train-size", "300", "--test-size", "500", "--epochs", "1",
      "--json", "--quiet", "--output", output.path,
    ])

    // Assert
    XCTAssertEqual(run.status, 0, run.standardError)
    XCTAssertEqual(run.standardError, "", "--quiet prints nothing on stderr")
    let object = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
    XCTAssertEqual(object["trainingImages"] as? Int, 300)
    XCTAssertEqual(object["probeImages"] as? Int, 500)
    for model in ["biased", "control"] {
      let findings = try XCTUnwrap(object[model] as? [String: Any], model)
      for key in [
        "cueFlip", "predictedSelection", "selection", "adversarial", "saliency", "statistics",
      ] {
        XCTAssertNotNil(findings[key] as? [String: Any], "\(model).\(key)")
      }
    }
    let pictures = try XCTUnwrap(object["pictures"] as? [String])
    XCTAssertTrue(pictures.contains { $0.hasSuffix("saliency-biased-vs-control.png") })
    XCTAssertTrue(pictures.contains { $0.hasSuffix("predicted-prototypes-criticisms-biased.png") })
    for path in pictures {
      XCTAssertTrue(FileManager.default.fileExists(atPath: path), path)
    }
  }

  func testRejectsAClassOutsideFashionMNIST() throws {
    let run = try runDemo(["bias-experiment", "--cue-class", "12"])
    XCTAssertNotEqual(run.status, 0)
    XCTAssertTrue(run.standardError.contains("--cue-class"), run.standardError)
  }
}
