import Foundation
import XCTest
@testable import BiasProbe

final class AttributeAnnotationsTests: XCTestCase {
  func testParsesHeaderRowsQuotesCommentsAndUnknowns() throws {
    let text = [
      "# skin tone and background, annotated by hand",
      "image, skin ,background\r",
      "a.jpg,dark,indoor",
      "",
      "\"b, copy.jpg\",light,",
      "c.jpg,\"say \"\"hi\"\"\",outdoor",
    ].joined(separator: "\n")
    let annotations = try AttributeAnnotations(csv: text, source: "people.csv")
    XCTAssertEqual(annotations.attributes, ["skin", "background"])
    XCTAssertEqual(annotations.imageIDs, ["a.jpg", "b, copy.jpg", "c.jpg"])
    XCTAssertEqual(try annotations.value(of: "skin", for: "b, copy.jpg"), "light")
    XCTAssertNil(try annotations.value(of: "background", for: "b, copy.jpg"))
    XCTAssertEqual(try annotations.value(of: "skin", for: "c.jpg"), "say \"hi\"")
    XCTAssertEqual(try annotations.values(of: "background", for: ["c.jpg", "a.jpg"]), ["outdoor", "indoor"])
  }

  func testErrorsNameTheFileAndLine() {
    func error(_ text: String) -> AttributeAnnotationError? {
      do {
        _ = try AttributeAnnotations(csv: text, source: "f.csv")
        return nil
      } catch { return error as? AttributeAnnotationError }
    }
    XCTAssertEqual(error("# only a comment\n"), .missingHeader(file: "f.csv"))
    XCTAssertEqual(error("image\n"), .noAttributes(file: "f.csv", line: 1))
    XCTAssertEqual(error("image,a,a\n"), .duplicateAttribute("a", file: "f.csv", line: 1))
    XCTAssertEqual(error("image,,b\n"), .emptyAttributeName(file: "f.csv", line: 1, column: 2))
    XCTAssertEqual(error("image,a\nx,1\ny,2,3\n"),
      .wrongFieldCount(file: "f.csv", line: 3, expected: 2, found: 3))
    XCTAssertEqual(error("image,a\n,1\n"), .emptyImageID(file: "f.csv", line: 2))
    XCTAssertEqual(error("image,a\nx,1\n# c\nx,2\n"),
      .duplicateImage("x", file: "f.csv", line: 4, firstLine: 2))
    XCTAssertEqual(error("image,a\n\"x,1\n"), .unterminatedQuote(file: "f.csv", line: 2))
    XCTAssertEqual(error("image,a\n\"x\"y,1\n"), .textAfterQuote(file: "f.csv", line: 2))
    XCTAssertEqual(error("image,a\nx,1\n").map { "\($0)" }, nil)
  }

  func testLookupErrors() throws {
    let annotations = try AttributeAnnotations(csv: "image,a\nx,1\n", source: "f.csv")
    XCTAssertThrowsError(try annotations.values(of: "b", for: ["x"])) {
      XCTAssertEqual($0 as? StatisticsError, .unknownAttribute("b", available: ["a"], file: "f.csv"))
    }
    XCTAssertThrowsError(try annotations.values(of: "a", for: ["x", "y"])) {
      XCTAssertEqual($0 as? StatisticsError, .unannotatedImage("y", file: "f.csv"))
      XCTAssertEqual("\($0)", "f.csv: no annotation for image 'y'.")
    }
  }

  func testReadsAFileAndReportsAMissingOne() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("annotations-\(UUID()).csv")
    try "image,mark\n0,yes\n1,no\n".write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    XCTAssertEqual(try AttributeAnnotations(contentsOf: url).values(of: "mark", for: ["1", "0"]), ["no", "yes"])
    let missing = url.appendingPathExtension("missing")
    XCTAssertThrowsError(try AttributeAnnotations(contentsOf: missing)) { error in
      guard case .unreadable(let file, _)? = error as? AttributeAnnotationError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(file, missing.path)
    }
  }
}
