import Foundation
import Models
import Tensor

/// The kernel two-sample test (Gretton et al. 2012) between two groups of one point set: the
/// biased `MMD²` between the groups under a kernel, and its permutation p-value. For example:
/// do the images of a class with an attribute and those without it lie apart in a model's
/// feature space?
///
/// The statistic is `MMD²(A, B) = mean_{A×A} K − 2 mean_{A×B} K + mean_{B×B} K` (all pairs,
/// diagonal included, as ``MMD/squared(_:_:gamma:blockRows:)``). The p-value reshuffles the
/// group labels `permutations` times (a seeded Fisher–Yates permutation each) and returns
/// `(1 + #{MMD²_perm ≥ MMD²_obs}) / (1 + permutations)`, which is never 0: with 199
/// permutations the smallest p-value is 0.005.
///
/// ```swift
/// let kernel = try RBFKernel(features: features).matrix        // median heuristic γ
/// let test = MMDPermutationTest(kernel: kernel, inFirstGroup: hasAttribute)
/// var rng = SeededGenerator(seed: 0)
/// print(test.statistic, test.pValue(permutations: 199, using: &rng))
/// ```
///
/// - Complexity: `O(n²)` per evaluation of the statistic, so `O(permutations · n²)` for the
///   p-value, on the dense `n × n` kernel (`n²` doubles, built once by the caller).
public struct MMDPermutationTest: Sendable {
  /// The kernel over all points of both groups.
  public let kernel: KernelMatrix
  /// For each point, whether it belongs to the first group (`A`); the others form `B`.
  public let inFirstGroup: [Bool]

  /// - Precondition: one flag per kernel point, and both groups non-empty.
  public init(kernel: KernelMatrix, inFirstGroup: [Bool]) {
    precondition(
      inFirstGroup.count == kernel.count,
      "The test needs one group flag per point: \(inFirstGroup.count) flags for \(kernel.count).")
    let first = inFirstGroup.filter { $0 }.count
    precondition(
      first > 0 && first < inFirstGroup.count, "Both groups must hold at least one point.")
    self.kernel = kernel
    self.inFirstGroup = inFirstGroup
  }

  /// `MMD²` between the two groups as given.
  public var statistic: Double { Self.statistic(kernel, inFirstGroup) }

  /// The permutation p-value of ``statistic`` (the chance that a random split of the points into
  /// groups of the same sizes gives an `MMD²` at least as large).
  ///
  /// - Precondition: `permutations >= 1`.
  public func pValue(permutations: Int, using rng: inout some RandomNumberGenerator) -> Double {
    precondition(permutations >= 1, "The test needs at least one permutation.")
    let observed = statistic
    var atLeast = 0
    for _ in 0..<permutations {
      let order = seededPermutation(inFirstGroup.count, using: &rng)
      if Self.statistic(kernel, order.map { inFirstGroup[$0] }) >= observed { atLeast += 1 }
    }
    return Double(1 + atLeast) / Double(1 + permutations)
  }

  static func statistic(_ kernel: KernelMatrix, _ group: [Bool]) -> Double {
    let n = kernel.count
    var (aa, ab, bb) = (0.0, 0.0, 0.0)
    kernel.entries.withUnsafeBufferPointer { k in
      for i in 0..<n {
        var (toA, toB) = (0.0, 0.0)
        let row = i * n
        for j in 0..<n {
          if group[j] { toA += k[row + j] } else { toB += k[row + j] }
        }
        if group[i] {
          aa += toA
          ab += toB
        } else {
          bb += toB
        }
      }
    }
    let a = Double(group.filter { $0 }.count)
    let b = Double(n) - a
    return aa / (a * a) - 2 * ab / (a * b) + bb / (b * b)
  }
}
