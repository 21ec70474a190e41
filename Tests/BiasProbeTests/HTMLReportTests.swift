import Explain
import Foundation
import Imaging
import Models
import Tensor
import TestSupport
import XCTest
@testable import BiasProbe

final class HTMLReportTests: XCTestCase {
  /// A class report of three photographs under Lite0 with saliency overlays: two "prototypes"
  /// and one "criticism" (the indices and scores stand for any selector's output).
  private func lite0Report() throws -> (SelectionReport, Tensor) {
    let lite0 = try ProbeFixtures.classifier()
    let photos = try ProbeFixtures.photographs().filter {
      ["coffee.png", "horse.png", "chelsea.png"].contains($0.lastPathComponent)
    }
    let images = Tensor.stack(try photos.map { try lite0.preprocessing(ImageFile.decode(contentsOf: $0)) })
    let target = lite0.logits(images[index: 0].expandingShape(at: 0)).argmax()
    let report = try SelectionReport(
      title: "class \(target): \(lite0.classNames[target]) <test & \"quotes\">",
      summary: "Prototypes and criticisms of one class.",
      images: images, captions: photos.map(\.lastPathComponent),
      sections: [
        ("prototypes", [.init(index: 0, score: 0.8125), .init(index: 2, score: 0.25)]),
        ("criticisms", [.init(index: 1, score: -0.125)]),
      ],
      explaining: Saliency(classifier: lite0), target: target)
    return (report, images)
  }

  func testReportIsSelfContainedWithSectionsScoresAndOverlays() throws {
    let (report, images) = try lite0Report()
    XCTAssertEqual(report.sections.map(\.items.count), [2, 1])
    let overlay = try XCTUnwrap(report.sections[0].items[0].overlay)
    XCTAssertEqual(overlay.shape, [3, 224, 224])
    XCTAssertNotEqual(overlay, images[index: 0].contiguous(), "the overlay differs from the photograph")
    let html = try HTMLReport().html(report)
    XCTAssertTrue(html.contains("<section id=\"prototypes\">"))
    XCTAssertTrue(html.contains("<section id=\"criticisms\">"))
    XCTAssertTrue(html.contains("&lt;test &amp; &quot;quotes&quot;&gt;"))
    XCTAssertTrue(html.contains("score 0.8125") && html.contains("score -0.125"))
    XCTAssertEqual(html.components(separatedBy: "<img ").count - 1, 6)
    XCTAssertEqual(html.components(separatedBy: "src=\"data:image/png;base64,").count - 1, 6)
    XCTAssertFalse(html.contains("http://") || html.contains("https://") || html.contains("href="))
    XCTAssertTrue(html.contains("default-src 'none'; img-src data:"))
  }

  func testSelectionErrors() throws {
    let images = Tensor(zeros: [2, 3, 8, 8])
    XCTAssertThrowsError(try SelectionReport(title: "t", images: images, sections: [("p", [.init(index: 2)])])) {
      XCTAssertEqual($0 as? ReportError, .indexOutOfRange(2, count: 2, section: "p"))
    }
    XCTAssertThrowsError(try SelectionReport(
      title: "t", images: images, sections: [], explaining: Saliency(classifier: FeatureCountingClassifier(try ProbeFixtures.classifier())))) {
      XCTAssertEqual($0 as? ReportError, .missingTarget)
    }
  }

  // MARK: In a real browser

  /// Debian's chromium (installed by Scripts/setup.sh), or nil.
  private func chromium() -> URL? {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
      .map(URL.init(fileURLWithPath:))
      .first { FileManager.default.isExecutableFile(atPath: $0.path) }
  }

  private func runChromium(_ arguments: [String]) throws -> String {
    guard let executable = chromium() else {
      throw XCTSkip("chromium is not installed (apt-get install chromium; Scripts/setup.sh does it)")
    }
    let profile = try ProbeFixtures.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: profile) }
    let process = Process()
    process.executableURL = executable
    process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                         "--user-data-dir=\(profile.path)"] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0, "chromium \(arguments)")
    return String(decoding: data, as: UTF8.self)
  }

  /// Chromium loads the page and decodes every image: an inline script (allowed in a test copy
  /// of the page only) writes each image's natural size into the DOM, which `--dump-dom` prints.
  /// A screenshot of the page is not blank.
  func testEveryImageDecodesInHeadlessChromium() throws {
    guard chromium() != nil else {
      throw XCTSkip("chromium is not installed (apt-get install chromium; Scripts/setup.sh does it)")
    }
    let (report, _) = try lite0Report()
    let folder = try ProbeFixtures.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let page = folder.appendingPathComponent("report.html")
    try HTMLReport().write(report, to: page)

    let probe = """
      <script>
      window.addEventListener('load', () => {
        const sizes = Array.from(document.images).map(i => i.complete ? i.naturalWidth + 'x' + i.naturalHeight : 'pending');
        document.body.setAttribute('data-images', sizes.join(','));
      });
      </script>
      </body>
      """
    let html = try String(contentsOf: page, encoding: .utf8)
      .replacingOccurrences(of: "style-src 'unsafe-inline'", with: "style-src 'unsafe-inline'; script-src 'unsafe-inline'")
      .replacingOccurrences(of: "</body>", with: probe)
    let probed = folder.appendingPathComponent("probed.html")
    try html.write(to: probed, atomically: true, encoding: .utf8)
    let dom = try runChromium(["--virtual-time-budget=5000", "--dump-dom", probed.absoluteString])
    let attribute = try XCTUnwrap(
      dom.range(of: #"data-images="[^"]*""#, options: .regularExpression).map { String(dom[$0]) },
      "the probe script ran: \(dom.prefix(300))")
    XCTAssertEqual(attribute, "data-images=\"" + Array(repeating: "224x224", count: 6).joined(separator: ",") + "\"")

    // The unmodified page, rendered: not blank, and the images' colours are on it.
    let shot = folder.appendingPathComponent("shot.png")
    _ = try runChromium(["--window-size=1000,900", "--screenshot=\(shot.path)", page.absoluteString])
    let pixels = try ImageFile.decode(contentsOf: shot)
    XCTAssertEqual(Array(pixels.shape.dropFirst()), [900, 1000])
    let values = pixels.scalars
    let nonWhite = values.filter { $0 < 0.9 }.count
    XCTAssertGreaterThan(nonWhite, values.count / 20, "the screenshot shows pictures, not a blank page")
  }
}
