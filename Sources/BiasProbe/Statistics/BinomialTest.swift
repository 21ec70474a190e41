import Foundation

/// The exact binomial test: is a count of `successes` out of `trials` compatible with a success
/// probability `p₀`? For example, is the share of prototypes carrying an attribute above the
/// attribute's base rate?
///
/// Under the null hypothesis the count follows `P(i) = C(n, i) p₀ⁱ (1 − p₀)ⁿ⁻ⁱ`. `greater` is the
/// upper tail `P(X ≥ k)`, `less` the lower tail `P(X ≤ k)`, and the two-sided p-value sums `P(i)`
/// over every count no more probable than the observed one (relative tolerance 1e-7 for ties):
/// `scipy.stats.binomtest` (checked against it in the tests), including `p₀ ∈ {0, 1}`.
///
/// ```swift
/// BinomialTest(successes: 10, trials: 10, probability: 0.5).pValue(.greater)  // 0.0009765625
/// ```
///
/// - Complexity: O(trials) time and memory.
public struct BinomialTest: Sendable, Hashable {
  /// Which tail(s) the p-value covers.
  public enum Alternative: String, Sendable, Hashable, Codable, CaseIterable {
    /// Counts at most as probable as the observed one, on both sides.
    case twoSided
    /// Counts at most the observed one (the true probability is below `p₀`).
    case less
    /// Counts at least the observed one (the true probability is above `p₀`).
    case greater
  }

  /// The observed successes.
  public let successes: Int
  /// The number of trials.
  public let trials: Int
  /// The success probability `p₀` under the null hypothesis.
  public let probability: Double

  /// - Precondition: `0 ≤ successes ≤ trials`, `trials ≥ 1` and `0 ≤ probability ≤ 1`
  ///   (programmer errors: the counts come from the caller's own tallies).
  public init(successes: Int, trials: Int, probability: Double) {
    precondition(trials >= 1 && (0...trials).contains(successes),
      "The binomial test needs 0 ≤ successes ≤ trials and trials ≥ 1, not \(successes)/\(trials).")
    precondition((0...1).contains(probability),
      "The null probability must lie in [0, 1], not \(probability).")
    self.successes = successes
    self.trials = trials
    self.probability = probability
  }

  /// The test of a `Proportion` against `probability`.
  ///
  /// - Precondition: `proportion.trials ≥ 1`.
  public init(_ proportion: Proportion, probability: Double) {
    self.init(successes: proportion.successes, trials: proportion.trials, probability: probability)
  }

  /// The p-value for `alternative` (two-sided by default).
  public func pValue(_ alternative: Alternative = .twoSided) -> Double {
    min(1, exp(logPValue(alternative)))
  }

  /// The natural logarithm of the p-value; finite even where `pValue` underflows.
  public func logPValue(_ alternative: Alternative = .twoSided) -> Double {
    let logP = (0...trials).map(logProbability)
    let selected: [Double]
    switch alternative {
    case .less: selected = Array(logP[...successes])
    case .greater: selected = Array(logP[successes...])
    case .twoSided:
      guard logP[successes] > -.infinity else { return -.infinity }
      let threshold = logP[successes] + 1e-7
      selected = logP.filter { $0 <= threshold }
    }
    // Impossible counts (p₀ ∈ {0, 1}) add nothing; an empty sum is log 0.
    let possible = selected.filter { $0 > -.infinity }
    return possible.isEmpty ? -.infinity : min(0, FisherExactTest.logSumExp(possible[...]))
  }

  /// `log P(X = i)` under the null hypothesis (`−∞` for impossible counts when `p₀ ∈ {0, 1}`).
  func logProbability(_ i: Int) -> Double {
    let n = Double(trials)
    let k = Double(i)
    let logChoose = lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)
    let hits = i == 0 ? 0 : probability == 0 ? -Double.infinity : k * log(probability)
    let misses =
      i == trials ? 0 : probability == 1 ? -Double.infinity : (n - k) * log1p(-probability)
    return logChoose + hits + misses
  }
}
