import Models
import Tensor

/// The basic iterative method, I-FGSM (Kurakin, Goodfellow & Bengio 2017, arXiv 1607.02533):
/// FGSM repeated with a small step α, each iterate projected back to the L∞ ε-ball and [0, 1],
///
///     x₀ = x,   xₙ₊₁ = clip_{x,ε}(xₙ ± α · sign(∇ₓ L(f(xₙ), c)))
///
/// (`+` away from the label when untargeted, `−` towards the target when targeted). Kurakin's
/// defaults: α = 1/255 and `min(255ε + 4, 1.25 · 255ε)` steps (rounded down, at least 1), so each
/// pixel can reach the edge of the ball. torchattacks' `BIM` uses the same step count when
/// `steps=0` but defaults to α = 2/255, 10 steps; Foolbox's `LinfBasicIterativeAttack` uses
/// α = 0.2ε and 10 steps. No random start (that is PGD).
public struct BIM: Attack {
  public let classifier: any ImageClassifier
  /// The L∞ budget, in [0, 1] pixel units.
  public let epsilon: Float
  /// The step α.
  public let stepSize: Float
  /// The number of steps.
  public let steps: Int
  /// Images per forward and backward pass.
  public let batchSize: Int

  /// Kurakin et al.'s step count for a budget ε in [0, 1] units: `⌊min(255ε + 4, 1.25 · 255ε)⌋`,
  /// at least 1.
  public static func kurakinSteps(epsilon: Float) -> Int {
    // ε·255 in Double, rounded to 1e-4 so that 8/255 stored as a Float still counts as 8.
    let pixels = (Double(epsilon) * 255 * 1e4).rounded() / 1e4
    return Swift.max(1, Int(Swift.min(pixels + 4, 1.25 * pixels)))
  }

  /// - Parameters:
  ///   - steps: nil for `kurakinSteps(epsilon:)`.
  /// - Throws: `AttackError.epsilonOutOfRange` unless 0 < ε ≤ 1; `AttackError.invalidParameter`
  ///   for a step size not in (0, 1], steps or `batchSize` below 1.
  public init(
    classifier: any ImageClassifier, epsilon: Float = 8 / 255, stepSize: Float = 1 / 255,
    steps: Int? = nil, batchSize: Int = 8
  ) throws {
    try AttackInput.validateEpsilon(epsilon, norm: .linf, classifier: classifier)
    try AttackInput.require(
      stepSize.isFinite && stepSize > 0 && stepSize <= 1, "stepSize", stepSize, "in (0, 1]")
    let steps = steps ?? Self.kurakinSteps(epsilon: epsilon)
    try AttackInput.require(steps >= 1, "steps", steps, "at least 1")
    try AttackInput.require(batchSize >= 1, "batchSize", batchSize, "at least 1")
    self.classifier = classifier
    self.epsilon = epsilon
    self.stepSize = stepSize
    self.steps = steps
    self.batchSize = batchSize
  }

  /// - Complexity: `steps` forward and backward passes, plus one forward pass.
  /// - Throws: `AttackError` (see `Attack`).
  public func attack(
    _ images: Tensor, labels: [Int], target: AttackTarget, progress: ProgressHandler
  ) throws -> [AdversarialResult] {
    try ProjectedGradientSteps(
      name: "BIM", classifier: classifier, norm: .linf, epsilon: epsilon, stepSize: stepSize,
      steps: steps, start: .original, batchSize: batchSize
    ).run(images, labels: labels, target: target, progress: progress)
  }
}
