import XCTest
@testable import BiasProbe

final class ContingencyTableTests: XCTestCase {
  func testCrossTabulationCountsPairsInTheGivenOrder() {
    let table = ContingencyTable(
      rows: ["dark", "light", "dark", "dark", "light", "other"],
      columns: ["correct", "correct", "misclassified", "correct", "misclassified", "correct"],
      rowOrder: ["light", "dark"], columnOrder: ["correct", "misclassified"])
    XCTAssertEqual(table.counts, [[1, 1], [2, 1]])  // "other" is not in the row order
    XCTAssertEqual(table.rowTotals, [2, 3])
    XCTAssertEqual(table.columnTotals, [3, 2])
    XCTAssertEqual(table.total, 5)
    XCTAssertEqual(table.expectedCounts[0][0], 2 * 3 / 5.0, accuracy: 1e-15)
  }

  func testAssociationTestPicksFisherForTwoByTwoAndChiSquareOtherwise() throws {
    let small = try ContingencyTable([[8, 2], [1, 5]]).associationTest()
    XCTAssertEqual(small.method, .fisherExact)
    XCTAssertEqual(small.statistic, 20)
    XCTAssertEqual(small.pValue, 0.034965034965034975, accuracy: 1e-15)  // scipy
    let exact = try ContingencyTable([[2, 0], [1, 3], [0, 4]]).associationTest()
    XCTAssertEqual(exact.method, .freemanHalton)
    XCTAssertEqual(exact.pValue, 0.1333333333333333, accuracy: 1e-12)  // Freeman–Halton fixture
    let large = try ContingencyTable([[30, 10], [20, 25], [5, 30]]).associationTest(exactTableLimit: 0)
    XCTAssertEqual(large.method, .chiSquare)
    XCTAssertEqual(large.degreesOfFreedom, 2)
    XCTAssertEqual(large.pValue, 9.318314501316897e-07, accuracy: 1e-16)  // scipy
  }
}
