import Foundation
import Models
import Tensor

/// The RBF (Gaussian) kernel `K(x, x') = exp(−γ‖x − x'‖²)` over the rows of a feature matrix,
/// computed through matrix products in blocks of rows, never as a whole `n × n` matrix.
///
/// Global kernel: `K` over all pairs. Local kernel (MMD-critic's per-class kernel, `mmd.py`'s
/// `calculate_kernel_individual`): `K_ij` as above when `i` and `j` share a label, 0 otherwise.
///
/// Initialisation makes one blocked pass over the upper triangle of `K` to compute the row sums
/// `Σ_j K_ij`, the only quantity of MMD-critic that touches every pair; ``rows(_:)`` then
/// computes single rows on demand. Squared distances come from `‖x‖² + ‖y‖² − 2·x·yᵀ` (single
/// precision `sgemm` on centred points, clamped at 0; `K_ii = 1` exactly); sums are in double
/// precision.
///
/// - Complexity: initialisation `n²·d` multiply-adds (half of `X·Xᵀ`) and `n²/2` exponentials,
///   plus two more passes of the products for the median heuristic; memory `n·d` floats for the
///   centred points plus one block of `blockRows × n` floats. ``rows(_:)``: `n·d` per row.
public struct RBFKernel: KernelSource {
  /// How `γ` is chosen.
  public enum Bandwidth: Sendable, Equatable, Hashable {
    /// A given `γ > 0`.
    case gamma(Double)
    /// `γ = 1/(2·median_{i<j} ‖x_i − x_j‖²)` (see ``MedianHeuristic``).
    case medianHeuristic
  }

  /// Which pairs the kernel relates.
  public enum Scope: String, Sendable, Equatable, Hashable, CaseIterable {
    /// All pairs.
    case global
    /// Pairs of the same class only; 0 across classes (needs labels).
    case local
  }

  /// The kernel's settings, shared by the selectors.
  public struct Options: Sendable, Equatable, Hashable {
    /// How `γ` is chosen (the median heuristic by default).
    public var bandwidth: Bandwidth
    /// Global or per-class kernel.
    public var scope: Scope
    /// Rows per block of the blocked products: peak memory `blockRows × n` floats.
    public var blockRows: Int

    /// - Precondition: `blockRows >= 1`.
    public init(bandwidth: Bandwidth = .medianHeuristic, scope: Scope = .global, blockRows: Int = 256) {
      precondition(blockRows >= 1, "blockRows must be at least 1, not \(blockRows).")
      self.bandwidth = bandwidth
      self.scope = scope
      self.blockRows = blockRows
    }
  }

  /// The bandwidth `γ` in use.
  public let gamma: Double
  /// The labels of the local kernel (`nil` for the global kernel).
  public let labels: [Int]?
  /// The options it was built with.
  public let options: Options
  /// `Σ_j K_ij` for every point.
  public let rowSums: [Double]
  let cloud: PointCloud

  /// The kernel over the rows of `features` `[n, d]`.
  ///
  /// - Parameters:
  ///   - features: one point per row.
  ///   - labels: one class per row; required for the local scope, ignored by the global one.
  ///   - options: bandwidth, scope and block size.
  ///   - progress: reports the two passes of the median heuristic (stage `median heuristic`)
  ///     and the blocks of the row-sum pass (stage `kernel row sums`), from the calling thread.
  /// - Throws: ``SelectionError`` for a non-matrix or non-finite input, missing or miscounted
  ///   labels, a non-positive `γ`, or a zero median distance.
  public init(
    features: Tensor, labels: [Int]? = nil, options: Options = Options(),
    progress: ProgressHandler = WorkProgress.ignore
  ) throws {
    try SelectionError.validate(features, labels: labels)
    let cloud = PointCloud(features)
    let gamma: Double
    switch options.bandwidth {
    case .gamma(let value):
      guard value > 0, value.isFinite else { throw SelectionError.invalidGamma(value) }
      gamma = value
    case .medianHeuristic:
      gamma = try MedianHeuristic.gamma(for: cloud, blockRows: options.blockRows, progress: progress)
    }
    var kernelLabels: [Int]? = nil
    if options.scope == .local {
      guard let labels else { throw SelectionError.localKernelNeedsLabels }
      kernelLabels = labels
    }
    self.cloud = cloud
    self.gamma = gamma
    self.labels = kernelLabels
    self.options = options
    self.rowSums = RBFKernel.rowSums(
      cloud, gamma: gamma, labels: kernelLabels, blockRows: options.blockRows, progress: progress)
  }

