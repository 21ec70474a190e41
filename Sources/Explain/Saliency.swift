import Models
import Tensor

/// Vanilla gradient saliency (Simonyan, Vedaldi & Zisserman 2014): the gradient of the target
/// logit with respect to the pixels, `∂f_c(x)/∂x`, from one pullback of a one-hot seed.
///
/// `.absolute` (the default) returns `|∂f_c/∂x|` `[3, H, W]`; the paper's map is its maximum over
/// channels, `M[i, j] = maxₖ |∂f_c/∂x[k, i, j]|` (`map(_:target:)`). `.signed` returns the raw
/// gradient. Captum's `Saliency` takes the absolute value by default as well.
public struct Saliency: Attribution, Sendable {
  /// Which form of the gradient to return.
  public enum Variant: Sendable, Hashable {
    /// `|∂f_c/∂x|`.
    case absolute
    /// `∂f_c/∂x`.
    case signed
  }

  /// The classifier explained.
  public var classifier: any ImageClassifier
  /// The form of the gradient returned by `attribute`.
  public var variant: Variant

  public init(classifier: any ImageClassifier, variant: Variant = .absolute) {
    self.classifier = classifier
    self.variant = variant
  }

  /// The gradient (or its absolute value) `[3, H, W]` of logit `target` at `image` `[3, H, W]`.
  ///
  /// - Complexity: one forward and one backward pass.
  /// - Throws: `AttributionError` for a wrong shape, a target out of range or non-finite pixels.
  public func attribute(_ image: Tensor, target: Int) throws -> Tensor {
    try AttributionInput.validate(image, target: target, classifier: classifier)
    let (_, gradient) = AttributionInput.targetGradients(
      of: classifier, images: image.expandingShape(at: 0), target: target)
    let values = variant == .absolute ? gradient.map { Swift.abs($0) } : gradient
    return Tensor(shape: image.shape, scalars: values)
  }

  /// The saliency map `[H, W]`: `maxₖ |∂f_c/∂x[k, i, j]|`.
  ///
  /// - Throws: `AttributionError` as `attribute`.
  public func map(_ image: Tensor, target: Int) throws -> Tensor {
    try attribute(image, target: target).channelReduced(.maximumAbsolute)
  }
}
