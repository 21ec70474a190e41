import Models
import Tensor

/// Gradient-weighted class activation mapping (Selvaraju et al., ICCV 2017).
///
/// For the activation `A` (`[K, h, w]`) of a convolutional layer and the logit `y_c` of the target
/// class, each channel gets the weight `α_k = (1 / hw) Σ_ij ∂y_c/∂A_k[i, j]` (the spatial mean of
/// its gradient) and the coarse map is `L = ReLU(Σ_k α_k A_k)` (`[h, w]`). The map is upsampled to
/// the image size with plain bilinear interpolation (half-pixel centres, no antialiasing), as
/// Captum's `LayerAttribution.interpolate(..., "bilinear")` does.
///
/// ```swift
/// let cam = try GradCAM(classifier: classifier)          // the network's last conv stage
/// let map = try cam.map(image, target: 967)              // [224, 224], non-negative
/// let attribution = try cam.attribute(image, target: 967) // [3, 224, 224], map repeated
/// ```
public struct GradCAM: Attribution, Sendable {
  /// The classifier explained.
  public let classifier: any ImageClassifier
  /// The dotted path of the layer whose activation is weighted.
  public let layer: String

  /// Grad-CAM at `layer`, or, when `layer` is nil and `classifier` is a `Classifier`, at its
  /// network's `lastConvolutionalLayer`.
  ///
  /// - Throws: `AttributionError.invalidParameter` when `layer` is nil and the classifier is not a
  ///   `Classifier` (no default layer is known).
  public init(classifier: any ImageClassifier, layer: String? = nil) throws {
    self.classifier = classifier
    if let layer {
      self.layer = layer
    } else if let network = (classifier as? Classifier)?.network {
      self.layer = network.lastConvolutionalLayer
    } else {
      throw AttributionError.invalidParameter(
        "Grad-CAM needs a layer path: \(type(of: classifier)) is not a Classifier, so it has no "
          + "default last convolutional layer.")
    }
  }

  /// The coarse map `ReLU(Σ_k α_k A_k)` at the layer's resolution, `[h, w]`.
  ///
  /// - Throws: `AttributionError` for a wrong image shape, target or non-finite pixels;
  ///   `ClassifierError.unknownLayer` when the layer does not exist; `invalidParameter` when the
  ///   layer's output is not `[1, K, h, w]`.
  /// - Complexity: one forward and one backward pass, plus O(K · h · w).
  public func layerMap(_ image: Tensor, target: Int) throws -> Tensor {
    try AttributionInput.validate(image, target: target, classifier: classifier)
    let (logits, activation, pullback) = try classifier.logitsWithPullback(
      image.expandingShape(at: 0), capturing: layer)
    guard activation.rank == 4, activation.shape[0] == 1 else {
      throw AttributionError.invalidParameter(
        "Grad-CAM needs a [1, K, h, w] activation at '\(layer)', not \(activation.shape).")
    }
    let seed = AttributionInput.oneHot(rows: 1, classCount: logits.shape[1], target: target)
    let gradient = pullback(seed).activation
    let (channels, height, width) = (activation.shape[1], activation.shape[2], activation.shape[3])
    let plane = height * width
    let a = activation.contiguous().scalars
    let g = gradient.contiguous().scalars
    var map = [Float](repeating: 0, count: plane)
    for k in 0..<channels {
      let base = k * plane
      var weight: Float = 0
      for index in 0..<plane { weight += g[base + index] }
      weight /= Float(plane)
      for index in 0..<plane { map[index] += weight * a[base + index] }
    }
    return Tensor(shape: [height, width], scalars: map.map { Swift.max($0, 0) })
  }

  /// The Grad-CAM map upsampled bilinearly (no antialiasing) to the image size, `[H, W]`.
  ///
  /// - Throws: as `layerMap(_:target:)`.
  /// - Complexity: that of `layerMap` plus O(H · W).
  public func map(_ image: Tensor, target: Int) throws -> Tensor {
    let coarse = try layerMap(image, target: target)
    return coarse.resized(height: image.shape[1], width: image.shape[2], antialias: false)
  }

  /// The upsampled map repeated over the three channels, `[3, H, W]`.
  ///
  /// - Throws: as `layerMap(_:target:)`.
  public func attribute(_ image: Tensor, target: Int) throws -> Tensor {
    let map = try map(image, target: target).expandingShape(at: 0)
    return Tensor.concatenate([map, map, map], axis: 0)
  }
}
