import Models
import Tensor

/// MMD-critic between the real images of a class and adversarial examples targeted at it
/// (Stock & Cisse 2018, reading (C)).
///
/// Images of OTHER classes are pushed toward class `c` by a targeted attack (PGD); those that
/// reach `c` form the adversarial set `Z` — what the model accepts as `c` without it being `c`.
/// With `X` the penultimate features of the real images of `c` and one RBF kernel (γ given, or
/// the median heuristic over `X ∪ Z`):
///
/// - `MMD²(X, Z)` (biased, as in ``MMD/squared(_:_:gamma:blockRows:)``) measures how far the
///   model's adversarial notion of `c` lies from the real class: small when perturbed images of
///   other classes land among the real ones in feature space;
/// - the witness at each real image `w(x) = (1/n) Σ_i K(x, x_i) − (1/m) Σ_j K(x, z_j)` ranks
///   the real images: the most NEGATIVE witness marks the real images the adversarial set covers
///   best — the *prototypes* (what the model keys on for `c`, since it is reachable from other
///   classes); the most POSITIVE witness marks real images the adversarial examples do not
///   reach — the *criticisms* (parts of the class the model's decision does not rest on).
///
/// Ties keep the input order. Only successful adversarial examples enter `Z`.
public struct AdversarialMMD: Sendable {
  /// The targeted attack (usually `PGD`, L∞).
  public let attack: any Attack
  /// The kernel bandwidth (`.medianHeuristic` over `X ∪ Z`, or a fixed `γ`).
  public let bandwidth: RBFKernel.Bandwidth
  /// Images per forward pass for the features.
  public let batchSize: Int

  /// - Precondition: `batchSize >= 1`.
  public init(attack: any Attack, bandwidth: RBFKernel.Bandwidth = .medianHeuristic, batchSize: Int = 16) {
    precondition(batchSize >= 1, "batchSize must be at least 1, not \(batchSize).")
    self.attack = attack
    self.bandwidth = bandwidth
    self.batchSize = batchSize
  }

  /// Attacks `otherImages` toward `target`, then compares the features of `classImages` with
  /// those of the successful adversarial examples.
  ///
  /// - Parameters:
  ///   - classImages: real images of class `target`, `[n, 3, H, W]` in [0, 1].
  ///   - otherImages: images of other classes, `[m, 3, H, W]` in [0, 1].
  ///   - otherLabels: their classes (`nil`: the model's predictions).
  /// - Throws: `AttackError`, `ClassifierError`, ``AdversarialMMDError/noSuccessfulAdversarial``
  ///   when no image reaches `target`, ``SelectionError`` from the kernel.
  /// - Complexity: the attack on `m` images, `n + m` forward passes, `(n + m)²·d` for the kernel.
  public func compare(
    classImages: Tensor, otherImages: Tensor, otherLabels: [Int]? = nil, target: Int,
    progress: ProgressHandler = WorkProgress.ignore
  ) throws -> AdversarialMMDResult {
    let labels = otherLabels ?? attack.predictedLabels(otherImages)
    let results = try attack.attack(
      otherImages, labels: labels, target: .targeted(Array(repeating: target, count: labels.count)),
      progress: progress)
    let successful = results.indices.filter { results[$0].isSuccessful }
    guard !successful.isEmpty else {
      throw AdversarialMMDError.noSuccessfulAdversarial(target: target, attempted: results.count)
    }
    let extractor = FeatureExtractor(
      classifier: attack.classifier, modelIdentity: "in-memory", batchSize: batchSize)
    let real = try extractor.features(of: classImages, progress: progress)
    let adversarial = try extractor.features(
      of: Tensor.stack(successful.map { results[$0].image }), progress: progress)
    let comparison = try Self.compare(real: real, adversarial: adversarial, bandwidth: bandwidth)
    return AdversarialMMDResult(
      mmdSquared: comparison.mmdSquared, gamma: comparison.gamma, witness: comparison.witness,
      adversarialResults: results, adversarialIndices: successful)
  }

