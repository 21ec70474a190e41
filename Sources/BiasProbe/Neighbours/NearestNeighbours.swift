import Foundation
import Tensor

/// The k nearest images of a reference set in feature space: the example-based explanation of a
/// prediction ("the model calls this a basketball because it looks like these training images").
///
/// Distances are computed for blocks of reference rows with one GEMM per block
/// (`Q · Rᵀ`, so memory stays at `queries × blockSize` floats), the k best are kept per query,
/// then their distances are recomputed exactly in Double (GEMM-based L2 distances lose digits
/// when two vectors nearly coincide). Ties are broken by the lower reference index.
///
/// - `cosine`: `1 − ⟨q, r⟩ / (‖q‖ ‖r‖)` in [0, 2] (a zero vector has cosine 0 with everything,
///   i.e. distance 1);
/// - `l2`: `‖q − r‖`.
///
/// ```swift
/// let index = try NearestNeighbours(reference: set.features, labels: names, metric: .cosine)
/// let best = try index.neighbours(of: queryFeatures, k: 8)[0]  // [Neighbour], nearest first
/// ```
public struct NearestNeighbours: Sendable {
  /// The distance between feature vectors.
  public enum Metric: String, Sendable, Hashable, Codable, CaseIterable {
    /// `1 − cos(q, r)`, in [0, 2].
    case cosine
    /// The Euclidean distance.
    case l2
  }

  /// The reference features `[M, D]`.
  public let reference: Tensor
  /// One label per reference row (`nil`: none).
  public let labels: [String]?
  /// The distance used.
  public let metric: Metric
  /// Reference rows per GEMM block.
  public let blockSize: Int
  private let referenceScalars: [Float]
  private let squaredNorms: [Double]

  /// Prepares a reference set (computes its row norms).
  ///
  /// - Throws: `NeighbourError.wrongShape` unless `reference` is `[M, D]` with `M, D ≥ 1`,
  ///   `.labelCountMismatch`, `.nonFinite` naming the first bad row.
  /// - Precondition: `blockSize >= 1`.
  /// - Complexity: O(M·D).
  public init(reference: Tensor, labels: [String]? = nil, metric: Metric = .cosine, blockSize: Int = 4096) throws {
    precondition(blockSize >= 1, "blockSize must be at least 1.")
    guard reference.rank == 2, reference.shape[0] >= 1, reference.shape[1] >= 1 else {
      throw NeighbourError.wrongShape(what: "reference features", expected: "[M, D]", found: reference.shape)
    }
    if let labels, labels.count != reference.shape[0] {
      throw NeighbourError.labelCountMismatch(labels: labels.count, rows: reference.shape[0])
    }
    let reference = reference.contiguous()
    let scalars = reference.scalars
    let d = reference.shape[1]
    if let bad = scalars.firstIndex(where: { !$0.isFinite }) {
      throw NeighbourError.nonFinite(what: "reference features", row: bad / d)
    }
    self.reference = reference
    self.labels = labels
    self.metric = metric
    self.blockSize = blockSize
    self.referenceScalars = scalars
    self.squaredNorms = (0..<reference.shape[0]).map { Self.squaredNorm(scalars[($0 * d)..<(($0 + 1) * d)]) }
  }

  /// The number of reference rows.
  public var count: Int { reference.shape[0] }

