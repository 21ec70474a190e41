import Foundation
import Tensor

/// MMD-critic criticisms (Kim, Khanna & Koyejo 2016): the examples the prototypes represent
/// worst, where the witness function `w(x) = (1/n) Σ_i K(x, x_i) − (1/m) Σ_j K(x, z_j)` of data
/// `x_i` against prototypes `z_j` is largest in magnitude, chosen greedily among the points that
/// are not prototypes, with a diversity regulariser.
///
/// Each step scores every candidate `c` (not a prototype, not yet chosen) by `|w(c)| + r(c)` and
/// takes the first best, as `select_criticism_regularized` of the reference `mmd.py`:
/// - ``Regularizer/none``: `r = 0`.
/// - ``Regularizer/logDeterminant``: for the first criticism `r(c) = −log|K_cc|` (0 for an RBF
///   kernel); afterwards `r(c) = log|K_cc − K_Cc^T K_CC^{-1} K_Cc|`, the gain in `log det K_CC`
///   when `c` joins the chosen criticisms `C`. (The sign of the first step is the reference's.)
/// - ``Regularizer/iterative``: `r = 0`, and each criticism joins the prototypes of the witness
///   for the next step.
///
/// The Schur complements `K_cc − K_Cc^T K_CC^{-1} K_Cc` are updated incrementally (one step of a
/// pivoted Cholesky factorisation per criticism, O(n) per step, no matrix inverse). Edge case:
/// when `K_CC` is singular (a duplicate was chosen because nothing else was left), the
/// complement is taken with respect to the span of the chosen points (the Moore–Penrose
/// reading); a candidate that duplicates a chosen criticism has complement 0 and
/// `r = log 0 = −∞`, so it is chosen only when every candidate is. With a non-singular `K_CC`
/// this equals the reference, which inverts `K_CC` (NumPy raises on a singular one).
/// With no prototypes the witness is `(1/n) Σ_i K(x, x_i)` (the reference divides by zero).
///
/// - Complexity: per criticism one kernel row and O(n·|C|) work (logdet); memory O(n·|C|).
public struct MMDCriticisms: ExampleSelector {
  /// The diversity regulariser of the criticism search.
  public enum Regularizer: String, Sendable, Equatable, Hashable, CaseIterable, Codable {
    /// Plain greedy `|w(c)|`.
    case none
    /// `|w(c)| + log det` gain (the reference default, `reg='logdet'`).
    case logDeterminant
    /// Each criticism joins the prototypes for the next witness.
    case iterative
  }

  /// How many criticisms to select (fewer when fewer candidates remain).
  public var count: Int
  /// The regulariser.
  public var regularizer: Regularizer
  /// The prototypes selected first (by ``select(from:labels:)``), whose points are excluded.
  public var prototypes: MMDPrototypes

  /// - Precondition: `count >= 0`.
  public init(count: Int, regularizer: Regularizer = .logDeterminant, prototypes: MMDPrototypes) {
    precondition(count >= 0, "The criticism count cannot be negative (\(count)).")
    self.count = count
    self.regularizer = regularizer
    self.prototypes = prototypes
  }

  /// Builds the kernel (``prototypes``' options), selects the prototypes, then the criticisms.
  /// - Throws: ``SelectionError`` (see ``RBFKernel/init(features:labels:options:)``).
  public func select(from features: Tensor, labels: [Int]?) throws -> Selection {
    let source = try RBFKernel(features: features, labels: labels, options: prototypes.kernel)
    return select(in: source, prototypes: prototypes.select(in: source).indices)
  }

  /// Selects `min(count, n − |prototypes|)` criticisms with the kernel `source`, given the
  /// prototypes' indices. Scores are the objective `|w(c)| + r(c)` at selection.
  /// - Precondition: prototype indices are in `0..<source.count`.
  public func select(in source: some KernelSource, prototypes: [Int]) -> Selection {
    let n = source.count
    var isExcluded = [Bool](repeating: false, count: n)
    for p in prototypes {
      precondition((0..<n).contains(p), "Prototype \(p) is outside a kernel over \(n) points.")
      isExcluded[p] = true
    }
    let candidates = isExcluded.lazy.filter { !$0 }.count
    let target = min(count, candidates)
    guard target > 0 else { return Selection(indices: [], scores: []) }

    let means = source.rowSums.map { $0 / Double(n) }
    let diagonal = source.diagonal
    var prototypeSums = [Double](repeating: 0, count: n)  // Σ_{p∈P} K_pc
    var prototypeCount = prototypes.count
    for row in source.rows(prototypes) { for c in 0..<n { prototypeSums[c] += row[c] } }
    // Incremental pivoted Cholesky of K_CC: residual[c] = K_cc − K_Cc^T K_CC^+ K_Cc.
    var residual = diagonal
    var factorColumns: [[Double]] = []  // columns of L (length n), one per non-singular pivot

    var indices: [Int] = []
    var scores: [Double] = []
    for step in 0..<target {
      var best = -1
      var bestScore = -Double.infinity
      for c in 0..<n where !isExcluded[c] {
        let witness = prototypeCount > 0 ? means[c] - prototypeSums[c] / Double(prototypeCount) : means[c]
        var score = abs(witness)
        if regularizer == .logDeterminant {
          score += step == 0 ? -Foundation.log(abs(diagonal[c])) : Foundation.log(abs(residual[c]))
        }
        if best < 0 || score > bestScore {
          best = c
          bestScore = score
        }
      }
      isExcluded[best] = true
      indices.append(best)
      scores.append(bestScore)
      guard step + 1 < target, regularizer != .none else { continue }
      let row = source.rows([best])[0]
      switch regularizer {
      case .logDeterminant:
        let pivot = residual[best]
        // Relative tolerance: below it the chosen point lies in the span of the previous ones.
        guard pivot > 1e-12 * max(abs(diagonal[best]), .leastNormalMagnitude) else { continue }
        let scale = 1 / pivot.squareRoot()
        var column = [Double](repeating: 0, count: n)
        for c in 0..<n {
          var value = row[c]
          for previous in factorColumns { value -= previous[best] * previous[c] }
          column[c] = value * scale
          residual[c] -= column[c] * column[c]
        }
        residual[best] = 0
        factorColumns.append(column)
      case .iterative:
        for c in 0..<n { prototypeSums[c] += row[c] }
        prototypeCount += 1
      case .none:
        break
      }
    }
    return Selection(indices: indices, scores: scores)
  }
}
