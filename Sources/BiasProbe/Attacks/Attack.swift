import Models
import Tensor

/// An adversarial attack on an image classifier in [0, 1] pixel space.
///
/// Method choices (ε, step size, steps, norm, seed) go to the initializer; the data goes to
/// `attack(_:labels:target:progress:)`, which works on a batch `[N, 3, H, W]` and returns one
/// `AdversarialResult` per image, in order. Every attack sees the network only through
/// `ImageClassifier`, whose normalisation is inside the model, so ε and the norms are measured on
/// the [0, 1] pixels a PNG stores (Foolbox's `bounds=(0, 1)` convention, torchattacks' "images
/// must have a range [0, 1]").
///
/// ```swift
/// let pgd = try PGD(classifier: classifier, norm: .linf, epsilon: 8 / 255, seed: 1)
/// let results = try pgd.attack(images, labels: labels, target: .targeted([288, 288]))
/// print(AttackSummary(results).successRate.estimate)
/// ```
public protocol Attack: Sendable {
  /// The classifier attacked.
  var classifier: any ImageClassifier { get }

  /// Adversarial examples for `images` `[N, 3, H, W]` (values in [0, 1]).
  ///
  /// - Parameters:
  ///   - labels: the class of each image (usually the model's own prediction); an untargeted
  ///     attack succeeds when the prediction leaves it.
  ///   - target: `.untargeted`, or `.targeted(classes)` with one target class per image; a
  ///     targeted attack succeeds when the prediction becomes the target.
  ///   - progress: receives `WorkProgress` as images or steps complete.
  /// - Returns: one result per image, in input order.
  /// - Throws: `AttackError` for a wrong shape, pixels outside [0, 1] or NaN, a label or target
  ///   outside the classes, a label count that does not match, or a target the attack does not
  ///   support.
  func attack(
    _ images: Tensor, labels: [Int], target: AttackTarget, progress: ProgressHandler
  ) throws -> [AdversarialResult]
}

/// What an attack aims for.
public enum AttackTarget: Sendable, Hashable {
  /// Any class other than the image's label.
  case untargeted
  /// One given class per image.
  case targeted([Int])

  /// The target of image `index`, or nil when untargeted.
  public func target(of index: Int) -> Int? {
    switch self {
    case .untargeted: return nil
    case .targeted(let classes): return classes[index]
    }
  }

  /// Whether the attack is targeted.
  public var isTargeted: Bool {
    if case .targeted = self { return true }
    return false
  }
}

/// The norm an attack's budget is measured in.
public enum AttackNorm: String, Sendable, Hashable, CaseIterable, Codable {
  /// `‖δ‖∞ = maxᵢ |δᵢ|`: every pixel moves by at most ε.
  case linf
  /// `‖δ‖₂ = √(Σᵢ δᵢ²)`: the Euclidean length of the whole perturbation.
  case l2
}

extension Attack {
  /// `attack(_:labels:target:progress:)` without progress reports.
  public func attack(
    _ images: Tensor, labels: [Int], target: AttackTarget = .untargeted
  ) throws -> [AdversarialResult] {
    try attack(images, labels: labels, target: target, progress: WorkProgress.ignore)
  }

  /// Attacks one image `[3, H, W]`: `label` is its class, `target` a class to reach (nil for
  /// untargeted).
  ///
  /// - Throws: `AttackError` as the batched form.
  public func attack(_ image: Tensor, label: Int, target: Int? = nil) throws -> AdversarialResult
  {
    guard image.rank == 3 else {
      throw AttackError.wrongImageShape(
        expected: [3, classifier.inputSize.height, classifier.inputSize.width], found: image.shape)
    }
    let goal: AttackTarget = target.map { .targeted([$0]) } ?? .untargeted
    return try attack(image.expandingShape(at: 0), labels: [label], target: goal)[0]
  }

  /// The model's top-1 class for each image of `images` `[N, 3, H, W]`: the usual labels of an
  /// untargeted attack when the true classes are unknown.
  ///
  /// - Complexity: one forward pass.
  public func predictedLabels(_ images: Tensor) -> [Int] {
    let logits = classifier.logits(images)
    return classifier.topPredictions(logits: logits, k: 1).map { $0[0].index }
  }
}
