import Tensor

/// MMD-critic prototypes (Kim, Khanna & Koyejo, "Examples are not Enough, Learn to Criticize!",
/// NIPS 2016): the examples whose empirical distribution is closest, in maximum mean
/// discrepancy, to the data's, chosen greedily.
///
/// With kernel `K` over `n` points, the greedy search maximises
/// `J(S) = 2/(n|S|) Σ_{i∈S, j} K_ij − 1/|S|² Σ_{i,j∈S} K_ij` (that is `mean K(x,x') − MMD²(X, S)`).
/// At each step every candidate `c ∉ S` is scored
///
///     score(c) = (2/n) Σ_j K_cj − (2 Σ_{s∈S} K_sc + K_cc) / (|S| + 1)
///
/// (`(2/n) Σ_j K_cj − |K_cc|` when `S` is empty) and the first candidate with the highest score
/// joins `S`. This is `greedy_select_protos` of the reference `mmd.py` (BeenKim/MMD-critic),
/// term for term, including its tie-break (NumPy's `argmax`: the lowest index). Selection order
/// is kept: the first `k` prototypes are the greedy choice for `k`.
///
/// - Complexity: one kernel pass for the row sums (see ``RBFKernel``), then per prototype one
///   kernel row and O(n) work; memory O(n) beyond the kernel source.
public struct MMDPrototypes: ExampleSelector {
  /// How many prototypes to select (fewer when there are fewer points).
  public var count: Int
  /// The kernel to build over the features in ``select(from:labels:)``.
  public var kernel: RBFKernel.Options

  /// - Precondition: `count >= 0`.
  public init(count: Int, kernel: RBFKernel.Options = RBFKernel.Options()) {
    precondition(count >= 0, "The prototype count cannot be negative (\(count)).")
    self.count = count
    self.kernel = kernel
  }

  /// Builds the RBF kernel over `features` and selects prototypes.
  /// - Throws: ``SelectionError`` (see ``RBFKernel/init(features:labels:options:)``).
  public func select(from features: Tensor, labels: [Int]?) throws -> Selection {
    let source = try RBFKernel(features: features, labels: labels, options: kernel)
    return select(in: source)
  }

  /// Selects `min(count, n)` prototypes with the kernel `source`; the scores are the greedy
  /// `score(c)` above (`(|S| + 1)·J(S ∪ {c})` up to a term that does not depend on `c`, so not
  /// monotone along the path; `J` itself grows).
  public func select(in source: some KernelSource) -> Selection {
    let n = source.count
    let target = min(count, n)
    guard target > 0 else { return Selection(indices: [], scores: []) }
    let twiceMeans = source.rowSums.map { 2 * $0 / Double(n) }
    let diagonal = source.diagonal
    var selectedSums = [Double](repeating: 0, count: n)  // Σ_{s∈S} K_sc
    var isSelected = [Bool](repeating: false, count: n)
    var indices: [Int] = []
    var scores: [Double] = []
    for step in 0..<target {
      var best = -1
      var bestScore = -Double.infinity
      let denominator = Double(step + 1)
      for c in 0..<n where !isSelected[c] {
        let score =
          step == 0
          ? twiceMeans[c] - abs(diagonal[c])
          : twiceMeans[c] - (2 * selectedSums[c] + diagonal[c]) / denominator
        if best < 0 || score > bestScore {
          best = c
          bestScore = score
        }
      }
      isSelected[best] = true
      indices.append(best)
      scores.append(bestScore)
      if step + 1 < target {
        let row = source.rows([best])[0]
        for c in 0..<n { selectedSums[c] += row[c] }
      }
    }
    return Selection(indices: indices, scores: scores)
  }

  /// `J(S)` of the selection objective, from a dense kernel (for checks and small problems).
  /// - Complexity: O(n·|S| + |S|²).
  public static func objective(_ subset: [Int], kernel: KernelMatrix) -> Double {
    guard !subset.isEmpty else { return 0 }
    let n = Double(kernel.count)
    let m = Double(subset.count)
    var cross = 0.0
    for i in subset { cross += kernel.rowSums[i] }
    var inner = 0.0
    for i in subset { for j in subset { inner += kernel[i, j] } }
    return 2 / (n * m) * cross - inner / (m * m)
  }
}
