import Tensor

/// The VGG networks as torchvision builds them: VGG-11, -13, -16 and -19, each with or without
/// batch normalisation.
///
/// Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition",
/// ICLR 2015 (https://arxiv.org/abs/1409.1556); the batch-norm variants add a batch norm after
/// every convolution.
///
/// ```
/// features: [3×3 conv (pad 1, bias) → (batch norm) → relu]… with 2×2/2 max pools between widths
///   → avgpool (adaptive, 7×7) → flatten
///   → classifier: 0 linear 25088→4096, 1 relu, 2 dropout, 3 linear 4096→4096, 4 relu,
///                 5 dropout, 6 linear 4096→classes
/// ```
///
/// `features` is one `Sequential` numbered as torchvision numbers it (`features.0` is the first
/// convolution; with batch norm `features.1` is its batch norm and `features.2` its ReLU), so the
/// state-dict keys match: `features.28.weight` (VGG-16's last convolution), `features.41.
/// running_var` (VGG-16-BN), `classifier.6.bias`. The adaptive pooling makes any input of at
/// least 32×32 valid: smaller feature maps are averaged over overlapping bins that repeat.
///
/// | builder | convolutions per width (64, 128, 256, 512, 512) | parameters |
/// |---|---|---|
/// | `vgg11`, `vgg11BN` | 1, 1, 2, 2, 2 | 132,863,336 / 132,868,840 |
/// | `vgg13`, `vgg13BN` | 2, 2, 2, 2, 2 | 133,047,848 / 133,053,736 |
/// | `vgg16`, `vgg16BN` | 2, 2, 3, 3, 3 | 138,357,544 / 138,365,992 |
/// | `vgg19`, `vgg19BN` | 2, 2, 4, 4, 4 | 143,667,240 / 143,678,248 |
///
/// - Input: `[N, 3, H, W]` with `H, W ≥ 32`. Output: logits `[N, classCount]`.
/// - Features: `classifier.4`, the 4096 ReLU outputs feeding the last linear layer.
/// - Complexity: 7.6 (VGG-11) to 19.6 (VGG-19) GMAC per 224×224 image.
public struct VGG: ClassificationNetwork, PooledFeatureClassifier {
  /// The depth of a VGG network: torchvision's configurations "A", "B", "D" and "E".
  public enum Depth: Int, Sendable, Hashable, CaseIterable {
    case vgg11 = 11
    case vgg13 = 13
    case vgg16 = 16
    case vgg19 = 19

    /// The feature layout: output channels of each 3×3 convolution, `nil` for a 2×2 max pool.
    public var layout: [Int?] {
      switch self {
      case .vgg11:
        return [64, nil, 128, nil, 256, 256, nil, 512, 512, nil, 512, 512, nil]
      case .vgg13:
        return [64, 64, nil, 128, 128, nil, 256, 256, nil, 512, 512, nil, 512, 512, nil]
      case .vgg16:
        return [
          64, 64, nil, 128, 128, nil, 256, 256, 256, nil, 512, 512, 512, nil, 512, 512, 512, nil,
        ]
      case .vgg19:
        return [
          64, 64, nil, 128, 128, nil, 256, 256, 256, 256, nil, 512, 512, 512, 512, nil,
          512, 512, 512, 512, nil,
        ]
      }
    }
  }

  /// The convolutional trunk, numbered as torchvision numbers it.
  public var features: Sequential
  /// Adaptive average pooling to 7×7 (the identity on 224×224 inputs).
  public var avgpool: AdaptiveAveragePool2D
  /// Linear, ReLU, dropout, linear, ReLU, dropout, linear (`"0"` … `"6"`).
  public var classifier: Sequential

