import Models
import Tensor

/// The fast gradient sign method (Goodfellow, Shlens & Szegedy 2015, arXiv 1412.6572): one step
/// of size ε along the sign of the loss gradient,
///
///     untargeted: x' = clip(x + ε · sign(∇ₓ L(f(x), y)), 0, 1)
///     targeted:   x' = clip(x − ε · sign(∇ₓ L(f(x), t)), 0, 1)
///
/// with `L` the cross-entropy of the logits. Every pixel whose gradient is non-zero and which is
/// not clipped moves by exactly ε (`sign(0) = 0`, as in PyTorch). Foolbox's
/// `LinfFastGradientAttack` and torchattacks' `FGSM` compute the same image; torchattacks
/// defaults to ε = 8/255, Foolbox takes ε at the call.
public struct FGSM: Attack {
  public let classifier: any ImageClassifier
  /// The L∞ budget and step, in [0, 1] pixel units.
  public let epsilon: Float
  /// Images per forward and backward pass (bounds memory).
  public let batchSize: Int

  /// - Throws: `AttackError.epsilonOutOfRange` unless 0 < ε ≤ 1;
  ///   `AttackError.invalidParameter` when `batchSize` < 1.
  public init(classifier: any ImageClassifier, epsilon: Float = 8 / 255, batchSize: Int = 8)
    throws
  {
    try AttackInput.validateEpsilon(epsilon, norm: .linf, classifier: classifier)
    try AttackInput.require(batchSize >= 1, "batchSize", batchSize, "at least 1")
    self.classifier = classifier
    self.epsilon = epsilon
    self.batchSize = batchSize
  }

  /// - Complexity: one forward and backward pass, plus one forward pass to classify the result.
  /// - Throws: `AttackError` (see `Attack`).
  public func attack(
    _ images: Tensor, labels: [Int], target: AttackTarget, progress: ProgressHandler
  ) throws -> [AdversarialResult] {
    try ProjectedGradientSteps(
      name: "FGSM", classifier: classifier, norm: .linf, epsilon: epsilon, stepSize: epsilon,
      steps: 1, start: .original, batchSize: batchSize
    ).run(images, labels: labels, target: target, progress: progress)
  }
}
