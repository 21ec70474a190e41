import Tensor

/// MobileNetV2 as torchvision builds it (width multiplier 1).
///
/// Sandler, Howard, Zhu, Zhmoginov and Chen, "MobileNetV2: Inverted Residuals and Linear
/// Bottlenecks", CVPR 2018 (https://arxiv.org/abs/1801.04381).
///
/// ```
/// features.0: 3×3/2 conv 3→32, batch norm, ReLU6
/// features.1 … 17: inverted residuals (t, c, n, s) = (1, 16, 1, 1), (6, 24, 2, 2),
///   (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)
/// features.18: 1×1 conv 320→1280, batch norm, ReLU6
/// avgpool (global) → classifier: 0 dropout (0.2), 1 linear 1280→classes
/// ```
///
/// torchvision's `Conv2dNormActivation` is a `Sequential` of convolution, batch norm and ReLU6,
/// so its keys are `features.0.0.weight`, `features.0.1.running_mean`; a block's layers sit under
/// `features.N.conv.M` (see `InvertedResidual`). torchvision applies the global pooling as a
/// function; here it is the capturable step `avgpool` (it has no parameters, so the keys are
/// unchanged). 3,504,872 parameters with 1000 classes.
///
/// - Input: `[N, 3, H, W]` (any size; 224×224 for ImageNet). Output: logits `[N, classCount]`.
/// - Features: `avgpool`, `[N, 1280]`.
/// - Complexity: 0.30 GMAC per 224×224 image.
public struct MobileNetV2: ClassificationNetwork {
  /// torchvision's inverted-residual setting: expansion `t`, output channels `c`, repeats `n`,
  /// stride of the first repeat `s`.
  public static let invertedResidualSetting:
    [(expansion: Int, channels: Int, repeats: Int, stride: Int)] = [
      (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
      (6, 160, 3, 2), (6, 320, 1, 1),
    ]

  /// The stem, 17 inverted residuals and the 1×1 head (`"0"` … `"18"`).
  public var features: Sequential
  /// Global average pooling to `[N, 1280]`.
  public var avgpool: GlobalAveragePool2D
  /// Dropout and the linear layer (`"0"`, `"1"`).
  public var classifier: Sequential

  /// A MobileNetV2 initialised as torchvision does: convolutions `N(0, 2/fanOut)`, batch norms
  /// γ = 1, β = 0, the linear layer `N(0, 0.01²)` with zero bias.
  ///
  /// - Precondition: `classCount ≥ 1`, `0 ≤ dropout ≤ 1`.
  public init(
    classCount: Int = 1000, dropout: Float = 0.2, using rng: inout some RandomNumberGenerator
  ) {
    precondition(classCount >= 1, "A MobileNetV2 needs at least one class, not \(classCount).")
    var layers: [any Layer] = [Self.convolutionBlock(3, 32, kernelSize: 3, stride: 2, using: &rng)]
    var channels = 32
    for setting in Self.invertedResidualSetting {
      for repeat_ in 0..<setting.repeats {
        layers.append(
          InvertedResidual(
            inputChannels: channels, outputChannels: setting.channels,
            stride: repeat_ == 0 ? setting.stride : 1, expansionRatio: setting.expansion,
            using: &rng))
        channels = setting.channels
      }
    }
    layers.append(Self.convolutionBlock(channels, 1280, kernelSize: 1, using: &rng))
    features = Sequential(layers)
    avgpool = GlobalAveragePool2D()
    classifier = Sequential([
      Dropout(probability: dropout),
      Linear(
        weight: TorchvisionInitialization.normal(
          [classCount, 1280], standardDeviation: 0.01, using: &rng),
        bias: Tensor(zeros: [classCount])),
    ])
  }

  /// MobileNetV2 with `classCount` classes (torchvision's `mobilenet_v2`).
  public static func mobileNetV2(
    classCount: Int = 1000, using rng: inout some RandomNumberGenerator
  ) -> MobileNetV2 {
    MobileNetV2(classCount: classCount, using: &rng)
  }

  public var featureLayer: String { "avgpool" }
  public var lastConvolutionalLayer: String { "features" }

  public var layerPaths: [String] {
    ["features"] + descendantPaths(of: features).map { "features.\($0)" } + ["avgpool"]
      + ["classifier"] + descendantPaths(of: classifier).map { "classifier.\($0)" }
  }

  /// The logits, with each convolution's batch norm and ReLU6 (and each block's residual sum)
  /// fused into one in-place pass (see `FusedInference`).
  public func callAsFunction(_ input: Tensor) -> Tensor {
    FusedInference.run(classifier, avgpool(FusedInference.run(features, input)))
  }

  /// The logits and a pullback to the input and every parameter.
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    var tape = PullbackTape()
    var x = tape.run(features, named: "features", input, context)
    x = tape.run(avgpool, named: "avgpool", x, context)
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

extension MobileNetV2 {
  /// A bias-free convolution with padding `(k − 1)/2`, initialised `N(0, 2/fanOut)`.
  static func convolution(
    _ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1,
    groups: Int = 1, using rng: inout some RandomNumberGenerator
  ) -> Conv2D {
    Conv2D(
      weight: TorchvisionInitialization.kaimingNormalFanOut(
        [outputChannels, inputChannels / groups, kernelSize, kernelSize], using: &rng),
      bias: nil,
      configuration: Convolution2DConfiguration(
        stride: stride, padding: .symmetric((kernelSize - 1) / 2), groups: groups))
  }

  /// torchvision's `Conv2dNormActivation(…, activation_layer=nn.ReLU6)`: a `Sequential` of the
  /// convolution (`"0"`), a batch norm (`"1"`) and ReLU6 (`"2"`).
  static func convolutionBlock(
    _ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1,
    groups: Int = 1, using rng: inout some RandomNumberGenerator
  ) -> Sequential {
    Sequential([
      convolution(
        inputChannels, outputChannels, kernelSize: kernelSize, stride: stride, groups: groups,
        using: &rng),
      BatchNorm2D(channelCount: outputChannels),
      ReLU6(),
    ])
  }
}
