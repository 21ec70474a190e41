import Foundation
import Tensor

/// Maximum mean discrepancy with the RBF kernel `K(x, x') = exp(−γ‖x − x'‖²)` (Gretton et al.
/// 2012), and its witness function: the quantities MMD-critic optimises, on explicit sets.
///
/// All sums run through ``crossSums(of:against:gamma:blockRows:)``: blocked products, never a
/// full matrix.
public enum MMD {
  /// The biased estimator `MMD²(X, Z) = mean K(z,z') − 2 mean K(z,x) + mean K(x,x')` (all pairs,
  /// diagonal included: the formula of the MMD-critic paper).
  ///
  /// - Parameters: `x` `[n, d]` and `z` `[m, d]`, both non-empty; `gamma > 0`.
  /// - Throws: ``SelectionError`` for non-matrices, non-finite values, different `d`, bad `γ`.
  /// - Complexity: `(n + m)²·d` multiply-adds; memory `blockRows × max(n, m)` floats.
  public static func squared(
    _ x: Tensor, _ z: Tensor, gamma: Double, blockRows: Int = 256
  ) throws -> Double {
    let zz = try crossSums(of: z, against: z, gamma: gamma, blockRows: blockRows)
    let zx = try crossSums(of: z, against: x, gamma: gamma, blockRows: blockRows)
    let xx = try crossSums(of: x, against: x, gamma: gamma, blockRows: blockRows)
    let n = Double(x.shape[0])
    let m = Double(z.shape[0])
    return zz.reduce(0, +) / (m * m) - 2 * zx.reduce(0, +) / (m * n) + xx.reduce(0, +) / (n * n)
  }

  /// The witness function `w(q) = (1/n) Σ_i K(q, x_i) − (1/m) Σ_j K(q, z_j)` at each row of
  /// `queries`: positive where the data `x` has more mass than the prototypes `z`.
  ///
  /// - Throws: ``SelectionError`` as for ``squared(_:_:gamma:blockRows:)``.
  public static func witness(
    at queries: Tensor, data x: Tensor, prototypes z: Tensor, gamma: Double, blockRows: Int = 256
  ) throws -> [Double] {
    let toData = try crossSums(of: queries, against: x, gamma: gamma, blockRows: blockRows)
    let toPrototypes = try crossSums(of: queries, against: z, gamma: gamma, blockRows: blockRows)
    let n = Double(x.shape[0])
    let m = Double(z.shape[0])
    return zip(toData, toPrototypes).map { $0 / n - $1 / m }
  }

  /// `Σ_j K(a_i, b_j)` for every row `a_i` of `a` `[p, d]`, against the rows of `b` `[q, d]`.
  ///
  /// - Throws: ``SelectionError`` for non-matrices, non-finite values, different `d`, bad `γ`.
  /// - Complexity: `p·q·d` multiply-adds; memory `blockRows × q` floats.
  public static func crossSums(
    of a: Tensor, against b: Tensor, gamma: Double, blockRows: Int = 256
  ) throws -> [Double] {
    try SelectionError.validate(a, labels: nil)
    try SelectionError.validate(b, labels: nil)
    guard a.shape[1] == b.shape[1] else {
      throw SelectionError.dimensionMismatch(expected: a.shape[1], found: b.shape[1])
    }
    guard gamma > 0, gamma.isFinite else { throw SelectionError.invalidGamma(gamma) }
    precondition(blockRows >= 1, "blockRows must be at least 1, not \(blockRows).")
    // Centre both sets by one common point (distances do not change).
    let centre = PointCloud.mean(of: b)
    let left = PointCloud(a, subtracting: centre)
    let right = PointCloud(b, subtracting: centre)
    let g = Float(gamma)
    var sums = [Double](repeating: 0, count: left.count)
    var start = 0
    while start < left.count {
      let end = min(left.count, start + blockRows)
      let block = left.squaredDistances(rows: start..<end, to: right, columns: 0..<right.count)
      let width = right.count
      block.withUnsafeBufferPointer { d in
        for r in 0..<(end - start) {
          var total = 0.0
          for c in 0..<width { total += Double(Foundation.exp(-g * d[r * width + c])) }
          sums[start + r] = total
        }
      }
      start = end
    }
    return sums
  }
}
