import Foundation
import TestSupport
import XCTest
@testable import BiasProbe

/// The Freeman–Halton test against an enumeration in Python weighted by
/// scipy.stats.random_table(...).pmf (Tools/make_bias_statistics_fixtures.py).
final class FreemanHaltonTestTests: XCTestCase {
  struct Fixture: Decodable {
    struct Entry: Decodable {
      let table: [[Int]]
      let tableCount: Int
      let tableProbability: Double
      let pValue: Double
    }
    let freemanHalton: [Entry]
  }

  func testPValuesMatchTheReferenceEnumeration() throws {
    let cases = try JSONDecoder().decode(
      Fixture.self, from: Data(contentsOf: fixtureURL("BiasProbe/bias_statistics.json"))).freemanHalton
    XCTAssertEqual(cases.count, 7)
    for entry in cases {
      let test = try FreemanHaltonTest(ContingencyTable(entry.table))
      XCTAssertEqual(test.tableCount, entry.tableCount, "\(entry.table)")
      XCTAssertEqual(test.tableProbability, entry.tableProbability, accuracy: 1e-10 * entry.tableProbability)
      XCTAssertEqual(test.pValue, entry.pValue, accuracy: 1e-10 * entry.pValue, "\(entry.table)")
    }
  }

  func testTwoByTwoEqualsFishersTwoSidedTest() throws {
    for table in [[[8, 2], [1, 5]], [[1, 9], [11, 3]], [[20, 15], [10, 40]], [[3, 1], [1, 3]]] {
      XCTAssertEqual(
        try FreemanHaltonTest(ContingencyTable(table)).pValue, FisherExactTest(table).pValue(),
        accuracy: 1e-12, "\(table)")
    }
  }

  func testEmptyMarginsAndTheEnumerationLimit() throws {
    // An empty row changes nothing: the same p-value as without it.
    XCTAssertEqual(
      try FreemanHaltonTest(ContingencyTable([[2, 0], [0, 0], [1, 3], [0, 4]])).pValue,
      try FreemanHaltonTest(ContingencyTable([[2, 0], [1, 3], [0, 4]])).pValue, accuracy: 1e-15)
    XCTAssertEqual(try FreemanHaltonTest(ContingencyTable([[3, 0], [4, 0]])).pValue, 1)
    XCTAssertThrowsError(try FreemanHaltonTest(ContingencyTable([[4, 6, 9], [12, 3, 1], [7, 7, 7]]), maximumTables: 1000)) {
      XCTAssertEqual($0 as? StatisticsError, .tooManyTables(limit: 1000))
    }
  }
}
