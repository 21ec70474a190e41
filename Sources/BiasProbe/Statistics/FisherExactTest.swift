import Foundation

/// Fisher's exact test of association on a 2×2 contingency table `[[a, b], [c, d]]`.
///
/// With the margins fixed, the top-left count follows the hypergeometric distribution
/// `P(x) = C(r₁, x) C(r₂, c₁ − x) / C(n, c₁)`. The two-sided p-value sums `P(x)` over every table
/// no more probable than the observed one (with a relative tolerance of 1e-7 for ties, as R's
/// `fisher.test`); `less` and `greater` are the lower and upper tails. This is
/// `scipy.stats.fisher_exact` (checked to 1e-10 relative in the tests), including its conventions
/// for degenerate tables: an empty row or column gives odds ratio NaN and p = 1.
///
/// Probabilities are computed in log space by the ratio recurrence
/// `P(x+1)/P(x) = (r₁−x)(c₁−x) / ((x+1)(r₂−c₁+x+1))`, so p-values far below 1e-300 stay exact in
/// `logPValue`.
///
/// - Complexity: O(min(r₁, c₁)) time and memory.
public struct FisherExactTest: Sendable, Hashable {
  /// Which tail(s) the p-value covers.
  public enum Alternative: String, Sendable, Hashable, Codable, CaseIterable {
    /// Tables at most as probable as the observed one, both sides.
    case twoSided
    /// Tables with a top-left count at most the observed (odds ratio below 1).
    case less
    /// Tables with a top-left count at least the observed (odds ratio above 1).
    case greater
  }

  /// The table tested.
  public let table: [[Int]]

  /// - Precondition: a 2×2 table of non-negative counts.
  public init(_ table: [[Int]]) {
    precondition(table.count == 2 && table.allSatisfy { $0.count == 2 && $0.allSatisfy { $0 >= 0 } },
      "Fisher's exact test needs a 2×2 table of non-negative counts, not \(table).")
    self.table = table
  }

  /// The test of a 2×2 `ContingencyTable`.
  public init(_ table: ContingencyTable) {
    self.init(table.counts)
  }

  /// The sample odds ratio `ad / bc`: infinite when `b` or `c` is 0 (and `ad` is not), NaN when a
  /// row or column is empty.
  public var oddsRatio: Double {
    let (a, b, c, d) = (table[0][0], table[0][1], table[1][0], table[1][1])
    if a + b == 0 || c + d == 0 || a + c == 0 || b + d == 0 { return .nan }
    if b > 0 && c > 0 { return Double(a) * Double(d) / (Double(b) * Double(c)) }
    return .infinity
  }

  /// The p-value for `alternative` (two-sided by default).
  public func pValue(_ alternative: Alternative = .twoSided) -> Double {
    min(1, exp(logPValue(alternative)))
  }

  /// The natural logarithm of the p-value; finite even where `pValue` underflows.
  public func logPValue(_ alternative: Alternative = .twoSided) -> Double {
    let (a, b, c, d) = (table[0][0], table[0][1], table[1][0], table[1][1])
    let row1 = a + b, row2 = c + d, column1 = a + c
    if row1 == 0 || row2 == 0 || column1 == 0 || b + d == 0 { return 0 }
    let low = max(0, column1 - row2), high = min(row1, column1)
    // Unnormalised log-probabilities of x = low...high by the ratio recurrence.
    var logWeights = [Double](repeating: 0, count: high - low + 1)
    for x in low..<high {
      let ratio = (Double(row1 - x) * Double(column1 - x))
        / (Double(x + 1) * Double(row2 - column1 + x + 1))
      logWeights[x - low + 1] = logWeights[x - low] + log(ratio)
    }
    let logTotal = Self.logSumExp(logWeights[...])
    let observed = a - low
    let selected: [Double]
    switch alternative {
    case .less: selected = Array(logWeights[...observed])
    case .greater: selected = Array(logWeights[observed...])
    case .twoSided:
      let threshold = logWeights[observed] + 1e-7
      selected = logWeights.filter { $0 <= threshold }
    }
    return min(0, Self.logSumExp(selected[...]) - logTotal)
  }

  /// `log Σ exp(vᵢ)` without overflow.
  static func logSumExp(_ values: ArraySlice<Double>) -> Double {
    guard let top = values.max() else { return -.infinity }
    return top + log(values.reduce(0) { $0 + exp($1 - top) })
  }
}
