import Models
import Tensor

/// Projected gradient descent (Madry et al. 2018, arXiv 1706.06083): BIM from a random point of
/// the ε-ball, in the L∞ or the L2 norm,
///
///     x₀ = clip(x + δ₀, 0, 1),  δ₀ uniform in the ball
///     L∞: xₙ₊₁ = clip(Π_∞(xₙ ± α · sign(∇)), 0, 1)
///     L2: xₙ₊₁ = clip(Π_2(xₙ ± α · ∇ / ‖∇‖₂), 0, 1)
///
/// with `∇ = ∇ₓ L(f(xₙ), c)` the cross-entropy gradient (`+` untargeted, `−` targeted) and `Π`
/// the projection onto the ball around `x`. The random start comes from
/// `SeededGenerator(seed:).split(imageIndex)`: the same seed gives a bit-identical result for
/// any batch size. The default step is `2.5 ε / steps` (Madry et al.'s rule), which gives
/// torchattacks' α = 2/255 for its ε = 8/255 and 10 steps.
public struct PGD: Attack {
  public let classifier: any ImageClassifier
  /// The norm of the ball.
  public let norm: AttackNorm
  /// The radius ε, in [0, 1] pixel units (L∞) or their Euclidean length (L2).
  public let epsilon: Float
  /// The step α.
  public let stepSize: Float
  /// The number of steps.
  public let steps: Int
  /// Whether to start at a random point of the ball (true) or at the image (BIM).
  public let randomStart: Bool
  /// The seed of the random start.
  public let seed: UInt64
  /// Images per forward and backward pass.
  public let batchSize: Int

  /// - Parameters:
  ///   - stepSize: nil for `2.5 · epsilon / steps`.
  /// - Throws: `AttackError.epsilonOutOfRange` unless 0 < ε ≤ 1 (L∞) or ≤ √(3HW) (L2);
  ///   `AttackError.invalidParameter` for a non-positive step, steps or `batchSize` below 1.
  public init(
    classifier: any ImageClassifier, norm: AttackNorm = .linf, epsilon: Float,
    stepSize: Float? = nil, steps: Int = 10, randomStart: Bool = true, seed: UInt64 = 0,
    batchSize: Int = 8
  ) throws {
    try AttackInput.validateEpsilon(epsilon, norm: norm, classifier: classifier)
    try AttackInput.require(steps >= 1, "steps", steps, "at least 1")
    let stepSize = stepSize ?? 2.5 * epsilon / Float(steps)
    try AttackInput.require(stepSize.isFinite && stepSize > 0, "stepSize", stepSize, "positive")
    try AttackInput.require(batchSize >= 1, "batchSize", batchSize, "at least 1")
    self.classifier = classifier
    self.norm = norm
    self.epsilon = epsilon
    self.stepSize = stepSize
    self.steps = steps
    self.randomStart = randomStart
    self.seed = seed
    self.batchSize = batchSize
  }

  /// - Complexity: `steps` forward and backward passes, plus two forward passes.
  /// - Throws: `AttackError` (see `Attack`).
  public func attack(
    _ images: Tensor, labels: [Int], target: AttackTarget, progress: ProgressHandler
  ) throws -> [AdversarialResult] {
    try ProjectedGradientSteps(
      name: "PGD", classifier: classifier, norm: norm, epsilon: epsilon, stepSize: stepSize,
      steps: steps, start: randomStart ? .random(seed: seed) : .original, batchSize: batchSize
    ).run(images, labels: labels, target: target, progress: progress)
  }
}
