import Tensor

/// A network, its normalisation, its preprocessing and its class names: the library's
/// `ImageClassifier`.
///
/// ```swift
/// let classifier = try Classifier.efficientNetLite0(weights: url, labels: labelsURL)
/// let input = try classifier.preprocessing(photo)            // [3, 224, 224] in [0, 1]
/// let top = classifier.topPredictions(logits: classifier.logits(input.expandingShape(at: 0)), k: 5)
/// ```
public struct Classifier: ImageClassifier {
  /// The layers, from normalised images to logits.
  public var network: any ClassificationNetwork
  /// The map from [0, 1] pixels to the network's input.
  public var normalization: Normalization
  /// How a photograph becomes an input image.
  public var preprocessing: Preprocessing
  public var classNames: [String]

  public init(
    network: any ClassificationNetwork, normalization: Normalization,
    preprocessing: Preprocessing, classNames: [String]
  ) {
    self.network = network
    self.normalization = normalization
    self.preprocessing = preprocessing
    self.classNames = classNames
  }

  public var inputSize: (height: Int, width: Int) { preprocessing.cropSize }

  public func logits(_ images: Tensor) -> Tensor {
    checkBatch(images)
    return network(normalization(images))
  }

  public func logitsWithPullback(_ images: Tensor) -> (
    logits: Tensor, pullback: @Sendable (Tensor) -> Tensor
  ) {
    checkBatch(images)
    let normalized = normalization(images)
    let normalization = self.normalization
    if let (logits, pullback) = network.inferenceLogitsWithInputPullback(normalized) {
      return (logits, { normalization.backward(pullback($0)) })
    }
    let context = ForwardContext(computesParameterGradients: false)
    let (logits, networkPullback) = network.forward(normalized, context: context)
    return (logits, { normalization.backward(networkPullback($0).input) })
  }

  public func logitsWithPullback(_ images: Tensor, capturing layer: String) throws -> (
    logits: Tensor, activation: Tensor,
    pullback: @Sendable (Tensor) -> (images: Tensor, activation: Tensor)
  ) {
    checkBatch(images)
    guard network.layerPaths.contains(layer) else {
      throw ClassifierError.unknownLayer(layer, available: network.layerPaths)
    }
    let context = ForwardContext(capturing: [layer], computesParameterGradients: false)
    let (logits, networkPullback) = network.forward(normalization(images), context: context)
    guard let activation = context.activations[layer] else {
      throw ClassifierError.unknownLayer(layer, available: network.layerPaths)
    }
    let normalization = self.normalization
    return (
      logits, activation,
      { seed in
        let input = networkPullback(seed).input
        let activationGradient =
          context.activationGradients[layer] ?? Tensor(zeros: activation.shape)
        return (normalization.backward(input), activationGradient)
      }
    )
  }

  public func features(_ images: Tensor) -> Tensor {
    checkBatch(images)
    let normalized = normalization(images)
    if let features = network.inferenceFeatures(normalized) { return features }
    let context = ForwardContext(capturing: [network.featureLayer])
    _ = network.forward(normalized, context: context)
    guard let activation = context.activations[network.featureLayer] else {
      preconditionFailure("The network did not record its feature layer '\(network.featureLayer)'.")
    }
    return activation.reshaped(to: [images.shape[0], -1])
  }

  private func checkBatch(_ images: Tensor) {
    precondition(
      images.rank == 4 && images.shape[1] == normalization.scale.count,
      "Images must be [N, \(normalization.scale.count), H, W], not \(images.shape).")
  }
}
