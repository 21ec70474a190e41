import Tensor

/// A layer that maps images to class logits, with the two named places later methods need.
public protocol ClassificationNetwork: Layer {
  /// The dotted path of the layer whose output, flattened, is the penultimate feature vector.
  var featureLayer: String { get }
  /// The dotted path of the last convolutional stage (the usual Grad-CAM layer).
  var lastConvolutionalLayer: String { get }
  /// Every dotted layer path that `forward(_:context:)` can capture.
  var layerPaths: [String] { get }
  /// The flattened output of `featureLayer`, `[N, F]`, for a batch `input`, computed by a
  /// faster inference-only path; nil when the network has none, and callers capture the
  /// feature layer from `forward(_:context:)` instead (the default).
  func inferenceFeatures(_ input: Tensor) -> Tensor?
  /// The logits of a batch `input` (inference mode) and a pullback from `∂L/∂logits` to
  /// `∂L/∂input` alone, by a faster path than `forward(_:context:)` (which also gives parameter
  /// gradients and captures); nil when the network has none (the default).
  func inferenceLogitsWithInputPullback(_ input: Tensor) -> (
    logits: Tensor, pullback: @Sendable (Tensor) -> Tensor
  )?
}

extension ClassificationNetwork {
  public func inferenceFeatures(_ input: Tensor) -> Tensor? { nil }

  public func inferenceLogitsWithInputPullback(_ input: Tensor) -> (
    logits: Tensor, pullback: @Sendable (Tensor) -> Tensor
  )? { nil }
}
