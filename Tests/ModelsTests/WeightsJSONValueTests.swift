import Foundation
import TestSupport
import XCTest

@testable import Models

final class WeightsJSONValueTests: XCTestCase {
  private func parse(_ text: String) throws -> JSONValue {
    try JSONValue.parse(Array(text.utf8), file: "h", maxDepth: 8)
  }

  func testParsesEveryKindOfValueKeepingMemberOrder() throws {
    let value = try parse(
      #" {"z": [1, -2, 3.5, 1e3, true, false, null], "#
        + #""a": {"s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}} "#)
    XCTAssertEqual(
      value,
      .object([
        (
          "z",
          .array([
            .integer(1), .integer(-2), .number(3.5), .number(1000), .bool(true), .bool(false),
            .null,
          ])
        ),
        ("a", .object([("s", .string("x\"\\/\u{08}\u{0C}\n\r\té😀"))])),
      ]))
  }

  func testIntegersBeyondIntBecomeDoubles() throws {
    XCTAssertEqual(try parse("9223372036854775807"), .integer(Int.max))
    XCTAssertEqual(try parse("9223372036854775808"), .number(9_223_372_036_854_775_808))
    XCTAssertEqual(try parse("-0"), .integer(0))
  }

  func testEncodingRoundTrips() throws {
    let value = JSONValue.object([
      ("k\u{01}\"", .array([.integer(-3), .string("line\nbreak"), .null, .bool(true)])),
      ("ü", .object([])),
    ])
    XCTAssertEqual(try parse(value.encoded), value)
    XCTAssertTrue(value.encoded.contains("\\u0001"))
  }

  func testInvalidTextIsMalformedWithAPosition() {
    for text in [
      "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "1e", "\"\u{01}\"", "\"\\x\"", "\"\\ud800\"",
      "tru", "[1 2]", "{\"a\" 1}", "{1: 2}", "\"abc", "[[[[[[[[[1]]]]]]]]]",
    ] {
      XCTAssertThrowsError(try parse(text), text) { error in
        guard case .malformed("h", nil, let reason) = error as? WeightFileError else {
          return XCTFail("\(error)")
        }
        XCTAssertTrue(reason.contains("at byte"), reason)
      }
    }
    XCTAssertThrowsError(try JSONValue.parse([0x22, 0xFF, 0x22], file: "h", maxDepth: 8))
  }
}
