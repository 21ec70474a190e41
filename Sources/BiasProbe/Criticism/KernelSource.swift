/// What the MMD-critic selectors need to know about a kernel `K` over `n` points, without ever
/// holding the `n × n` matrix: its row sums, its diagonal, and whole rows on demand.
///
/// The greedy prototype and criticism searches of MMD-critic (Kim, Khanna & Koyejo 2016) read
/// `Σ_j K_ij` for every point once, then one row per selected example. A source that computes
/// rows on the fly (``RBFKernel``) therefore lets selection run in O(n·(m + c)) memory for `m`
/// prototypes and `c` criticisms; ``KernelMatrix`` holds a precomputed dense matrix (your own
/// kernel, or a small problem).
///
/// Conform your own kernel to plug it into ``MMDPrototypes`` and ``MMDCriticisms``. `K` must
/// be symmetric.
public protocol KernelSource: Sendable {
  /// The number of points `n`.
  var count: Int { get }
  /// `Σ_j K_ij` for every `i` (length `n`).
  var rowSums: [Double] { get }
  /// `K_ii` for every `i` (length `n`).
  var diagonal: [Double] { get }
  /// The rows `K_i·` for the given indices, each of length `n`.
  /// - Precondition: every index is in `0..<count`.
  func rows(_ indices: [Int]) -> [[Double]]
}

/// A precomputed dense symmetric kernel matrix: `n²` doubles in row-major order.
public struct KernelMatrix: KernelSource, Equatable {
  /// The number of points `n`.
  public let count: Int
  /// The entries `K_ij` at `i·n + j`.
  public let entries: [Double]
  /// `Σ_j K_ij`, computed once at initialisation.
  public let rowSums: [Double]

  /// A kernel from its `n × n` entries in row-major order.
  /// - Precondition: `entries.count == count²`.
  /// - Complexity: O(n²).
  public init(count: Int, entries: [Double]) {
    precondition(
      count >= 0 && entries.count == count * count,
      "A kernel over \(count) points needs \(count * count) entries, not \(entries.count).")
    self.count = count
    self.entries = entries
    var sums = [Double](repeating: 0, count: count)
    for i in 0..<count {
      var total = 0.0
      for j in 0..<count { total += entries[i * count + j] }
      sums[i] = total
    }
    self.rowSums = sums
  }

  /// The dense matrix of any kernel source (`n²` doubles: use only for small `n`).
  /// - Complexity: O(n²) memory plus the cost of `source.rows`.
  public init(_ source: some KernelSource) {
    let n = source.count
    let rows = source.rows(Array(0..<n))
    self.init(count: n, entries: rows.flatMap { $0 })
  }

  /// `K_ij`.
  public subscript(i: Int, j: Int) -> Double { entries[i * count + j] }

  /// `K_ii` for every `i`.
  public var diagonal: [Double] { (0..<count).map { entries[$0 * count + $0] } }

  /// The requested rows, copied.
  public func rows(_ indices: [Int]) -> [[Double]] {
    indices.map { i in
      precondition((0..<count).contains(i), "Row \(i) is outside a kernel over \(count) points.")
      return Array(entries[(i * count)..<((i + 1) * count)])
    }
  }
}