  /// The `k` nearest reference rows of each query, nearest first (fewer when the reference set
  /// is smaller than `k`).
  ///
  /// - Parameter queries: `[Q, D]`, or one query `[D]`.
  /// - Throws: `NeighbourError.wrongShape` for a dimension other than the reference's,
  ///   `.nonFinite`, `.invalidK` for `k < 1`.
  /// - Complexity: O(Q·M·D) in GEMM plus O(Q·M·k) selection; memory O(Q·blockSize + Q·k).
  public func neighbours(of queries: Tensor, k: Int) throws -> [[Neighbour]] {
    guard k >= 1 else { throw NeighbourError.invalidK(k) }
    let d = reference.shape[1]
    let q = queries.rank == 1 ? queries.expandingShape(at: 0).contiguous() : queries.contiguous()
    guard q.rank == 2, q.shape[1] == d, q.shape[0] >= 1 else {
      throw NeighbourError.wrongShape(what: "query features", expected: "[Q, \(d)] or [\(d)]", found: queries.shape)
    }
    let queryScalars = q.scalars
    if let bad = queryScalars.firstIndex(where: { !$0.isFinite }) {
      throw NeighbourError.nonFinite(what: "query features", row: bad / d)
    }
    let queryCount = q.shape[0]
    let queryNorms = (0..<queryCount).map { Self.squaredNorm(queryScalars[($0 * d)..<(($0 + 1) * d)]) }
    let keep = min(k, count)
    // best[i]: up to `keep` (approximate distance, index), sorted ascending.
    var best = [[(distance: Double, index: Int)]](repeating: [], count: queryCount)
    for start in stride(from: 0, to: count, by: blockSize) {
      let end = min(start + blockSize, count)
      let products = matmul(q, transposed: false, reference.sliced(axis: 0, start..<end), transposed: true).scalars
      let width = end - start
      for i in 0..<queryCount {
        for j in 0..<width {
          let distance = approximateDistance(
            dot: Double(products[i * width + j]), query: queryNorms[i], reference: squaredNorms[start + j])
          Self.insert((distance, start + j), into: &best[i], keeping: keep)
        }
      }
    }
    var result: [[Neighbour]] = []
    for i in 0..<queryCount {
      let query = queryScalars[(i * d)..<((i + 1) * d)]
      var exact: [(index: Int, distance: Double)] = best[i].map { candidate in
        (candidate.index, exactDistance(query, queryNorm: queryNorms[i], candidate.index))
      }
      exact.sort { $0.distance < $1.distance || ($0.distance == $1.distance && $0.index < $1.index) }
      result.append(exact.map { Neighbour(index: $0.index, distance: $0.distance, label: labels?[$0.index]) })
    }
    return result
  }

  private func approximateDistance(dot: Double, query: Double, reference: Double) -> Double {
    switch metric {
    case .cosine:
      guard query > 0, reference > 0 else { return 1 }
      return min(2, max(0, 1 - dot / (query * reference).squareRoot()))
    case .l2:
      return max(0, query + reference - 2 * dot).squareRoot()
    }
  }

  private func exactDistance(_ query: ArraySlice<Float>, queryNorm: Double, _ index: Int) -> Double {
    let d = reference.shape[1]
    let row = referenceScalars[(index * d)..<((index + 1) * d)]
    switch metric {
    case .cosine:
      guard queryNorm > 0, squaredNorms[index] > 0 else { return 1 }
      var dot = 0.0
      for (a, b) in zip(query, row) { dot += Double(a) * Double(b) }
      return min(2, max(0, 1 - dot / (queryNorm * squaredNorms[index]).squareRoot()))
    case .l2:
      var sum = 0.0
      for (a, b) in zip(query, row) { let t = Double(a) - Double(b); sum += t * t }
      return sum.squareRoot()
    }
  }

  private static func squaredNorm(_ row: ArraySlice<Float>) -> Double {
    row.reduce(0) { $0 + Double($1) * Double($1) }
  }

  /// Inserts into a sorted list of at most `keep` entries (ties: lower index first).
  private static func insert(
    _ candidate: (distance: Double, index: Int), into list: inout [(distance: Double, index: Int)], keeping keep: Int
  ) {
    if list.count == keep, let last = list.last, candidate.distance >= last.distance { return }
    var position = list.count
    while position > 0 && list[position - 1].distance > candidate.distance { position -= 1 }
    list.insert(candidate, at: position)
    if list.count > keep { list.removeLast() }
  }
}

/// One reference row near a query.
public struct Neighbour: Sendable, Hashable, Codable {
  /// The reference row.
  public let index: Int
  /// Its distance to the query under the metric.
  public let distance: Double
  /// Its label, when the reference set has labels.
  public let label: String?
}

/// Errors from a nearest-neighbour search on caller-provided features.
public enum NeighbourError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A feature tensor has the wrong shape.
  case wrongShape(what: String, expected: String, found: [Int])
  /// The labels do not match the reference rows.
  case labelCountMismatch(labels: Int, rows: Int)
  /// A row holds NaN or infinity.
  case nonFinite(what: String, row: Int)
  /// `k` is not positive.
  case invalidK(Int)

  public var description: String {
    switch self {
    case .wrongShape(let what, let expected, let found):
      return "The \(what) must have shape \(expected), not \(found)."
    case .labelCountMismatch(let labels, let rows):
      return "\(labels) labels for \(rows) reference rows."
    case .nonFinite(let what, let row):
      return "Row \(row) of the \(what) holds NaN or infinite values."
    case .invalidK(let k): return "k must be at least 1, not \(k)."
    }
  }
}
