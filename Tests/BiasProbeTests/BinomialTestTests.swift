import Foundation
import TestSupport
import XCTest
@testable import BiasProbe

/// The exact binomial test against scipy.stats.binomtest (Tools/make_binomial_test_fixtures.py
/// → Tests/Fixtures/BiasProbe/binomial_test.json).
final class BinomialTestTests: XCTestCase {
  struct Fixture: Decodable {
    struct Case: Decodable {
      let successes: Int, trials: Int, probability: Double
      let twoSided: Double, less: Double, greater: Double
      enum CodingKeys: String, CodingKey {
        case successes, trials, probability, twoSided = "two-sided", less, greater
      }
    }
    let cases: [Case]
  }

  func testPValuesMatchScipy() throws {
    let fixture = try JSONDecoder().decode(
      Fixture.self, from: Data(contentsOf: fixtureURL("BiasProbe/binomial_test.json")))
    XCTAssertGreaterThanOrEqual(fixture.cases.count, 15)
    for entry in fixture.cases {
      let test = BinomialTest(
        successes: entry.successes, trials: entry.trials, probability: entry.probability)
      for (alternative, expected) in [
        (BinomialTest.Alternative.twoSided, entry.twoSided), (.less, entry.less),
        (.greater, entry.greater),
      ] {
        let p = test.pValue(alternative)
        let context = "\(entry.successes)/\(entry.trials) vs \(entry.probability), \(alternative)"
        if expected == 0 {
          XCTAssertEqual(p, 0, context)
        } else {
          XCTAssertEqual(p, expected, accuracy: 1e-10 * expected, context)
        }
      }
    }
  }

  func testTenOfTenAgainstAFairCoinIsTheClosedForm() {
    let test = BinomialTest(Proportion(successes: 10, trials: 10), probability: 0.5)
    XCTAssertEqual(test.pValue(.greater), 1.0 / 1024, accuracy: 1e-15)
    XCTAssertEqual(test.pValue(.twoSided), 2.0 / 1024, accuracy: 1e-15)
    XCTAssertEqual(test.pValue(.less), 1)
  }

  func testLogPValueStaysFiniteWhereThePValueUnderflows() {
    let test = BinomialTest(successes: 5000, trials: 5000, probability: 0.5)
    XCTAssertEqual(test.pValue(.greater), 0)
    XCTAssertEqual(test.logPValue(.greater), 5000 * log(0.5), accuracy: 1e-6)
  }
}
