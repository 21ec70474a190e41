import Foundation
import Imaging
import TestSupport
import XCTest

/// Runs the built `demo attack` and `demo bench-attacks` on the bundled photographs.
final class AttackCommandTests: XCTestCase {
  private struct Summary: Decodable {
    struct Entry: Decodable {
      var index: Int
      var label: String
      var probability: Double
    }
    var file: String
    var method: String
    var original: Entry
    var adversarial: Entry
    var success: Bool
    var l2: Double
    var linf: Double
    var rho: Double
    var iterations: Int
    var target: Int?
    var output: String
    var perturbation: String
  }

  private struct ClassifyRow: Decodable {
    struct Entry: Decodable { var index: Int }
    var top: [Entry]
  }

  private func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent(
      "demo-attack-\(ProcessInfo.processInfo.processIdentifier)-\(name)"
    ).path
  }

  func testHelpListsTheMethodsAndOptions() throws {
    let run = try runDemo(["attack", "--help"])

    XCTAssertEqual(run.status, 0)
    for text in [
      "fgsm|bim|pgd|deepfool", "--epsilon", "--step-size", "--steps", "--norm", "--target",
      "--seed", "--output", "--json", "--quiet", ".npy",
    ] {
      XCTAssertTrue(run.standardOutput.contains(text), text)
    }
  }

  func testDeepFoolWritesAnExactNpyThatDemoClassifyReadsAsTheAdversarialLabel() throws {
    // Arrange
    _ = try assetURL("images/coffee.png")
    let output = temporaryPath("coffee-adv.npy")
    let perturbation = temporaryPath("coffee-adv-perturbation.png")
    defer {
      try? FileManager.default.removeItem(atPath: output)
      try? FileManager.default.removeItem(atPath: perturbation)
    }

    // Act
    let run = try runDemo([
      "attack", "Assets/images/coffee.png", "--method", "deepfool", "--output", output,
      "--json", "--quiet",
    ])

    // Assert
    XCTAssertEqual(run.status, 0, run.standardError)
    let summary = try JSONDecoder().decode(Summary.self, from: Data(run.standardOutput.utf8))
    XCTAssertEqual(summary.method, "deepfool")
    XCTAssertEqual(summary.original.index, 967)
    XCTAssertEqual(summary.original.label, "espresso")
    XCTAssertTrue(summary.success)
    XCTAssertNotEqual(summary.adversarial.index, 967)
    XCTAssertGreaterThan(summary.rho, 0)
    XCTAssertLessThan(summary.rho, 0.01)
    XCTAssertGreaterThanOrEqual(summary.iterations, 1)
    XCTAssertEqual(summary.perturbation, perturbation)
    XCTAssertNil(summary.target)
    XCTAssertEqual(try ImageFile.decode(contentsOf: URL(fileURLWithPath: perturbation)).shape,
      [3, 224, 224])
    let classify = try runDemo(["classify", "--json", "--top", "1", output])
    XCTAssertEqual(classify.status, 0, classify.standardError)
    let row = try JSONDecoder().decode(ClassifyRow.self, from: Data(classify.standardOutput.utf8))
    XCTAssertEqual(row.top.first?.index, summary.adversarial.index)
  }

  func testTargetedPGDReachesItsTargetAndWritesAPNG() throws {
    let output = temporaryPath("chelsea-banana.png")
    defer {
      try? FileManager.default.removeItem(atPath: output)
      try? FileManager.default.removeItem(atPath: temporaryPath("chelsea-banana-perturbation.png"))
    }

    let run = try runDemo([
      "attack", "Assets/images/chelsea.png", "--method", "pgd", "--epsilon", "0.0157",
      "--target", "954", "--seed", "3", "--output", output, "--json",
    ])

    XCTAssertEqual(run.status, 0, run.standardError)
    let summary = try JSONDecoder().decode(Summary.self, from: Data(run.standardOutput.utf8))
    XCTAssertEqual(summary.target, 954)
    XCTAssertTrue(summary.success)
    XCTAssertEqual(summary.adversarial.index, 954)
    XCTAssertEqual(summary.adversarial.label, "banana")
    XCTAssertLessThanOrEqual(summary.linf, 0.0157 + 1e-6)
    XCTAssertEqual(summary.iterations, 10)
    XCTAssertEqual(try ImageFile.decode(contentsOf: URL(fileURLWithPath: output)).shape,
      [3, 224, 224])
  }

  func testFGSMPrintsASentenceWithTheNorms() throws {
    let output = temporaryPath("coffee-fgsm.png")
    defer {
      try? FileManager.default.removeItem(atPath: output)
      try? FileManager.default.removeItem(atPath: temporaryPath("coffee-fgsm-perturbation.png"))
    }

    let run = try runDemo([
      "attack", "Assets/images/coffee.png", "--method", "fgsm", "--output", output,
    ])

    XCTAssertEqual(run.status, 0, run.standardError)
    XCTAssertTrue(run.standardOutput.contains("espresso"), run.standardOutput)
    XCTAssertTrue(run.standardOutput.contains("L∞ 0.03137 (8.00/255)"), run.standardOutput)
    XCTAssertTrue(run.standardOutput.contains("coffee-fgsm-perturbation.png"))
  }

  func testContradictoryOptionsAreUsageErrors() throws {
    for arguments in [
      ["--method", "deepfool", "--target", "3"],
      ["--method", "fgsm", "--norm", "l2"],
      ["--method", "deepfool", "--epsilon", "0.1"],
      ["--method", "pgd", "--target", "1000"],
      ["--method", "pgd", "--output", "adv.jpg"],
      ["--method", "cw"],
    ] {
      let run = try runDemo(["attack", "Assets/images/coffee.png"] + arguments)
      XCTAssertEqual(run.status, 64, "\(arguments): \(run.standardError)")
    }
  }

  func testBenchAttacksReportsDeepFoolAndTimesAsJSON() throws {
    // Arrange: a folder holding one photograph, so the benchmark stays short.
    struct Row: Decodable {
      struct DeepFool: Decodable {
        var images: Int
        var successes: Int
        var medianRho: Double
        var medianSeconds: Double
      }
      var threads: Int
      var deepfool: DeepFool
      var fgsmMilliseconds: Double
      var pgd10Milliseconds: Double
      var torchattacks: [String: Double]
    }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "demo-bench-attacks-\(ProcessInfo.processInfo.processIdentifier)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    try FileManager.default.copyItem(
      at: assetURL("images/chelsea.png"), to: folder.appendingPathComponent("chelsea.png"))

    // Act
    let run = try runDemo([
      "bench-attacks", "--images", folder.path, "--threads", "1", "--runs", "1", "--json",
    ])

    // Assert
    XCTAssertEqual(run.status, 0, run.standardError)
    let row = try JSONDecoder().decode(Row.self, from: Data(run.standardOutput.utf8))
    XCTAssertEqual(row.threads, 1)
    XCTAssertEqual(row.deepfool.images, 1)
    XCTAssertEqual(row.deepfool.successes, 1)
    XCTAssertGreaterThan(row.deepfool.medianRho, 0)
    XCTAssertLessThan(row.deepfool.medianRho, 0.001)
    XCTAssertGreaterThan(row.fgsmMilliseconds, 0)
    XCTAssertGreaterThan(row.pgd10Milliseconds, row.fgsmMilliseconds)
    XCTAssertEqual(row.torchattacks["deepfoolSeconds"], 112)
  }

  func testAMissingFileIsAnErrorNamingIt() throws {
    let run = try runDemo(["attack", "no-such-photo.png", "--method", "fgsm"])

    XCTAssertNotEqual(run.status, 0)
    XCTAssertTrue(run.standardError.contains("no-such-photo.png"), run.standardError)
  }
}
