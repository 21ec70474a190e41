import Tensor

/// SqueezeNet 1.0 and 1.1 as torchvision builds them.
///
/// Iandola, Han, Moskewicz, Ashraf, Dally and Keutzer, "SqueezeNet: AlexNet-level accuracy with
/// 50x fewer parameters and <0.5MB model size", 2016 (https://arxiv.org/abs/1602.07360); version
/// 1.1 (from the authors' repository) uses a 3×3 stem of 64 channels and pools earlier, for 2.4×
/// less computation at the same accuracy.
///
/// ```
/// 1.0 features: 0 conv 7×7/2 3→96, 1 relu, 2 maxpool, 3–5 fire, 6 maxpool, 7–10 fire,
///               11 maxpool, 12 fire
/// 1.1 features: 0 conv 3×3/2 3→64, 1 relu, 2 maxpool, 3–4 fire, 5 maxpool, 6–7 fire,
///               8 maxpool, 9–12 fire
/// classifier: 0 dropout (0.5), 1 conv 1×1 512→classes, 2 relu, 3 global average pool → flatten
/// ```
///
/// Every max pooling is 3×3 with stride 2 and `ceil_mode=True` (the output size rounds up). The
/// state-dict keys are torchvision's: `features.0.weight`, `features.3.squeeze.weight`,
/// `features.12.expand3x3.bias`, `classifier.1.weight`. 1,248,424 (1.0) and 1,235,496 (1.1)
/// parameters with 1000 classes.
///
/// The network has no pooled penultimate layer (its classifier is a convolution over the feature
/// map), so `featureLayer` is `avgpool`, a tap that is not part of torchvision's model: the global
/// average of `features`, `[N, 512, 1, 1]`, computed only when captured. The logits do not depend
/// on it, so its captured gradient is zero.
///
/// - Input: `[N, 3, H, W]` with `H, W ≥ 29` (1.0) or `25` (1.1) (see
///   `TorchvisionArchitecture.minimumInputSize`). Output: logits `[N, classCount]`.
/// - Complexity: 0.82 (1.0) and 0.35 (1.1) GMAC per 224×224 image.
public struct SqueezeNet: ClassificationNetwork {
  /// The two published versions.
  public enum Version: String, Sendable, Hashable, CaseIterable {
    /// SqueezeNet 1.0 (the paper's network).
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case v1_0 = "1_0"
    /// SqueezeNet 1.1 (the authors' cheaper revision).
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case v1_1 = "1_1"
  }

  /// The version the network was built as.
  public let version: Version
  /// The convolutional trunk, numbered as torchvision numbers it.
  public var features: Sequential
  /// Dropout, the 1×1 class convolution, ReLU and global average pooling (`"0"` … `"3"`).
  public var classifier: Sequential

  /// A SqueezeNet initialised as torchvision does: weights `U(−√(6/fanIn), √(6/fanIn))`
  /// (`kaiming_uniform_`), the final convolution `N(0, 0.01²)`, zero biases.
  ///
  /// - Precondition: `classCount ≥ 1`, `0 ≤ dropout ≤ 1`.
  public init(
    version: Version, classCount: Int = 1000, dropout: Float = 0.5,
    using rng: inout some RandomNumberGenerator
  ) {
    precondition(classCount >= 1, "A SqueezeNet needs at least one class, not \(classCount).")
    self.version = version
    func fire(_ c: Int, _ s: Int, _ e1: Int, _ e3: Int) -> Fire {
      Fire(
        inputChannels: c, squeezeChannels: s, expand1x1Channels: e1, expand3x3Channels: e3,
        using: &rng)
    }
    let pool = MaxPool2D(kernelSize: 3, stride: 2, ceilMode: true)
    switch version {
    case .v1_0:
      let stem = Self.convolution(3, 96, kernelSize: 7, stride: 2, using: &rng)
      features = Sequential([
        stem, ReLU(), pool, fire(96, 16, 64, 64), fire(128, 16, 64, 64), fire(128, 32, 128, 128),
        pool, fire(256, 32, 128, 128), fire(256, 48, 192, 192), fire(384, 48, 192, 192),
        fire(384, 64, 256, 256), pool, fire(512, 64, 256, 256),
      ])
    case .v1_1:
      let stem = Self.convolution(3, 64, kernelSize: 3, stride: 2, using: &rng)
      features = Sequential([
        stem, ReLU(), pool, fire(64, 16, 64, 64), fire(128, 16, 64, 64), pool,
        fire(128, 32, 128, 128), fire(256, 32, 128, 128), pool, fire(256, 48, 192, 192),
        fire(384, 48, 192, 192), fire(384, 64, 256, 256), fire(512, 64, 256, 256),
      ])
    }
    let finalConvolution = Conv2D(
      weight: TorchvisionInitialization.normal(
        [classCount, 512, 1, 1], standardDeviation: 0.01, using: &rng),
      bias: Tensor(zeros: [classCount]))
    classifier = Sequential([
      Dropout(probability: dropout), finalConvolution, ReLU(),
      GlobalAveragePool2D(keepsDimensions: true),
    ])
  }

  /// SqueezeNet 1.0.
  // swift-format-ignore: AlwaysUseLowerCamelCase
  public static func squeezeNet1_0(
    classCount: Int = 1000, using rng: inout some RandomNumberGenerator
  ) -> SqueezeNet { SqueezeNet(version: .v1_0, classCount: classCount, using: &rng) }

  /// SqueezeNet 1.1.
  // swift-format-ignore: AlwaysUseLowerCamelCase
  public static func squeezeNet1_1(
    classCount: Int = 1000, using rng: inout some RandomNumberGenerator
  ) -> SqueezeNet { SqueezeNet(version: .v1_1, classCount: classCount, using: &rng) }

  public var featureLayer: String { "avgpool" }
  public var lastConvolutionalLayer: String { "features" }

  public var layerPaths: [String] {
    ["features"] + descendantPaths(of: features).map { "features.\($0)" } + ["avgpool"]
      + ["classifier"] + descendantPaths(of: classifier).map { "classifier.\($0)" }
  }

  /// The logits, with each ReLU applied in place on its convolution's output.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    Flatten()(FusedInference.run(classifier, FusedInference.run(features, input)))
  }

  /// The logits and a pullback to the input and every parameter; records the `avgpool` tap
  /// when it is captured.
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    var tape = PullbackTape()
    var x = tape.run(features, named: "features", input, context)
    if context.descend(into: "avgpool", { context.isCapturingCurrentPath }) {
      _ = context.forward(GlobalAveragePool2D(keepsDimensions: true), named: "avgpool", x)
    }
    x = tape.run(classifier, named: "classifier", x, context)
    x = tape.runUnnamed(Flatten(), x, context)
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

extension SqueezeNet {
  /// A convolution with bias, weights `U(−√(6/fanIn), √(6/fanIn))` and zero bias.
  static func convolution(
    _ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1,
    padding: Int = 0, using rng: inout some RandomNumberGenerator
  ) -> Conv2D {
    Conv2D(
      weight: TorchvisionInitialization.kaimingUniformFanIn(
        [outputChannels, inputChannels, kernelSize, kernelSize], using: &rng),
      bias: Tensor(zeros: [outputChannels]),
      configuration: Convolution2DConfiguration(stride: stride, padding: .symmetric(padding)))
  }
}
