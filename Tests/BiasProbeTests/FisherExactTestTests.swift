import Foundation
import TestSupport
import XCTest
@testable import BiasProbe

/// Fisher's exact test against scipy.stats.fisher_exact (Tools/make_bias_statistics_fixtures.py
/// → Tests/Fixtures/BiasProbe/bias_statistics.json).
final class FisherExactTestTests: XCTestCase {
  struct Fixture: Decodable {
    struct Fisher: Decodable {
      struct Result: Decodable { let oddsRatio: OddsRatio?; let pValue: Double }
      enum OddsRatio: Decodable {
        case value(Double), infinity
        init(from decoder: any Decoder) throws {
          let container = try decoder.singleValueContainer()
          if let text = try? container.decode(String.self), text == "inf" { self = .infinity } else {
            self = .value(try container.decode(Double.self))
          }
        }
      }
      let table: [[Int]]
      let twoSided: Result, less: Result, greater: Result
      enum CodingKeys: String, CodingKey { case table, twoSided = "two-sided", less, greater }
    }
    let fisher: [Fisher]
  }

  static func fixture() throws -> Fixture {
    try JSONDecoder().decode(
      Fixture.self, from: Data(contentsOf: fixtureURL("BiasProbe/bias_statistics.json")))
  }

  func testPValuesMatchScipyToTenDigits() throws {
    let cases = try Self.fixture().fisher
    XCTAssertGreaterThanOrEqual(cases.count, 10)
    for entry in cases {
      let test = FisherExactTest(entry.table)
      for (alternative, expected) in [(FisherExactTest.Alternative.twoSided, entry.twoSided),
                                      (.less, entry.less), (.greater, entry.greater)] {
        let p = test.pValue(alternative)
        XCTAssertEqual(p, expected.pValue, accuracy: 1e-10 * expected.pValue,
          "\(entry.table) \(alternative)")
      }
    }
  }

  func testOddsRatioMatchesScipy() throws {
    for entry in try Self.fixture().fisher {
      let ratio = FisherExactTest(entry.table).oddsRatio
      switch entry.twoSided.oddsRatio {
      case nil: XCTAssertTrue(ratio.isNaN, "\(entry.table)")
      case .infinity: XCTAssertEqual(ratio, .infinity, "\(entry.table)")
      case .value(let expected): XCTAssertEqual(ratio, expected, accuracy: 1e-12 * max(1, expected))
      }
    }
  }

  /// A table whose p-value underflows a Double still has an exact log p-value: summing the
  /// hypergeometric tail directly in log space: for [[n, 0], [0, n]] only the two extreme tables
  /// count, so p = 2 / C(2n, n) (1.48e-179 for n = 300; about 1e-360 for n = 600).
  func testLogPValueBeyondDoubleRange() {
    for n in [300, 600] {
      let test = FisherExactTest([[n, 0], [0, n]])
      var logChoose = 0.0
      for i in 1...n { logChoose += log(Double(n + i)) - log(Double(i)) }
      XCTAssertEqual(test.logPValue(.twoSided), log(2) - logChoose, accuracy: 1e-9 * logChoose)
      XCTAssertEqual(test.logPValue(.greater), -logChoose, accuracy: 1e-9 * logChoose)
      if n == 300 {
        XCTAssertEqual(test.pValue(), exp(log(2) - logChoose), accuracy: 1e-9 * exp(log(2) - logChoose))
      } else {
        XCTAssertEqual(test.pValue(), 0, "below the smallest Double")
      }
    }
  }

  func testSymmetricTableIsNotSignificant() {
    XCTAssertEqual(FisherExactTest([[6, 6], [6, 6]]).pValue(), 1, accuracy: 1e-12)
  }
}
