/// Spearman's rank correlation: the Pearson correlation of the ranks, ties given their average
/// rank (as `scipy.stats.spearmanr`). The sanity checks of Adebayo et al. (NeurIPS 2018) compare
/// explanations with it.
///
/// ```swift
/// RankCorrelation.spearman([1, 2, 3], [10, 20, 30])   // 1
/// RankCorrelation.spearman([1, 2, 3], [3, 2, 1])      // -1
/// ```
public enum RankCorrelation {
  /// ρ of `a` and `b` (same length ≥ 2), in [−1, 1]; NaN when either is constant.
  ///
  /// - Precondition: equal lengths, at least 2 values, all finite.
  /// - Complexity: O(n log n).
  public static func spearman(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count && a.count >= 2, "spearman needs two arrays of equal length ≥ 2.")
    return pearson(ranks(a), ranks(b))
  }

  /// The ranks of `values`, from 1, ties averaged.
  public static func ranks(_ values: [Float]) -> [Double] {
    precondition(values.allSatisfy(\.isFinite), "ranks need finite values.")
    let order = values.indices.sorted { values[$0] < values[$1] }
    var ranks = [Double](repeating: 0, count: values.count)
    var start = 0
    while start < order.count {
      var end = start
      while end + 1 < order.count, values[order[end + 1]] == values[order[start]] { end += 1 }
      let average = Double(start + end) / 2 + 1
      for position in start...end { ranks[order[position]] = average }
      start = end + 1
    }
    return ranks
  }

  /// Pearson's correlation of `x` and `y`, accumulated in Double.
  public static func pearson(_ x: [Double], _ y: [Double]) -> Double {
    precondition(x.count == y.count && x.count >= 2, "pearson needs two arrays of equal length ≥ 2.")
    let n = Double(x.count)
    let meanX = x.reduce(0, +) / n
    let meanY = y.reduce(0, +) / n
    var sxy = 0.0, sxx = 0.0, syy = 0.0
    for index in x.indices {
      let dx = x[index] - meanX, dy = y[index] - meanY
      sxy += dx * dy
      sxx += dx * dx
      syy += dy * dy
    }
    guard sxx > 0, syy > 0 else { return .nan }
    return sxy / (sxx * syy).squareRoot()
  }
}
