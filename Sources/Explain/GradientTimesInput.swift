import Models
import Tensor

/// Gradient × input (Shrikumar et al. 2016): `a = x ⊙ ∂f_c(x)/∂x`, shaped `[3, H, W]`.
///
/// For a linear model `f_c(x) = ⟨w_c, x⟩ + b_c` this is `w_c ⊙ x`, whose sum is `f_c(x) − b_c`.
/// Captum's `InputXGradient` computes the same quantity.
public struct GradientTimesInput: Attribution, Sendable {
  /// The classifier explained.
  public var classifier: any ImageClassifier

  public init(classifier: any ImageClassifier) {
    self.classifier = classifier
  }

  /// `x ⊙ ∂f_c/∂x` `[3, H, W]` for `image` `[3, H, W]`.
  ///
  /// - Complexity: one forward and one backward pass.
  /// - Throws: `AttributionError` for a wrong shape, a target out of range or non-finite pixels.
  public func attribute(_ image: Tensor, target: Int) throws -> Tensor {
    try AttributionInput.validate(image, target: target, classifier: classifier)
    let (_, gradient) = AttributionInput.targetGradients(
      of: classifier, images: image.expandingShape(at: 0), target: target)
    let pixels = image.contiguous().scalars
    return Tensor(shape: image.shape, scalars: zip(pixels, gradient).map { $0 * $1 })
  }
}