  /// The number of points.
  public var count: Int { cloud.count }

  /// `K_ii = 1` for every point.
  public var diagonal: [Double] { [Double](repeating: 1, count: cloud.count) }

  /// The rows `K_i·`: one matrix–vector product for a single row, one matrix product per
  /// `blockRows` rows otherwise.
  /// - Complexity: `n·d` multiply-adds and `n` exponentials per row; memory
  ///   `min(k, blockRows) × n` floats beyond the `k × n` result.
  public func rows(_ indices: [Int]) -> [[Double]] {
    let n = cloud.count
    let g = Float(gamma)
    for i in indices {
      precondition((0..<n).contains(i), "Row \(i) is outside a kernel over \(n) points.")
    }
    var result: [[Double]] = []
    result.reserveCapacity(indices.count)
    var start = 0
    while start < indices.count {
      let chunk = Array(indices[start..<min(indices.count, start + options.blockRows)])
      let distances =
        chunk.count == 1
        ? cloud.squaredDistances(rows: chunk[0]..<(chunk[0] + 1), to: cloud, columns: 0..<n)
        : cloud.gathering(chunk).squaredDistances(rows: 0..<chunk.count, to: cloud, columns: 0..<n)
      distances.withUnsafeBufferPointer { d in
        for (r, i) in chunk.enumerated() {
          var row = [Double](repeating: 0, count: n)
          let line = d.baseAddress! + r * n
          for j in 0..<n {
            if let labels, labels[j] != labels[i] { continue }
            row[j] = Double(Foundation.exp(-g * line[j]))
          }
          row[i] = 1
          result.append(row)
        }
      }
      start += chunk.count
    }
    return result
  }

  /// The dense matrix (`n²` doubles): for small problems and tests.
  public var matrix: KernelMatrix { KernelMatrix(self) }

  /// Row sums over the upper block triangle: each block `[i0, i1) × [i0, n)` adds its row sums
  /// to rows `[i0, i1)` and its column sums beyond `i1` to those rows (symmetry).
  ///
  /// Deterministic for any thread count: each row of a block is turned into kernel values and
  /// summed left to right by one worker, and each column beyond the block's square is added to
  /// its total top to bottom (one column never spans two workers), so no sum's order depends on
  /// how `ComputeThreads` splits the work.
  static func rowSums(
    _ cloud: PointCloud, gamma: Double, labels: [Int]?, blockRows: Int,
    progress: ProgressHandler = WorkProgress.ignore
  ) -> [Double] {
    let n = cloud.count
    let blocks = (n + blockRows - 1) / blockRows
    var finished = 0
    progress(WorkProgress(stage: "kernel row sums", completed: 0, total: blocks))
    var sums = [Double](repeating: 0, count: n)
    let g = Float(gamma)
    sums.withUnsafeMutableBufferPointer { total in
      let totalPointer = UncheckedDoublePointer(total.baseAddress!)
      cloud.forEachUpperBlock(blockRows: blockRows) { rows, distances in
        let height = rows.count
        let width = n - rows.lowerBound
        let base = rows.lowerBound
        let block = UncheckedPointer(distances.baseAddress!)
        // Kernel values in place of the distances, and each row's sum, one row per iteration.
        ComputeThreads.parallelFor(height) { r in
          let line = block.pointer + r * width
          for c in 0..<width { line[c] = Foundation.exp(-g * line[c]) }
          line[r] = 1  // K_ii, exactly
          if let labels {
            let rowLabel = labels[base + r]
            for c in 0..<width where labels[base + c] != rowLabel { line[c] = 0 }
          }
          var acc = 0.0
          for c in 0..<width { acc += Double(line[c]) }
          totalPointer.pointer[base + r] += acc
        }
        // Columns beyond the block's square receive the transposed contribution, row by row,
        // in tiles of columns.
        let beyond = width - height
        let tile = 512
        ComputeThreads.parallelFor((beyond + tile - 1) / tile) { t in
          let first = height + t * tile
          let last = min(width, first + tile)
          for r in 0..<height {
            let line = block.pointer + r * width
            for c in first..<last { totalPointer.pointer[base + c] += Double(line[c]) }
          }
        }
        finished += 1
        progress(WorkProgress(stage: "kernel row sums", completed: finished, total: blocks))
      }
    }
    return sums
  }
}