  /// The feature-space part: `MMD²(X, Z)`, `γ` and the witness at each row of `real`.
  ///
  /// - Parameters: `real` `[n, d]`, `adversarial` `[m, d]`, both non-empty.
  /// - Throws: ``SelectionError`` (shapes, non-finite values, zero median distance).
  /// - Complexity: `(n + m)²·d` multiply-adds (median) plus the blocked kernel sums.
  public static func compare(
    real: Tensor, adversarial: Tensor, bandwidth: RBFKernel.Bandwidth = .medianHeuristic
  ) throws -> (mmdSquared: Double, gamma: Double, witness: [Double]) {
    try SelectionError.validate(real, labels: nil)
    try SelectionError.validate(adversarial, labels: nil)
    guard real.shape[1] == adversarial.shape[1] else {
      throw SelectionError.dimensionMismatch(expected: real.shape[1], found: adversarial.shape[1])
    }
    let gamma: Double
    switch bandwidth {
    case .gamma(let value): gamma = value
    case .medianHeuristic:
      gamma = try MedianHeuristic.gamma(for: Tensor.concatenate([real.contiguous(), adversarial.contiguous()], axis: 0))
    }
    let mmd = try MMD.squared(real, adversarial, gamma: gamma)
    let witness = try MMD.witness(at: real, data: real, prototypes: adversarial, gamma: gamma)
    return (mmd, gamma, witness)
  }
}

/// The outcome of ``AdversarialMMD/compare(classImages:otherImages:otherLabels:target:progress:)``.
public struct AdversarialMMDResult: Sendable {
  /// `MMD²(X, Z)` between the real and the adversarial features.
  public let mmdSquared: Double
  /// The RBF `γ` used.
  public let gamma: Double
  /// The witness at each real image (input order): negative = covered by the adversarial set.
  public let witness: [Double]
  /// The attack's result for every other-class image, in input order.
  public let adversarialResults: [AdversarialResult]
  /// The other-class images whose attack succeeded (their examples form `Z`).
  public let adversarialIndices: [Int]

  public init(
    mmdSquared: Double, gamma: Double, witness: [Double], adversarialResults: [AdversarialResult],
    adversarialIndices: [Int]
  ) {
    self.mmdSquared = mmdSquared
    self.gamma = gamma
    self.witness = witness
    self.adversarialResults = adversarialResults
    self.adversarialIndices = adversarialIndices
  }

  /// The `count` real images with the most negative witness (best covered by `Z`), scored by it.
  public func prototypes(count: Int) -> Selection {
    let chosen = Array(witness.indices.sorted {
      witness[$0] < witness[$1] || (witness[$0] == witness[$1] && $0 < $1)
    }.prefix(max(0, count)))
    return Selection(indices: chosen, scores: chosen.map { witness[$0] })
  }

  /// The `count` real images with the most positive witness (missed by `Z`), scored by it,
  /// leaving out the images of `excluding` (e.g. the prototypes).
  public func criticisms(count: Int, excluding: [Int] = []) -> Selection {
    let left = Set(excluding)
    let chosen = Array(witness.indices.filter { !left.contains($0) }.sorted {
      witness[$0] > witness[$1] || (witness[$0] == witness[$1] && $0 < $1)
    }.prefix(max(0, count)))
    return Selection(indices: chosen, scores: chosen.map { witness[$0] })
  }
}

/// Why ``AdversarialMMD`` could not compare.
public enum AdversarialMMDError: Error, Equatable, Sendable, CustomStringConvertible {
  /// No image of another class reached the target class, so there is no adversarial set.
  case noSuccessfulAdversarial(target: Int, attempted: Int)

  public var description: String {
    switch self {
    case .noSuccessfulAdversarial(let target, let attempted):
      return "None of the \(attempted) attacked images reached class \(target); raise epsilon or steps."
    }
  }
}
