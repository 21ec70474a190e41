import Models
import Tensor

/// The outcome of attacking one image.
public struct AdversarialResult: Sendable {
  /// The adversarial image `[3, H, W]`, in [0, 1].
  public var image: Tensor
  /// The class the image was attacked from (the label given to the attack).
  public var label: Int
  /// The class aimed for, or nil for an untargeted attack.
  public var target: Int?
  /// The model's top-1 class and probability on the original image.
  public var original: Prediction
  /// The model's top-1 class and probability on the adversarial image.
  public var adversarial: Prediction
  /// Untargeted: the prediction is no longer `label`; targeted: the prediction is `target`.
  public var isSuccessful: Bool
  /// `‖x' − x‖₂` over all `3·H·W` pixels.
  public var l2: Float
  /// `‖x' − x‖∞ = maxᵢ |x'ᵢ − xᵢ|`.
  public var linf: Float
  /// The normalised robustness `ρ = ‖x' − x‖₂ / ‖x‖₂` (DeepFool's measure; 0 for a black image).
  public var rho: Float
  /// The gradient steps taken (1 for FGSM; the steps until the label flipped for DeepFool).
  public var iterations: Int

  /// A result with every field given (the attacks build these; tests and callers may too).
  public init(
    image: Tensor, label: Int, target: Int?, original: Prediction, adversarial: Prediction,
    isSuccessful: Bool, l2: Float, linf: Float, rho: Float, iterations: Int
  ) {
    self.image = image
    self.label = label
    self.target = target
    self.original = original
    self.adversarial = adversarial
    self.isSuccessful = isSuccessful
    self.l2 = l2
    self.linf = linf
    self.rho = rho
    self.iterations = iterations
  }
}

/// The perturbation norms of `adversarial` against `original` (flat pixel arrays of one image).
struct PerturbationNorms {
  var l2: Float
  var linf: Float
  var rho: Float

  /// - Complexity: O(count), accumulated in Double.
  init(original: ArraySlice<Float>, adversarial: ArraySlice<Float>) {
    precondition(original.count == adversarial.count, "Images of different sizes.")
    var squared = 0.0
    var imageSquared = 0.0
    var maximum: Float = 0
    for (x, y) in zip(original, adversarial) {
      let d = y - x
      squared += Double(d) * Double(d)
      imageSquared += Double(x) * Double(x)
      maximum = Swift.max(maximum, Swift.abs(d))
    }
    l2 = Float(squared.squareRoot())
    linf = maximum
    rho = imageSquared > 0 ? Float((squared / imageSquared).squareRoot()) : 0
  }
}
