import Foundation
import Models
import Tensor

/// The median heuristic for the RBF bandwidth: `γ = 1 / (2·median_{i<j} ‖x_i − x_j‖²)`.
///
/// This is Gretton et al.'s convention (the kernel `exp(−‖x − x'‖² / 2σ²)` with `σ` the median
/// distance, so `γ = 1/(2σ²)`); the median is NumPy's `np.median` over the `n(n−1)/2` squared
/// distances of distinct pairs (the mean of the two middle values for an even count). The
/// reference `mmd.py` has no heuristic: its experiments pass `γ` (0.026, by cross-validation,
/// for USPS), and scikit-learn's `rbf_kernel` default is `1/d`.
///
/// The median is exact without storing the distances: a radix selection on the bit patterns of
/// the (non-negative) single-precision distances, with two blocked passes over the pairs
/// (a histogram of the high 16 bits, then of the low 16 bits within the one or two bins
/// holding the middle ranks).
///
/// Edge cases: fewer than two points → `γ = 1` (every RBF kernel on one point is `[1]`); a zero
/// median (more than half of the pairs are duplicates) → ``SelectionError/zeroMedianDistance``.
public enum MedianHeuristic {
  /// `γ = 1/(2·median)` for the rows of `features` `[n, d]`.
  ///
  /// - Throws: ``SelectionError/zeroMedianDistance`` when the median squared distance is 0.
  /// - Complexity: two passes of `n²·d/2` multiply-adds; memory `blockRows × n` floats.
  public static func gamma(for features: Tensor, blockRows: Int = 256) throws -> Double {
    precondition(features.rank == 2, "Features must be [n, d], not \(features.shape).")
    let cloud = PointCloud(features)
    return try gamma(for: cloud, blockRows: blockRows)
  }

  /// The median of the squared distances of distinct pairs (`nil` for fewer than two points).
  public static func medianSquaredDistance(of features: Tensor, blockRows: Int = 256) -> Double? {
    precondition(features.rank == 2, "Features must be [n, d], not \(features.shape).")
    return medianSquaredDistance(of: PointCloud(features), blockRows: blockRows)
  }

  static func gamma(
    for cloud: PointCloud, blockRows: Int, progress: ProgressHandler = WorkProgress.ignore
  ) throws -> Double {
    guard let median = medianSquaredDistance(of: cloud, blockRows: blockRows, progress: progress)
    else { return 1 }
    guard median > 0 else { throw SelectionError.zeroMedianDistance }
    return 1 / (2 * median)
  }

  static func medianSquaredDistance(
    of cloud: PointCloud, blockRows: Int, progress: ProgressHandler = WorkProgress.ignore
  ) -> Double? {
    let n = cloud.count
    let pairs = n * (n - 1) / 2
    guard pairs > 0 else { return nil }
    progress(WorkProgress(stage: "median heuristic", completed: 0, total: 2))
    let lowRank = (pairs - 1) / 2
    let highRank = pairs / 2

    // Pass 1: histogram of the high 16 bits.
    var high = [Int](repeating: 0, count: 1 << 16)
    visitPairs(cloud, blockRows: blockRows) { bits in high[Int(bits >> 16)] += 1 }
    func locate(_ rank: Int, in histogram: [Int]) -> (bin: Int, before: Int) {
      var seen = 0
      for (bin, count) in histogram.enumerated() {
        if seen + count > rank { return (bin, seen) }
        seen += count
      }
      preconditionFailure("rank \(rank) beyond the histogram")
    }
    progress(WorkProgress(stage: "median heuristic", completed: 1, total: 2))
    let (lowBin, lowBefore) = locate(lowRank, in: high)
    let (highBin, highBefore) = locate(highRank, in: high)

    // Pass 2: histograms of the low 16 bits within the bins of the middle ranks.
    var lowWithin = [Int](repeating: 0, count: 1 << 16)
    var highWithin = [Int](repeating: 0, count: 1 << 16)
    visitPairs(cloud, blockRows: blockRows) { bits in
      let top = Int(bits >> 16)
      if top == lowBin { lowWithin[Int(bits & 0xFFFF)] += 1 }
      if top == highBin { highWithin[Int(bits & 0xFFFF)] += 1 }
    }
    progress(WorkProgress(stage: "median heuristic", completed: 2, total: 2))
    let lowValue = Float(
      bitPattern: UInt32(lowBin) << 16 | UInt32(locate(lowRank - lowBefore, in: lowWithin).bin))
    let highValue = Float(
      bitPattern: UInt32(highBin) << 16 | UInt32(locate(highRank - highBefore, in: highWithin).bin))
    return (Double(lowValue) + Double(highValue)) / 2
  }

  /// Calls `visit` with the bit pattern of every squared distance `‖x_i − x_j‖²`, `i < j`.
  private static func visitPairs(
    _ cloud: PointCloud, blockRows: Int, _ visit: (UInt32) -> Void
  ) {
    cloud.forEachUpperBlock(blockRows: blockRows) { rows, distances in
      let width = cloud.count - rows.lowerBound
      for r in 0..<rows.count {
        // Columns after the diagonal: j > i.
        for c in (r + 1)..<width { visit(distances[r * width + c].bitPattern) }
      }
    }
  }
}
