import Foundation
import Imaging
import Tensor
import TestSupport
import XCTest

/// `demo probe FOLDER --class C`: a folder of three views of the cat photograph (Lite0 class 282,
/// tiger cat) and the coffee photograph (class 967).
final class ProbeFolderCommandTests: XCTestCase {
  private struct Report: Decodable {
    var prototypes: [Int]
    var prototypeScores: [Double?]
    var prototypeFiles: [String]
    var criticisms: [Int]
    var criticismScores: [Double?]
    var criticismFiles: [String]
    var gamma: Double?
    var method: String
    var `class`: Int
    var className: String
    var points: Int
    var files: [String]
  }

  private var folder: URL!
  private var output: URL!

  override func setUpWithError() throws {
    let root = FileManager.default.temporaryDirectory
      .appendingPathComponent("demo-probe-folder-\(ProcessInfo.processInfo.processIdentifier)")
    folder = root.appendingPathComponent("images")
    output = root.appendingPathComponent("out")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let cat = try ImageFile.decode(contentsOf: assetURL("images/chelsea.png"))
    let (h, w) = (cat.shape[1], cat.shape[2])
    let source = cat.contiguous().scalars
    var mirrored = [Float](repeating: 0, count: source.count)
    for k in 0..<3 { for y in 0..<h { for x in 0..<w {
      mirrored[(k * h + y) * w + x] = source[(k * h + y) * w + (w - 1 - x)]
    } } }
    try ImageFile.write(cat, to: folder.appendingPathComponent("cat.png"))
    try ImageFile.write(Tensor(shape: cat.shape, scalars: mirrored), to: folder.appendingPathComponent("cat-mirrored.png"))
    try ImageFile.write(
      cat.sliced(axis: 1, h / 10..<h - h / 10).sliced(axis: 2, w / 10..<w - w / 10).contiguous(),
      to: folder.appendingPathComponent("cat-cropped.png"))
    try FileManager.default.copyItem(at: assetURL("images/coffee.png"), to: folder.appendingPathComponent("coffee.png"))
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: folder.deletingLastPathComponent())
  }

  private func probe(_ extra: [String]) throws -> Report {
    let run = try runDemo(["probe", folder.path, "--class", "282", "--prototypes", "2", "--criticisms", "2", "--json", "--quiet"] + extra)
    XCTAssertEqual(run.status, 0, run.standardError)
    return try JSONDecoder().decode(Report.self, from: Data(run.standardOutput.utf8))
  }

  /// The JSON's indices, files and scores agree, and the pictures are written.
  private func checkReport(_ report: Report) throws {
    XCTAssertEqual(report.files, ["cat-cropped.png", "cat-mirrored.png", "cat.png", "coffee.png"])
    XCTAssertEqual(report.class, 282)
    XCTAssertGreaterThanOrEqual(report.points, 2)
    XCTAssertEqual(report.prototypes.count, min(2, report.points))
    XCTAssertEqual(report.criticisms.count, min(2, report.points - report.prototypes.count))
    XCTAssertEqual(report.prototypeFiles, report.prototypes.map { report.files[$0] })
    XCTAssertEqual(report.criticismFiles, report.criticisms.map { report.files[$0] })
    XCTAssertTrue(Set(report.prototypes).isDisjoint(with: report.criticisms))
    XCTAssertFalse((report.prototypes + report.criticisms).contains(3), "coffee is not a tiger cat")
    XCTAssertEqual(report.prototypeScores.count, report.prototypes.count)
    let sheet = try ImageFile.decode(contentsOf: output.appendingPathComponent("probe.png"))
    XCTAssertEqual(sheet.shape[0], 3)
    let html = try String(contentsOf: output.appendingPathComponent("probe.html"), encoding: .utf8)
    XCTAssertTrue(html.contains("<section id=\"prototypes\">"))
    XCTAssertTrue(html.contains("<section id=\"criticisms\">"))
    XCTAssertEqual(html.components(separatedBy: "class=\"overlay\"").count - 1,
      report.prototypes.count + report.criticisms.count)
    for file in report.prototypeFiles + report.criticismFiles { XCTAssertTrue(html.contains(file), file) }
  }

  func testMMDMethodWritesTheSheetAndReportAndReusesTheFeatureCache() throws {
    let report = try probe(["--method", "mmd", "--output", output.path])
    try checkReport(report)
    XCTAssertEqual(report.method, "mmd")
    XCTAssertGreaterThan(try XCTUnwrap(report.gamma), 0)
    XCTAssertTrue(FileManager.default.fileExists(atPath: output.appendingPathComponent("features.safetensors").path))
    // A second run reads the cache and selects the same images.
    let again = try probe(["--method", "mmd", "--output", output.path])
    XCTAssertEqual(again.prototypes, report.prototypes)
    XCTAssertEqual(again.criticisms, report.criticisms)
  }

  func testAdversarialMethodRanksByRobustness() throws {
    let report = try probe([
      "--method", "adversarial", "--candidates", "3", "--max-iterations", "20", "--output", output.path,
    ])
    try checkReport(report)
    XCTAssertEqual(report.method, "adversarial")
    XCTAssertNil(report.gamma)
    let inf = Double.infinity
    let prototypeRho = report.prototypeScores.map { $0 ?? inf }
    let criticismRho = report.criticismScores.map { $0 ?? inf }
    XCTAssertEqual(prototypeRho, prototypeRho.sorted(by: >))
    XCTAssertEqual(criticismRho, criticismRho.sorted())
    if let weakestPrototype = prototypeRho.last, let strongestCriticism = criticismRho.last {
      XCTAssertGreaterThanOrEqual(weakestPrototype, strongestCriticism)
    }
  }

  func testBadFolderArgumentsFailWithAMessage() throws {
    let unknown = try runDemo(["probe", folder.path, "--class", "no such class", "--quiet"])
    XCTAssertNotEqual(unknown.status, 0)
    XCTAssertTrue(unknown.standardError.contains("no such class"), unknown.standardError)
    let noClass = try runDemo(["probe", folder.path])
    XCTAssertNotEqual(noClass.status, 0)
    XCTAssertTrue(noClass.standardError.contains("--class"), noClass.standardError)
    let empty = try runDemo(["probe", folder.path, "--class", "0", "--quiet"])
    XCTAssertNotEqual(empty.status, 0)
    XCTAssertTrue(empty.standardError.contains("None of the 4 images"), empty.standardError)
  }
}
