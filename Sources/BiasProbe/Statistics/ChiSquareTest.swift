import Foundation

/// Pearson's chi-square test of independence on an r×c contingency table, as
/// `scipy.stats.chi2_contingency`: `χ² = Σ (O − E)² / E` with `E = rowTotal · columnTotal / n`,
/// `(r − 1)(c − 1)` degrees of freedom, and p-value `P(χ²_dof ≥ χ²)`. With one degree of freedom
/// and `yatesCorrection` (the default, as scipy), every `|O − E|` is first reduced by
/// `min(0.5, |O − E|)`. The approximation wants expected counts of about 5 or more; for 2×2
/// tables prefer `FisherExactTest`.
///
/// - Complexity: O(r·c).
public struct ChiSquareTest: Sendable, Hashable {
  /// The χ² statistic.
  public let statistic: Double
  /// `(r − 1)(c − 1)`.
  public let degreesOfFreedom: Int
  /// `P(χ²_dof ≥ statistic)`; 1 when there are no degrees of freedom.
  public let pValue: Double

  /// Runs the test.
  ///
  /// - Throws: `StatisticsError.degenerateTable` when a row or column total is 0 (the expected
  ///   counts would be 0).
  public init(_ table: ContingencyTable, yatesCorrection: Bool = true) throws {
    let rows = table.rowTotals, columns = table.columnTotals
    guard rows.allSatisfy({ $0 > 0 }), columns.allSatisfy({ $0 > 0 }) else {
      throw StatisticsError.degenerateTable(rowTotals: rows, columnTotals: columns)
    }
    let expected = table.expectedCounts
    let dof = (table.rowCount - 1) * (table.columnCount - 1)
    var chi = 0.0
    for r in 0..<table.rowCount {
      for c in 0..<table.columnCount {
        var difference = abs(Double(table.counts[r][c]) - expected[r][c])
        if dof == 1 && yatesCorrection { difference -= min(0.5, difference) }
        chi += difference * difference / expected[r][c]
      }
    }
    statistic = chi
    degreesOfFreedom = dof
    pValue = dof == 0 ? 1 : Self.survival(chi, degreesOfFreedom: dof)
  }

  /// The chi-square distribution's survival function `P(χ²_k ≥ x) = Q(k/2, x/2)`, the
  /// regularised upper incomplete gamma function (series for `x < a + 1`, Lentz's continued
  /// fraction otherwise; relative error about 1e-14).
  public static func survival(_ x: Double, degreesOfFreedom k: Int) -> Double {
    precondition(k > 0, "The chi-square distribution needs at least one degree of freedom.")
    guard x > 0 else { return 1 }
    return IncompleteGamma.upperRegularized(Double(k) / 2, x / 2)
  }
}

/// The regularised incomplete gamma functions `P(a, x)` and `Q(a, x) = 1 − P(a, x)`.
enum IncompleteGamma {
  /// `Q(a, x)` for `a > 0`, `x ≥ 0`.
  static func upperRegularized(_ a: Double, _ x: Double) -> Double {
    if x <= 0 { return 1 }
    let logPrefactor = -x + a * log(x) - lgamma(a)
    if x < a + 1 {
      // P(a, x) = e^{-x} x^a / Γ(a+1) · Σ xⁿ / ((a+1)…(a+n)).
      var term = 1 / a, sum = term, n = a
      for _ in 0..<10_000 {
        n += 1
        term *= x / n
        sum += term
        if abs(term) < abs(sum) * 1e-17 { break }
      }
      return max(0, 1 - sum * exp(logPrefactor))
    }
    // Q(a, x) = e^{-x} x^a / Γ(a) · 1 / (x + 1 − a − 1·(1−a) / (x + 3 − a − …)), modified Lentz.
    let tiny = 1e-300
    var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
    for i in 1...10_000 {
      let an = -Double(i) * (Double(i) - a)
      b += 2
      d = an * d + b
      if abs(d) < tiny { d = tiny }
      c = b + an / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      let delta = d * c
      h *= delta
      if abs(delta - 1) < 1e-16 { break }
    }
    return exp(logPrefactor) * h
  }
}
