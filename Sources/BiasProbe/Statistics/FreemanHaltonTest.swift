import Foundation

/// The Freeman–Halton test: Fisher's exact test extended to r×c contingency tables.
///
/// With all row and column totals fixed, a table has probability
/// `P(T) = Π rᵢ! Π cⱼ! / (n! Π tᵢⱼ!)` (the multivariate hypergeometric distribution). The
/// p-value is the total probability of the tables no more probable than the observed one, with
/// a relative tolerance of 1e-7 for ties (as R's `fisher.test`). For a 2×2 table it equals
/// `FisherExactTest`'s two-sided p-value.
///
/// Every table with the observed margins is enumerated, column by column, so the cost grows
/// quickly with the counts and the table size; `maximumTables` bounds it.
///
/// - Complexity: O(T · r) for T tables with the observed margins.
public struct FreemanHaltonTest: Sendable, Hashable {
  /// The probability of the observed table under independence with fixed margins.
  public let tableProbability: Double
  /// The two-sided p-value.
  public let pValue: Double
  /// How many tables were enumerated.
  public let tableCount: Int

  /// Runs the test.
  ///
  /// - Parameter maximumTables: the enumeration stops beyond this many tables.
  /// - Throws: `StatisticsError.tooManyTables` when more tables than `maximumTables` share the
  ///   observed margins (use `ChiSquareTest` then).
  public init(_ table: ContingencyTable, maximumTables: Int = 20_000_000) throws {
    // Drop empty rows and columns: they do not change any table's probability.
    let rowTotals = table.rowTotals.filter { $0 > 0 }
    let columnTotals = table.columnTotals.filter { $0 > 0 }
    let keptRows = table.rowTotals.indices.filter { table.rowTotals[$0] > 0 }
    let keptColumns = table.columnTotals.indices.filter { table.columnTotals[$0] > 0 }
    let counts = keptRows.map { r in keptColumns.map { table.counts[r][$0] } }
    let n = rowTotals.reduce(0, +)
    guard rowTotals.count >= 2, columnTotals.count >= 2 else {
      tableProbability = 1
      pValue = 1
      tableCount = 1
      return
    }
    var logFactorial = [Double](repeating: 0, count: n + 1)
    for i in stride(from: 1, through: n, by: 1) { logFactorial[i] = logFactorial[i - 1] + log(Double(i)) }
    let constant = rowTotals.reduce(0) { $0 + logFactorial[$1] }
      + columnTotals.reduce(0) { $0 + logFactorial[$1] } - logFactorial[n]
    let observed = constant - counts.joined().reduce(0) { $0 + logFactorial[$1] }
    let threshold = observed + 1e-7

    // Enumerate: fill columns 0..<c−1 cell by cell (rows 0..<r−1 free, the last row forced);
    // the last column is forced by the remaining row totals.
    let r = rowTotals.count, c = columnTotals.count
    var remaining = rowTotals
    var total = 0.0, extreme = 0.0
    var count = 0
    var overflow = false

    func finishTable(_ logCells: Double) {
      // The last column holds what is left of each row.
      var logP = constant - logCells
      for i in 0..<r { logP -= logFactorial[remaining[i]] }
      count += 1
      let weight = exp(logP)  // the weights sum to 1; dividing by the sum cancels rounding
      total += weight
      if logP <= threshold { extreme += weight }
    }

    func fill(column j: Int, row i: Int, left: Int, logCells: Double) {
      if overflow { return }
      if j == c - 1 {
        if count >= maximumTables { overflow = true; return }
        finishTable(logCells)
        return
      }
      if i == r - 1 {
        // The last row takes what is left of the column, if its total allows.
        guard left <= remaining[i] else { return }
        remaining[i] -= left
        fill(column: j + 1, row: 0, left: columnTotals[j + 1], logCells: logCells + logFactorial[left])
        remaining[i] += left
        return
      }
      // Rows below i can absorb at most the sum of their remaining totals.
      var capacityBelow = 0
      for k in (i + 1)..<r { capacityBelow += remaining[k] }
      let low = max(0, left - capacityBelow), high = min(remaining[i], left)
      guard low <= high else { return }
      for x in low...high {
        remaining[i] -= x
        fill(column: j, row: i + 1, left: left - x, logCells: logCells + logFactorial[x])
        remaining[i] += x
        if overflow { return }
      }
    }
    fill(column: 0, row: 0, left: columnTotals[0], logCells: 0)
    if overflow { throw StatisticsError.tooManyTables(limit: maximumTables) }
    tableProbability = exp(observed)
    pValue = min(1, extreme / total)
    tableCount = count
  }
}
