import Foundation
import TestSupport
import XCTest
@testable import BiasProbe

/// Pearson's chi-square test against scipy.stats.chi2_contingency and chi2.sf
/// (Tools/make_bias_statistics_fixtures.py).
final class ChiSquareTestTests: XCTestCase {
  struct Fixture: Decodable {
    struct Result: Decodable { let statistic: Double; let pValue: Double; let degreesOfFreedom: Int }
    struct Entry: Decodable { let table: [[Int]]; let corrected: Result; let uncorrected: Result }
    struct Survival: Decodable { let degreesOfFreedom: Int; let x: Double; let sf: Double }
    let chiSquare: [Entry]
    let chiSquareSurvival: [Survival]
  }

  static func fixture() throws -> Fixture {
    try JSONDecoder().decode(
      Fixture.self, from: Data(contentsOf: fixtureURL("BiasProbe/bias_statistics.json")))
  }

  func testStatisticAndPValueMatchScipy() throws {
    for entry in try Self.fixture().chiSquare {
      for (correction, expected) in [(true, entry.corrected), (false, entry.uncorrected)] {
        let test = try ChiSquareTest(ContingencyTable(entry.table), yatesCorrection: correction)
        XCTAssertEqual(test.degreesOfFreedom, expected.degreesOfFreedom)
        XCTAssertEqual(test.statistic, expected.statistic, accuracy: 1e-10 * max(1, expected.statistic),
          "\(entry.table) correction \(correction)")
        XCTAssertEqual(test.pValue, expected.pValue, accuracy: 1e-10 * expected.pValue,
          "\(entry.table) correction \(correction)")
      }
    }
  }

  func testSurvivalFunctionMatchesScipy() throws {
    let cases = try Self.fixture().chiSquareSurvival
    XCTAssertEqual(cases.count, 48)
    for entry in cases {
      let sf = ChiSquareTest.survival(entry.x, degreesOfFreedom: entry.degreesOfFreedom)
      XCTAssertEqual(sf, entry.sf, accuracy: 1e-10 * entry.sf, "k \(entry.degreesOfFreedom) x \(entry.x)")
    }
  }

  func testEmptyRowIsATypedError() {
    XCTAssertThrowsError(try ChiSquareTest(ContingencyTable([[1, 2], [0, 0], [3, 4]]))) { error in
      XCTAssertEqual(error as? StatisticsError,
        .degenerateTable(rowTotals: [3, 0, 7], columnTotals: [4, 6]))
    }
  }
}
