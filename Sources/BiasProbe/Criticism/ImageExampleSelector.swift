import Models
import Tensor

/// Chooses examples among IMAGES rather than feature rows: the seam for selectors that need the
/// network itself (the DeepFool robustness ranking of ``AdversarialCriticism``), next to
/// ``ExampleSelector`` for selectors that only need feature vectors (MMD-critic).
///
/// Both return the same ``Selection`` (indices in selection order with scores), so reports
/// (`SelectionReport`) and the demo treat them alike. A feature selector becomes an image
/// selector through ``FeatureSpaceSelector``, which computes `classifier.features` first.
public protocol ImageExampleSelector: Sendable {
  /// Selects examples among `images` `[N, 3, H, W]` (values in [0, 1], at the classifier's size).
  ///
  /// - Parameters:
  ///   - labels: the class of each image (length `N`), or `nil` when the selector does not need
  ///     classes (it may then use the model's predictions).
  ///   - progress: receives `WorkProgress` as the work advances.
  /// - Returns: image indices in selection order (most important first) with their scores.
  /// - Throws: the selector's errors (``SelectionError``, `AttackError`, `ClassifierError`).
  func select(images: Tensor, labels: [Int]?, progress: ProgressHandler) throws -> Selection
}

/// Runs a feature-space ``ExampleSelector`` on images: the features are the classifier's
/// penultimate layer (`ImageClassifier.features`), computed in batches of `batchSize`.
///
/// ```swift
/// let selector = FeatureSpaceSelector(MMDPrototypes(count: 8), classifier: lite0)
/// let prototypes = try selector.select(images: batch, labels: nil, progress: WorkProgress.ignore)
/// ```
public struct FeatureSpaceSelector<Base: ExampleSelector>: ImageExampleSelector {
  /// The selector run on the features.
  public let base: Base
  /// The network whose features are used.
  public let classifier: any ImageClassifier
  /// Images per forward pass.
  public let batchSize: Int

  /// - Precondition: `batchSize >= 1`.
  public init(_ base: Base, classifier: any ImageClassifier, batchSize: Int = 16) {
    precondition(batchSize >= 1, "batchSize must be at least 1, not \(batchSize).")
    self.base = base
    self.classifier = classifier
    self.batchSize = batchSize
  }

  /// - Complexity: one forward pass per image, then the base selector's cost.
  /// - Throws: `ClassifierError.wrongImageShape`, and the base selector's ``SelectionError``.
  public func select(images: Tensor, labels: [Int]?, progress: ProgressHandler) throws -> Selection {
    let extractor = FeatureExtractor(
      classifier: classifier, modelIdentity: "in-memory", preprocessing: .imageNet,
      batchSize: batchSize)
    let features = try extractor.features(of: images, progress: progress)
    return try base.select(from: features, labels: labels)
  }
}
