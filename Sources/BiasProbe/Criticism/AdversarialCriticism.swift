import Models
import Tensor

/// Adversarial model criticism (Stock & Cisse 2018, reading (A)): rank the images of a class by
/// their DeepFool robustness `ρ(x) = ‖x' − x‖₂ / ‖x‖₂`. The images that need the LARGEST
/// perturbation to leave the class are the model's *prototypes* of it (what it is surest of);
/// those that need the SMALLEST are its *criticisms*.
///
/// Conventions, so that the ranking is total and deterministic:
/// - an image DeepFool cannot flip within `maxIterations` steps (or where every candidate gradient
///   vanishes) has `ρ = +∞` and ranks as the most robust;
/// - an image the model does not assign to its label has `ρ = 0` (DeepFool returns it unchanged)
///   and ranks as the least robust;
/// - ties keep the input order (the lower index first, in both directions).
///
/// Scores in the ``Selection`` are `ρ` (`+∞` for unflipped images: encode with care, JSON has no
/// infinity). DeepFool runs once per call; use ``rank(images:labels:progress:)`` and take both
/// ends of the ``AdversarialRanking`` to avoid attacking twice.
///
/// ```swift
/// let deepFool = try DeepFool(classifier: lite0, candidates: 10)
/// let ranking = try AdversarialCriticism(attack: deepFool, count: 8).rank(images: batch, labels: nil)
/// let prototypes = ranking.prototypes(count: 8), criticisms = ranking.criticisms(count: 8)
/// ```
public struct AdversarialCriticism: ImageExampleSelector {
  /// Which end of the ranking ``select(images:labels:progress:)`` returns.
  public enum Role: String, Sendable, Hashable, CaseIterable {
    /// The most robust images, most robust first.
    case prototypes
    /// The least robust images, least robust first.
    case criticisms
  }

  /// The attack measuring `ρ` (untargeted DeepFool).
  public let attack: DeepFool
  /// How many images ``select(images:labels:progress:)`` returns.
  public let count: Int
  /// Which end of the ranking it returns.
  public let role: Role

  /// - Precondition: `count >= 0`.
  public init(attack: DeepFool, count: Int, role: Role = .prototypes) {
    precondition(count >= 0, "count cannot be negative (\(count)).")
    self.attack = attack
    self.count = count
    self.role = role
  }

  /// Attacks every image once with DeepFool and ranks them by `ρ`.
  ///
  /// - Parameters:
  ///   - images: `[N, 3, H, W]` in [0, 1], at the classifier's input size.
  ///   - labels: the class of each image; `nil` for the model's own top-1 predictions.
  /// - Throws: `AttackError` (shape, pixel range, label count or range).
  /// - Complexity: DeepFool on `N` images (about `candidates` forward and backward passes per
  ///   image and step).
  public func rank(
    images: Tensor, labels: [Int]?, progress: ProgressHandler = WorkProgress.ignore
  ) throws -> AdversarialRanking {
    guard images.rank == 4 else {
      throw AttackError.wrongImageShape(
        expected: [images.shape.first ?? 0, 3, attack.classifier.inputSize.height,
          attack.classifier.inputSize.width], found: images.shape)
    }
    let classes = labels ?? attack.predictedLabels(images)
    let results = try attack.attack(images, labels: classes, target: .untargeted, progress: progress)
    return AdversarialRanking(results: results)
  }

  /// The `count` most (``Role/prototypes``) or least (``Role/criticisms``) robust images.
  ///
  /// - Throws: as ``rank(images:labels:progress:)``.
  public func select(images: Tensor, labels: [Int]?, progress: ProgressHandler) throws -> Selection {
    let ranking = try rank(images: images, labels: labels, progress: progress)
    switch role {
    case .prototypes: return ranking.prototypes(count: count)
    case .criticisms: return ranking.criticisms(count: count)
    }
  }
}

/// Images ranked by robustness `ρ`, most robust first (see ``AdversarialCriticism``).
public struct AdversarialRanking: Sendable {
  /// `ρ` of each image, in input order (`+∞`: not flipped).
  public let robustness: [Double]
  /// Image indices, most robust first; ties in input order.
  public let order: [Int]
  /// The DeepFool result of each image, in input order (empty when built from `ρ` alone).
  public let results: [AdversarialResult]

  /// The ranking of DeepFool results: `ρ` of the successful ones, `+∞` for the others.
  public init(results: [AdversarialResult]) {
    self.init(robustness: Self.robustness(of: results), results: results)
  }

  /// The ranking of given robustness values (any score where larger means more robust).
  ///
  /// - Precondition: no NaN; `results` empty or one per value.
  public init(robustness: [Double], results: [AdversarialResult] = []) {
    precondition(!robustness.contains { $0.isNaN }, "Robustness values cannot be NaN.")
    precondition(results.isEmpty || results.count == robustness.count, "One result per value.")
    self.robustness = robustness
    self.order = Self.order(byRobustness: robustness)
    self.results = results
  }

  /// `ρ` of each result, `+∞` when the attack did not flip the label.
  public static func robustness(of results: [AdversarialResult]) -> [Double] {
    results.map { $0.isSuccessful ? Double($0.rho) : .infinity }
  }

  /// Indices sorted by decreasing robustness, ties by increasing index (a stable, total order).
  ///
  /// - Complexity: O(n log n).
  public static func order(byRobustness robustness: [Double]) -> [Int] {
    robustness.indices.sorted {
      robustness[$0] > robustness[$1] || (robustness[$0] == robustness[$1] && $0 < $1)
    }
  }

  /// The `count` most robust images, most robust first, scored by `ρ`.
  public func prototypes(count: Int) -> Selection {
    let chosen = Array(order.prefix(max(0, count)))
    return Selection(indices: chosen, scores: chosen.map { robustness[$0] })
  }

  /// The `count` least robust images, least robust first (ties: lower index first), scored by
  /// `ρ`, leaving out the `excludingPrototypes` most robust (so that prototypes and criticisms
  /// are disjoint when both are asked for a small class).
  public func criticisms(count: Int, excludingPrototypes: Int = 0) -> Selection {
    let candidates = order.dropFirst(max(0, excludingPrototypes))
    let ascending = candidates.sorted {
      robustness[$0] < robustness[$1] || (robustness[$0] == robustness[$1] && $0 < $1)
    }
    let chosen = Array(ascending.prefix(max(0, count)))
    return Selection(indices: chosen, scores: chosen.map { robustness[$0] })
  }
}