  /// A VGG network initialised as torchvision does: convolutions `N(0, 2/fanOut)` with zero
  /// bias, batch norms γ = 1, β = 0, linear layers `N(0, 0.01²)` with zero bias.
  ///
  /// - Precondition: `classCount ≥ 1`, `0 ≤ dropout ≤ 1`.
  public init(
    depth: Depth, batchNorm: Bool, classCount: Int = 1000, dropout: Float = 0.5,
    using rng: inout some RandomNumberGenerator
  ) {
    precondition(classCount >= 1, "A VGG network needs at least one class, not \(classCount).")
    var layers: [any Layer] = []
    var channels = 3
    for entry in depth.layout {
      guard let width = entry else {
        layers.append(MaxPool2D(kernelSize: 2, stride: 2))
        continue
      }
      layers.append(
        Conv2D(
          weight: TorchvisionInitialization.kaimingNormalFanOut(
            [width, channels, 3, 3], using: &rng),
          bias: Tensor(zeros: [width]),
          configuration: Convolution2DConfiguration(stride: 1, padding: .symmetric(1))))
      if batchNorm { layers.append(BatchNorm2D(channelCount: width)) }
      layers.append(ReLU())
      channels = width
    }
    features = Sequential(layers)
    avgpool = AdaptiveAveragePool2D(outputSize: 7)
    classifier = Sequential([
      Self.linear(512 * 7 * 7, 4096, using: &rng), ReLU(), Dropout(probability: dropout),
      Self.linear(4096, 4096, using: &rng), ReLU(), Dropout(probability: dropout),
      Self.linear(4096, classCount, using: &rng),
    ])
  }

  /// VGG-11 (configuration "A").
  public static func vgg11(
    classCount: Int = 1000, using rng: inout some RandomNumberGenerator
  ) -> VGG { VGG(depth: .vgg11, batchNorm: false, classCount: classCount, using: &rng) }

  /// VGG-11 with batch normalisation.
  public static func vgg11BN(
    classCount: Int = 1000, using rng: inout some RandomNumberGenerator
  ) -> VGG { VGG(depth: .vgg11, batchNorm: true, classCount: classCount, using: &rng) }

  /// VGG-13 (configuration "B").
  public static func vgg13(
    classCount: Int = 1000, using rng: inout some RandomNumberGenerator
  ) -> VGG { VGG(depth: .vgg13, batchNorm: false, classCount: classCount, using: &rng) }

  /// VGG-13 with batch normalisation.
  public static func vgg13BN(
    classCount: Int = 1000, using rng: inout some RandomNumberGenerator
  ) -> VGG { VGG(depth: .vgg13, batchNorm: true, classCount: classCount, using: &rng) }

  /// VGG-16 (configuration "D").
  public static func vgg16(
    classCount: Int = 1000, using rng: inout some RandomNumberGenerator
  ) -> VGG { VGG(depth: .vgg16, batchNorm: false, classCount: classCount, using: &rng) }

  /// VGG-16 with batch normalisation.
  public static func vgg16BN(
    classCount: Int = 1000, using rng: inout some RandomNumberGenerator
  ) -> VGG { VGG(depth: .vgg16, batchNorm: true, classCount: classCount, using: &rng) }

  /// VGG-19 (configuration "E").
  public static func vgg19(
    classCount: Int = 1000, using rng: inout some RandomNumberGenerator
  ) -> VGG { VGG(depth: .vgg19, batchNorm: false, classCount: classCount, using: &rng) }

  /// VGG-19 with batch normalisation.
  public static func vgg19BN(
    classCount: Int = 1000, using rng: inout some RandomNumberGenerator
  ) -> VGG { VGG(depth: .vgg19, batchNorm: true, classCount: classCount, using: &rng) }

  /// A linear layer initialised `N(0, 0.01²)` with zero bias.
  private static func linear(
    _ inputs: Int, _ outputs: Int, using rng: inout some RandomNumberGenerator
  ) -> Linear {
    Linear(
      weight: TorchvisionInitialization.normal(
        [outputs, inputs], standardDeviation: 0.01, using: &rng),
      bias: Tensor(zeros: [outputs]))
  }

  public var featureLayer: String { "classifier.4" }
}
