import Foundation
import TestSupport
import XCTest

@testable import Explain

final class RankCorrelationTests: XCTestCase {
  func testMonotoneAndReversedOrders() {
    XCTAssertEqual(RankCorrelation.spearman([1, 2, 3, 4], [10, 20, 30, 1000]), 1, accuracy: 1e-12)
    XCTAssertEqual(RankCorrelation.spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1, accuracy: 1e-12)
    XCTAssertTrue(RankCorrelation.spearman([1, 1, 1], [1, 2, 3]).isNaN)
  }

  func testTiesGetTheirAverageRank() {
    XCTAssertEqual(RankCorrelation.ranks([10, 20, 10, 30, 20]), [1.5, 3.5, 1.5, 5, 3.5])
  }

  /// Golden values: `scipy.stats.spearmanr` (Tools/make_metrics_fixtures.py), with and without ties.
  func testMatchesSciPy() throws {
    let data = try Data(contentsOf: fixtureURL("Explain/metrics.json"))
    let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    let cases = try XCTUnwrap(json["spearman"] as? [[String: Any]])
    XCTAssertEqual(cases.count, 4)
    for item in cases {
      let a = try XCTUnwrap(item["a"] as? [Double]).map(Float.init)
      let b = try XCTUnwrap(item["b"] as? [Double]).map(Float.init)
      let expected = try XCTUnwrap(item["rho"] as? Double)
      XCTAssertEqual(RankCorrelation.spearman(a, b), expected, accuracy: 1e-12)
    }
  }
}
