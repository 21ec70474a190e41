import Foundation
import TestSupport
import XCTest

@testable import BiasProbe

final class HumanStudyVerdictsTests: XCTestCase {
  private func text(_ edit: (inout [String: Any]) -> Void) throws -> Data {
    var object = try XCTUnwrap(
      JSONSerialization.jsonObject(
        with: Data(contentsOf: fixtureURL("Mistakes/verdicts/ada.json"))) as? [String: Any])
    edit(&object)
    return try JSONSerialization.data(withJSONObject: object)
  }

  func testReadsAHandMadeFile() throws {
    let file = try HumanStudyVerdicts.read(contentsOf: fixtureURL("Mistakes/verdicts/ada.json"))

    XCTAssertEqual(file.study, "hand-made")
    XCTAssertEqual(file.annotatorName, "Ada")
    XCTAssertEqual(file.population, 10)
    XCTAssertEqual(file.items.map(\.id), ["i1", "i2", "i3", "i4", "i5"])
    XCTAssertEqual(file.items.map(\.mistake), [true, true, true, false, false])
    XCTAssertEqual(file.verdicts.map(\.verdict), [.acceptable, .wrong, .correct, .correct, .wrong])
    // Times with and without milliseconds.
    XCTAssertEqual(file.verdicts[2].time.timeIntervalSince(file.verdicts[1].time), 60, accuracy: 1e-3)
    XCTAssertEqual(file.saved.timeIntervalSince(file.started), 300, accuracy: 1e-3)
  }

  func testEncodingRoundTrips() throws {
    let file = try HumanStudyVerdicts.read(contentsOf: fixtureURL("Mistakes/verdicts/ada.json"))

    let again = try HumanStudyVerdicts.decode(file.encoded(), source: file.source)

    XCTAssertEqual(again, file)
  }

  func testAnAnonymousFileIsNamedAfterItsFile() throws {
    let file = try HumanStudyVerdicts.read(contentsOf: fixtureURL("Mistakes/verdicts/anonymous.json"))

    XCTAssertEqual(file.annotator, "")
    XCTAssertEqual(file.annotatorName, "anonymous")
  }

  func testEachViolationIsATypedErrorNamingTheFileAndKey() throws {
    let source = "v.json"
    let cases: [(Data, HumanStudyVerdictsError)] = [
      (try text { $0["format"] = "something else" }, .wrongFormat(file: source, found: "something else")),
      (try text { $0["version"] = 2 }, .unsupportedVersion(file: source, found: 2)),
      (try text { $0["study"] = "" }, .invalidValue(file: source, key: "study", reason: "is empty")),
      (try text { $0["population"] = 4 },
       .invalidValue(file: source, key: "population", reason: "is 4, fewer than the 5 items")),
      (try text { $0["verdicts"] = [["item": "i9", "verdict": "wrong", "time": "2026-11-29T10:00:00Z"]] },
       .unknownItem(file: source, item: "i9")),
      (try text {
        $0["verdicts"] = [
          ["item": "i1", "verdict": "wrong", "time": "2026-11-29T10:00:00Z"],
          ["item": "i1", "verdict": "correct", "time": "2026-11-29T10:01:00Z"],
        ]
      }, .duplicateVerdict(file: source, item: "i1")),
      (try text { $0["verdicts"] = [["item": "i1", "verdict": "maybe", "time": "2026-11-29T10:00:00Z"]] },
       .invalidValue(file: source, key: "verdicts[0].verdict", reason: "is 'maybe', not correct, acceptable or wrong")),
      (try text { $0["verdicts"] = [["item": "i1", "verdict": "wrong", "time": "yesterday"]] },
       .invalidValue(file: source, key: "verdicts[0].time", reason: "'yesterday' is not an ISO 8601 time")),
      (try text {
        var items = $0["items"] as! [[String: Any]]
        items[1]["id"] = "i1"
        $0["items"] = items
      }, .duplicateItem(file: source, item: "i1")),
    ]
    for (data, expected) in cases {
      XCTAssertThrowsError(try HumanStudyVerdicts.decode(data, source: source)) {
        XCTAssertEqual($0 as? HumanStudyVerdictsError, expected)
      }
    }
  }

  func testMissingKeysWrongTypesAndNonJSONNameWhatIsWrong() throws {
    let missing = try text { $0["verdicts"] = nil }
    XCTAssertThrowsError(try HumanStudyVerdicts.decode(missing, source: "v.json")) {
      XCTAssertTrue("\($0)".contains("missing key 'verdicts'"), "\($0)")
    }
    let wrongType = try text {
      var items = $0["items"] as! [[String: Any]]
      items[2]["mistake"] = "yes"
      $0["items"] = items
    }
    XCTAssertThrowsError(try HumanStudyVerdicts.decode(wrongType, source: "v.json")) {
      XCTAssertTrue("\($0)".contains("items[2].mistake"), "\($0)")
    }
    XCTAssertThrowsError(try HumanStudyVerdicts.decode(Data("<html>".utf8), source: "v.json")) {
      XCTAssertTrue("\($0)".hasPrefix("v.json: not a verdict file: not JSON"), "\($0)")
    }
    XCTAssertThrowsError(try HumanStudyVerdicts.read(contentsOf: URL(fileURLWithPath: "/no/v.json"))) {
      XCTAssertEqual($0 as? HumanStudyVerdictsError, .unreadable(file: "/no/v.json"))
    }
  }

  /// Found by `Fuzz/` FuzzVerdicts: a time with a 90-digit fraction killed the process inside
  /// ICU (SIGFPE in `SimpleDateFormat::subParse`); it is now a typed error naming the key.
  func testFuzzFoundLongFractionTimeIsATypedErrorNotAnICUCrash() throws {
    let data = try Data(contentsOf: fixtureURL("Fuzz/verdicts/long_fraction_icu_fpe.json"))
    XCTAssertThrowsError(try HumanStudyVerdicts.decode(data, source: "v.json")) {
      guard case .invalidValue(_, let key, let reason)? = $0 as? HumanStudyVerdictsError else {
        return XCTFail("\($0)")
      }
      XCTAssertEqual(key, "verdicts[4].time")
      XCTAssertTrue(reason.hasSuffix("is not an ISO 8601 time"), reason)
    }
  }

  func testTimesMustHaveTheInternetDateTimeShape() {
    for good in [
      "2026-11-29T10:00:00Z", "2026-11-29T10:00:00.000Z", "2026-11-29T10:00:00.123456789Z",
      "2026-11-29T10:00:00+02:00", "2026-11-29T10:00:00.5-05:30",
    ] {
      XCTAssertTrue(HumanStudyVerdicts.isInternetDateTime(good), good)
    }
    for bad in [
      "", "yesterday", "2026-11-29", "2026-11-29T10:00:00", "2026-11-29T10:00:00.Z",
      "2026-11-29T10:00:00.1234567890Z", "2026-11-29 10:00:00Z", "2026-11-29T10:00:00Zjunk",
      "2026-11-29T10:00:00+0200", "2026-11-29T10:00:00." + String(repeating: "8", count: 90) + "Z",
    ] {
      XCTAssertFalse(HumanStudyVerdicts.isInternetDateTime(bad), bad)
    }
  }
}
