/// A table of counts: rows are the values of one variable (an attribute), columns the values of
/// another (correct / misclassified, predicted-is-c / not), each cell the number of images with
/// that pair of values.
public struct ContingencyTable: Sendable, Hashable, Codable {
  /// One label per row, e.g. the attribute's values.
  public let rowLabels: [String]
  /// One label per column, e.g. `["correct", "misclassified"]`.
  public let columnLabels: [String]
  /// `counts[row][column]`.
  public let counts: [[Int]]

  /// - Precondition: `counts` has `rowLabels.count` rows of `columnLabels.count` non-negative
  ///   counts.
  public init(rowLabels: [String], columnLabels: [String], counts: [[Int]]) {
    precondition(counts.count == rowLabels.count,
      "A contingency table needs one row of counts per row label (\(rowLabels.count)), not \(counts.count).")
    precondition(counts.allSatisfy { $0.count == columnLabels.count && $0.allSatisfy { $0 >= 0 } },
      "Every row of a contingency table needs \(columnLabels.count) non-negative counts.")
    self.rowLabels = rowLabels
    self.columnLabels = columnLabels
    self.counts = counts
  }

  /// A table with anonymous labels (`"0"`, `"1"`, ...), for tests and quick use.
  public init(_ counts: [[Int]]) {
    let columns = counts.first?.count ?? 0
    self.init(rowLabels: counts.indices.map(String.init), columnLabels: (0..<columns).map(String.init),
      counts: counts)
  }

  /// Cross-tabulates paired observations: one row per distinct `rows` value, one column per
  /// distinct `columns` value, each in the order given by `rowOrder` / `columnOrder` (default:
  /// sorted). Values missing from an order are dropped.
  ///
  /// - Complexity: O(n + r·c).
  public init(
    rows: [String], columns: [String], rowOrder: [String]? = nil, columnOrder: [String]? = nil
  ) {
    precondition(rows.count == columns.count, "Cross-tabulation needs as many row as column values.")
    let rowLabels = rowOrder ?? Array(Set(rows)).sorted()
    let columnLabels = columnOrder ?? Array(Set(columns)).sorted()
    let rowIndex = Dictionary(uniqueKeysWithValues: rowLabels.enumerated().map { ($1, $0) })
    let columnIndex = Dictionary(uniqueKeysWithValues: columnLabels.enumerated().map { ($1, $0) })
    var counts = Array(repeating: Array(repeating: 0, count: columnLabels.count), count: rowLabels.count)
    for (row, column) in zip(rows, columns) {
      if let r = rowIndex[row], let c = columnIndex[column] { counts[r][c] += 1 }
    }
    self.init(rowLabels: rowLabels, columnLabels: columnLabels, counts: counts)
  }

  /// The number of rows.
  public var rowCount: Int { counts.count }
  /// The number of columns.
  public var columnCount: Int { columnLabels.count }
  /// The sum of each row.
  public var rowTotals: [Int] { counts.map { $0.reduce(0, +) } }
  /// The sum of each column.
  public var columnTotals: [Int] {
    (0..<columnCount).map { c in counts.reduce(0) { $0 + $1[c] } }
  }
  /// The sum of all cells.
  public var total: Int { rowTotals.reduce(0, +) }

  /// The counts under independence, `rowTotal · columnTotal / total` (all zero for an empty table).
  public var expectedCounts: [[Double]] {
    let n = Double(total)
    let rows = rowTotals, columns = columnTotals
    return rows.map { r in columns.map { c in n > 0 ? Double(r) * Double(c) / n : 0 } }
  }

  /// The test of association that fits the table: Fisher's exact test (two-sided) for a 2×2
  /// table; for a larger one the Freeman–Halton exact test when at most `exactTableLimit` tables
  /// share its margins, else Pearson's chi-square test (with Yates' correction when it has one
  /// degree of freedom).
  ///
  /// - Throws: `StatisticsError.degenerateTable` when a larger table that is not tested exactly
  ///   has an empty row or column.
  public func associationTest(exactTableLimit: Int = 100_000) throws -> AssociationTest {
    if rowCount == 2 && columnCount == 2 {
      let fisher = FisherExactTest(self)
      return AssociationTest(
        method: .fisherExact, statistic: fisher.oddsRatio, degreesOfFreedom: 1,
        pValue: fisher.pValue(.twoSided))
    }
    let dof = (rowCount - 1) * (columnCount - 1)
    if exactTableLimit > 0, let exact = try? FreemanHaltonTest(self, maximumTables: exactTableLimit) {
      return AssociationTest(
        method: .freemanHalton, statistic: exact.tableProbability, degreesOfFreedom: dof,
        pValue: exact.pValue)
    }
    let chi = try ChiSquareTest(self)
    return AssociationTest(
      method: .chiSquare, statistic: chi.statistic, degreesOfFreedom: chi.degreesOfFreedom,
      pValue: chi.pValue)
  }
}

/// The outcome of a test of association on a contingency table.
public struct AssociationTest: Sendable, Hashable, Codable {
  /// The tests `ContingencyTable.associationTest()` chooses from.
  public enum Method: String, Sendable, Hashable, Codable {
    /// Fisher's exact test (2×2 tables); `statistic` is the sample odds ratio.
    case fisherExact
    /// The Freeman–Halton exact test (r×c); `statistic` is the observed table's probability.
    case freemanHalton
    /// Pearson's chi-square test of independence; `statistic` is χ².
    case chiSquare
  }
  /// Which test ran.
  public let method: Method
  /// The odds ratio (Fisher), the table's probability (Freeman–Halton) or χ² (chi-square); NaN
  /// or infinite where undefined.
  public let statistic: Double
  /// `(rows − 1)(columns − 1)`.
  public let degreesOfFreedom: Int
  /// The two-sided p-value.
  public let pValue: Double
}

/// Errors from the bias statistics on caller-provided data.
public enum StatisticsError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The chi-square test needs every row and column total to be positive.
  case degenerateTable(rowTotals: [Int], columnTotals: [Int])
  /// Per-image arrays of different lengths.
  case mismatchedCounts(String)
  /// An image id not present in the annotation file.
  case unannotatedImage(String, file: String)
  /// An attribute the annotation file does not have.
  case unknownAttribute(String, available: [String], file: String)
  /// An exact test would enumerate more tables than its limit.
  case tooManyTables(limit: Int)

  public var description: String {
    switch self {
    case .degenerateTable(let rows, let columns):
      return "The chi-square test needs positive row and column totals; rows \(rows), columns \(columns)."
    case .mismatchedCounts(let what):
      return "Per-image inputs differ in length: \(what)."
    case .unannotatedImage(let id, let file):
      return "\(file): no annotation for image '\(id)'."
    case .unknownAttribute(let name, let available, let file):
      return "\(file): no attribute '\(name)'; the file has \(available.joined(separator: ", "))."
    case .tooManyTables(let limit):
      return "The exact test would enumerate more than \(limit) tables; use the chi-square test."
    }
  }
}
