import Tensor

/// The torchvision layout shared by VGG and AlexNet: a `features` stack, an adaptive average pool
/// `avgpool`, a flatten, then a `classifier` stack. Conforming types get the forward pass, the
/// fused inference path, the layer paths and the state-dict walk (`features.*`, `classifier.*`).
protocol PooledFeatureClassifier: ClassificationNetwork {
  var features: Sequential { get set }
  var avgpool: AdaptiveAveragePool2D { get }
  var classifier: Sequential { get set }
}

extension PooledFeatureClassifier {
  public var lastConvolutionalLayer: String { "features" }

  public var layerPaths: [String] {
    ["features"] + descendantPaths(of: features).map { "features.\($0)" } + ["avgpool"]
      + ["classifier"] + descendantPaths(of: classifier).map { "classifier.\($0)" }
  }

  /// The logits, with each convolution's batch norm and ReLU fused into one in-place pass (see
  /// `FusedInference`).
  public func callAsFunction(_ input: Tensor) -> Tensor {
    FusedInference.run(classifier, Flatten()(avgpool(FusedInference.run(features, input))))
  }

  /// The logits and a pullback to the input and every parameter.
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    var tape = PullbackTape()
    var x = tape.run(features, named: "features", input, context)
    x = tape.run(avgpool, named: "avgpool", x, context)
    x = tape.runUnnamed(Flatten(), x, context)
    x = tape.run(classifier, named: "classifier", x, context)
    return (x, tape.pullback)
  }

  public func visitParameters(_ body: (String, ParameterKind, Tensor) throws -> Void) rethrows {
    try features.visitParameters { try body("features.\($0)", $1, $2) }
    try classifier.visitParameters { try body("classifier.\($0)", $1, $2) }
  }

  public mutating func updateParameters(
    _ body: (String, ParameterKind, inout Tensor) throws -> Void
  ) rethrows {
    try features.updateParameters { try body("features.\($0)", $1, &$2) }
    try classifier.updateParameters { try body("classifier.\($0)", $1, &$2) }
  }
}
