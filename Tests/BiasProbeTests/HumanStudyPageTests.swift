import Foundation
import Imaging
import Tensor
import TestSupport
import XCTest

@testable import BiasProbe

final class HumanStudyPageTests: XCTestCase {
  /// A small PNG of one grey level.
  private func picture(_ level: Float) throws -> EncodedPicture {
    EncodedPicture(
      data: try ImageFile.encode(Tensor(shape: [3, 8, 8], repeating: level), as: .png()),
      mediaType: "image/png")
  }

  /// Four items; p2 and p3 are top-1 mistakes, one answer tries to break out of the script.
  private func study() throws -> HumanStudy {
    HumanStudy(
      id: "page test", title: "Is <the> answer & acceptable?",
      items: [
        .init(id: "p1", image: try picture(0.1), answer: "espresso", probability: 0.95,
              label: "espresso", isMistake: false),
        .init(id: "p2", image: try picture(0.3), answer: "tiger cat", probability: 0.39,
              label: "tabby", isMistake: true, explanation: try picture(0.9), note: "neighbour"),
        .init(id: "p3", image: try picture(0.5), answer: "</script><b>academic gown",
              label: "military uniform", isMistake: true),
        .init(id: "p4", image: try picture(0.7), answer: "tripod", label: "tripod", isMistake: false),
      ], population: 6)
  }

  /// The text between `<tag ... id="ID" ...>` and the next `</tag>`.
  private func element(_ tag: String, id: String, in html: String) throws -> String {
    let open = try XCTUnwrap(html.range(of: "<\(tag)[^>]*id=\"\(id)\"[^>]*>", options: .regularExpression),
      "no <\(tag) id=\"\(id)\">")
    let close = try XCTUnwrap(html.range(of: "</\(tag)>", range: open.upperBound..<html.endIndex))
    return String(html[open.upperBound..<close.lowerBound])
  }

  func testThePageIsSelfContainedAndEmbedsEveryPictureAndAnswer() throws {
    // Arrange
    let study = try study()

    // Act
    let html = HumanStudyPage.html(for: study)

    // Assert: no external resource of any kind, and a policy that forbids them.
    XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
    XCTAssertTrue(html.contains("content=\"default-src 'none'; img-src data:;"))
    for forbidden in ["http:", "https:", "<link", "<script src", "<img src", "@import", "url("] {
      XCTAssertFalse(html.contains(forbidden), forbidden)
    }
    XCTAssertTrue(html.contains("<title>Is &lt;the&gt; answer &amp; acceptable?</title>"))
    for id in ["verdict-correct", "verdict-acceptable", "verdict-wrong", "previous", "next",
               "download", "download-link", "verdicts-json", "progress", "annotator"] {
      XCTAssertTrue(html.contains("id=\"\(id)\""), id)
    }
    // The embedded study: only the terminating </script> closes the data block.
    let json = try element("script", id: "study-data", in: html)
    XCTAssertFalse(json.contains("</"))
    let data = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    XCTAssertEqual(data["study"] as? String, "page test")
    XCTAssertEqual(data["population"] as? Int, 6)
    let items = try XCTUnwrap(data["items"] as? [[String: Any]])
    XCTAssertEqual(items.map { $0["id"] as? String }, ["p1", "p2", "p3", "p4"])
    XCTAssertEqual(items[2]["answer"] as? String, "</script><b>academic gown")
    XCTAssertEqual(items.map { $0["mistake"] as? Bool }, [false, true, true, false])
    for (item, original) in zip(items, study.items) {
      let uri = try XCTUnwrap(item["image"] as? String)
      XCTAssertTrue(uri.hasPrefix("data:image/png;base64,"))
      XCTAssertEqual(Data(base64Encoded: String(uri.dropFirst("data:image/png;base64,".count))),
                     original.image.data)
    }
    XCTAssertNotNil(items[1]["explanation"] as? String)
    XCTAssertNil(items[0]["explanation"])
  }

  /// Runs the page in Debian's chromium, headless: the `#autotest=` fragment presses keys and
  /// clicks buttons as a person would, then clicks "Download verdicts"; the dumped DOM holds the
  /// verdict file the page built, which the Swift reader validates and scores.
  func testChromiumRecordsClicksAndKeysIntoAVerdictFileTheScorerReads() throws {
    // Arrange
    _ = try HeadlessChromium.required()
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("study-page-\(ProcessInfo.processInfo.processIdentifier)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let page = folder.appendingPathComponent("study.html")
    try HumanStudyPage.write(study(), to: page)
    // p1 correct (key 1) → p2 wrong (button) → p3 acceptable (key a) → back (button) → p3 wrong
    // (key w, replaces acceptable) → ← ← to p2 → p2 acceptable (key 2); p4 stays unjudged.
    let url = page.absoluteString + HeadlessChromium.autotestFragment([
      "name:Ada Lovelace", "key:1", "click:verdict-wrong", "key:a", "click:previous", "key:w",
      "key:ArrowLeft", "key:ArrowLeft", "key:2",
    ])

    // Act
    let dom = try HeadlessChromium.dumpDOM(of: url, profile: folder.appendingPathComponent("profile"))

    // Assert: the script ran to the end and produced a download link to a Blob.
    XCTAssertTrue(dom.contains("data-autotest=\"done\""), String(dom.suffix(2000)))
    XCTAssertTrue(
      dom.range(of: "<a id=\"download-link\"[^>]*href=\"blob:", options: .regularExpression) != nil,
      "no blob: download link")
    XCTAssertTrue(dom.contains("download=\"verdicts-page_test-Ada_Lovelace.json\""))
    XCTAssertTrue(try element("span", id: "progress", in: dom).contains("3 judged"))
    let json = HeadlessChromium.unescaped(try element("pre", id: "verdicts-json", in: dom))
    let saved = folder.appendingPathComponent("verdicts.json")
    try Data(json.utf8).write(to: saved)
    let verdicts = try HumanStudyVerdicts.read(contentsOf: saved)
    XCTAssertEqual(verdicts.study, "page test")
    XCTAssertEqual(verdicts.annotator, "Ada Lovelace")
    XCTAssertEqual(verdicts.population, 6)
    XCTAssertEqual(verdicts.items.map(\.id), ["p1", "p2", "p3", "p4"])
    XCTAssertEqual(verdicts.items[2].answer, "</script><b>academic gown")
    XCTAssertEqual(verdicts.verdicts.map(\.item), ["p1", "p2", "p3"])
    XCTAssertEqual(verdicts.verdicts.map(\.verdict), [.correct, .acceptable, .wrong])
    XCTAssertLessThanOrEqual(verdicts.started, verdicts.saved)
    // Scored: 2 mistakes of 6; p2 accepted, p3 still wrong → rectified error 1/6.
    let score = try HumanStudyScore([verdicts])
    XCTAssertEqual(score.top1Error, Proportion(successes: 2, trials: 6))
    XCTAssertEqual(score.annotators[0].rectifiedError, Proportion(successes: 1, trials: 6))
  }
}
