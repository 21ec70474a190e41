import Foundation

/// Statistics of an attack over a set of images: the success rate (with its Wilson interval), the
/// mean and median normalised robustness ρ, and the same per attacked class.
///
/// ρ is averaged over the successful results only (a failed attack found no adversarial
/// example, so its perturbation says nothing about the distance to the boundary); this is
/// DeepFool's `ρ_adv` when the attack succeeds on every image.
public struct AttackSummary: Sendable {
  /// The statistics of the images of one class (their `label`).
  public struct ClassSummary: Sendable, Hashable {
    /// The class index.
    public var label: Int
    /// How many images of the class were attacked.
    public var count: Int
    /// How many attacks succeeded.
    public var successes: Int
    /// The mean ρ over the successful ones (NaN when none succeeded).
    public var meanRho: Double
  }

  /// Successful attacks out of all attacked images.
  public var successRate: Proportion
  /// The mean ρ of the successful results (NaN when none succeeded).
  public var meanRho: Double
  /// The median ρ of the successful results (NaN when none succeeded).
  public var medianRho: Double
  /// The mean number of iterations over all results.
  public var meanIterations: Double
  /// One entry per label, in increasing label order.
  public var perClass: [ClassSummary]

  /// Summarises `results`.
  ///
  /// - Complexity: O(n log n) for the median.
  public init(_ results: [AdversarialResult]) {
    let successful = results.filter(\.isSuccessful)
    successRate = Proportion(successes: successful.count, trials: results.count)
    let rhos = successful.map { Double($0.rho) }
    meanRho = Self.mean(rhos)
    medianRho = Self.median(rhos)
    meanIterations = Self.mean(results.map { Double($0.iterations) })
    let groups = Dictionary(grouping: results, by: \.label)
    perClass = groups.keys.sorted().map { label in
      let group = groups[label] ?? []
      let wins = group.filter(\.isSuccessful)
      return ClassSummary(
        label: label, count: group.count, successes: wins.count,
        meanRho: Self.mean(wins.map { Double($0.rho) }))
    }
  }

  /// The arithmetic mean, NaN for no values.
  static func mean(_ values: [Double]) -> Double {
    values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
  }

  /// The median (the mean of the two middle values for an even count), NaN for no values.
  static func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let half = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2
  }
}
