import Tensor

/// A residual network as torchvision builds it: ResNet-18, -34, -50, -101 and -152.
///
/// He, Zhang, Ren and Sun, "Deep Residual Learning for Image Recognition", CVPR 2016
/// (https://arxiv.org/abs/1512.03385); torchvision's variant puts the stride of a bottleneck on
/// its 3×3 convolution ("ResNet v1.5").
///
/// ```
/// conv1 7×7/2 → bn1 → relu → maxpool 3×3/2 (pad 1)
///   → layer1 (64) → layer2 (128, /2) → layer3 (256, /2) → layer4 (512, /2)
///   → avgpool (global) → flatten → fc
/// ```
///
/// Stage `layerK` is a `Sequential` of blocks named `"0"`, `"1"`, …; its first block carries the
/// stride and a projection shortcut when the shape changes. The state-dict keys are torchvision's
/// (`conv1.weight`, `bn1.running_var`, `layer3.0.downsample.0.weight`, `fc.bias`), so a
/// torchvision checkpoint loads as is; `num_batches_tracked` entries are ignored.
///
/// | builder | blocks | per stage | parameters (1000 classes) |
/// |---|---|---|---|
/// | `resnet18` | basic | 2, 2, 2, 2 | 11,689,512 |
/// | `resnet34` | basic | 3, 4, 6, 3 | 21,797,672 |
/// | `resnet50` | bottleneck | 3, 4, 6, 3 | 25,557,032 |
/// | `resnet101` | bottleneck | 3, 4, 23, 3 | 44,549,160 |
/// | `resnet152` | bottleneck | 3, 8, 36, 3 | 60,192,808 |
///
/// - Input: `[N, 3, H, W]` (any size; 224×224 for ImageNet). Output: logits `[N, classCount]`.
/// - Features: `avgpool`, `[N, 512·e, 1, 1]` (e = 1 for basic blocks, 4 for bottlenecks).
/// - Complexity: 1.8 (ResNet-18) to 11.5 (ResNet-152) GMAC per 224×224 image.
public struct ResNet: ClassificationNetwork {
  /// The residual block a network is built from.
  public enum Block: Sendable, Hashable {
    /// Two 3×3 convolutions (`BasicBlock`, expansion 1).
    case basic
    /// 1×1, 3×3, 1×1 convolutions (`Bottleneck`, expansion 4).
    case bottleneck

    /// Output channels per `planes` of a block.
    public var expansion: Int {
      switch self {
      case .basic: return BasicBlock.expansion
      case .bottleneck: return Bottleneck.expansion
      }
    }
  }

  /// The block kind of every stage.
  public let block: Block
  /// 7×7 stride-2 convolution, 3 → 64 channels, no bias.
  public var conv1: Conv2D
  public var bn1: BatchNorm2D
  /// 3×3 stride-2 max pooling with padding 1.
  public var maxpool: MaxPool2D
  public var layer1: Sequential
  public var layer2: Sequential
  public var layer3: Sequential
  public var layer4: Sequential
  /// Global average pooling to `[N, C, 1, 1]` (`nn.AdaptiveAvgPool2d((1, 1))`).
  public var avgpool: GlobalAveragePool2D
  /// `512·expansion → classCount`.
  public var fc: Linear

  /// A network of `blockCounts[k]` blocks in stage `k + 1`, initialised as torchvision does:
  /// convolutions `N(0, 2/fanOut)` (`kaiming_normal_`, `mode="fan_out"`), batch norms γ = 1,
  /// β = 0, μ = 0, σ² = 1, and `fc` with PyTorch's default `U(−1/√in, 1/√in)`.
  ///
  /// - Precondition: four positive block counts and `classCount ≥ 1`.
  public init(
    block: Block, blockCounts: [Int], classCount: Int = 1000,
    using rng: inout some RandomNumberGenerator
  ) {
    precondition(
      blockCounts.count == 4 && blockCounts.allSatisfy { $0 >= 1 },
      "A ResNet needs four positive block counts, not \(blockCounts).")
    precondition(classCount >= 1, "A ResNet needs at least one class, not \(classCount).")
    self.block = block
    conv1 = Self.convolution(3, 64, kernelSize: 7, stride: 2, using: &rng)
    bn1 = BatchNorm2D(channelCount: 64)
    maxpool = MaxPool2D(kernelSize: 3, stride: 2, padding: 1)
    var channels = 64
    func stage(_ planes: Int, _ count: Int, stride: Int) -> Sequential {
      var blocks: [any Layer] = []
      for index in 0..<count {
        let blockStride = index == 0 ? stride : 1
        switch block {
        case .basic:
          blocks.append(
            BasicBlock(inputChannels: channels, planes: planes, stride: blockStride, using: &rng))
        case .bottleneck:
          blocks.append(
            Bottleneck(inputChannels: channels, planes: planes, stride: blockStride, using: &rng))
        }
        channels = planes * block.expansion
      }
      return Sequential(blocks)
    }
    layer1 = stage(64, blockCounts[0], stride: 1)
    layer2 = stage(128, blockCounts[1], stride: 2)
    layer3 = stage(256, blockCounts[2], stride: 2)
    layer4 = stage(512, blockCounts[3], stride: 2)
    avgpool = GlobalAveragePool2D(keepsDimensions: true)
    fc = Linear(inputFeatures: 512 * block.expansion, outputFeatures: classCount, using: &rng)
  }

  /// ResNet-18: basic blocks 2, 2, 2, 2.
  public static func resnet18(
    classCount: Int = 1000, using rng: inout some RandomNumberGenerator
  ) -> ResNet {
    ResNet(block: .basic, blockCounts: [2, 2, 2, 2], classCount: classCount, using: &rng)
  }

  /// ResNet-34: basic blocks 3, 4, 6, 3.
  public static func resnet34(
    classCount: Int = 1000, using rng: inout some RandomNumberGenerator
  ) -> ResNet {
    ResNet(block: .basic, blockCounts: [3, 4, 6, 3], classCount: classCount, using: &rng)
  }

  /// ResNet-50: bottlenecks 3, 4, 6, 3.
  public static func resnet50(
    classCount: Int = 1000, using rng: inout some RandomNumberGenerator
  ) -> ResNet {
    ResNet(block: .bottleneck, blockCounts: [3, 4, 6, 3], classCount: classCount, using: &rng)
  }

  /// ResNet-101: bottlenecks 3, 4, 23, 3.
  public static func resnet101(
    classCount: Int = 1000, using rng: inout some RandomNumberGenerator
  ) -> ResNet {
    ResNet(block: .bottleneck, blockCounts: [3, 4, 23, 3], classCount: classCount, using: &rng)
  }

  /// ResNet-152: bottlenecks 3, 8, 36, 3.
  public static func resnet152(
    classCount: Int = 1000, using rng: inout some RandomNumberGenerator
  ) -> ResNet {
    ResNet(block: .bottleneck, blockCounts: [3, 8, 36, 3], classCount: classCount, using: &rng)
  }

  /// The number of classes.
  public var classCount: Int { fc.outputFeatures }

  public var featureLayer: String { "avgpool" }
  public var lastConvolutionalLayer: String { "layer4" }

  public var layerPaths: [String] {
    var paths = ["conv1", "bn1", "relu", "maxpool"]
    for (name, stage) in stages {
      paths.append(name)
      paths += descendantPaths(of: stage).map { "\(name).\($0)" }
    }
    return paths + ["avgpool", "fc"]
  }

  private var stages: [(String, Sequential)] {
    [("layer1", layer1), ("layer2", layer2), ("layer3", layer3), ("layer4", layer4)]
  }

  /// The logits, with each convolution's batch norm, ReLU and residual sum fused into one
  /// in-place pass (see `FusedInference`).
  public func callAsFunction(_ input: Tensor) -> Tensor {
    var x = conv1(input)
    FusedInference.apply(bn1, .relu, to: &x)
    x = maxpool(x)
    for (_, stage) in stages { x = FusedInference.run(stage, x) }
    return fc(Flatten()(avgpool(x)))
  }

  /// The logits and a pullback to the input and every parameter.
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    var tape = PullbackTape()
    var x = tape.run(conv1, named: "conv1", input, context)
    x = tape.run(bn1, named: "bn1", x, context)
    x = tape.run(ReLU(), named: "relu", x, context)
    x = tape.run(maxpool, named: "maxpool", x, context)
    for (name, stage) in stages { x = tape.run(stage, named: name, x, context) }
    x = tape.run(avgpool, named: "avgpool", x, context)
    x = tape.runUnnamed(Flatten(), x, context)
    x = tape.run(fc, named: "fc", x, context)
    return (x, tape.pullback)
  }

  public func visitParameters(_ body: (String, ParameterKind, Tensor) throws -> Void) rethrows {
    try conv1.visitParameters { try body("conv1.\($0)", $1, $2) }
    try bn1.visitParameters { try body("bn1.\($0)", $1, $2) }
    for (name, stage) in stages { try stage.visitParameters { try body("\(name).\($0)", $1, $2) } }
    try fc.visitParameters { try body("fc.\($0)", $1, $2) }
  }

  public mutating func updateParameters(
    _ body: (String, ParameterKind, inout Tensor) throws -> Void
  ) rethrows {
    try conv1.updateParameters { try body("conv1.\($0)", $1, &$2) }
    try bn1.updateParameters { try body("bn1.\($0)", $1, &$2) }
    try layer1.updateParameters { try body("layer1.\($0)", $1, &$2) }
    try layer2.updateParameters { try body("layer2.\($0)", $1, &$2) }
    try layer3.updateParameters { try body("layer3.\($0)", $1, &$2) }
    try layer4.updateParameters { try body("layer4.\($0)", $1, &$2) }
    try fc.updateParameters { try body("fc.\($0)", $1, &$2) }
  }
}

extension ResNet {
  /// A bias-free `kernelSize × kernelSize` convolution with padding `(k − 1)/2`, initialised
  /// `N(0, 2/fanOut)` (torchvision's `conv3x3`, `conv1x1` and stem).
  static func convolution(
    _ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int,
    using rng: inout some RandomNumberGenerator
  ) -> Conv2D {
    Conv2D(
      weight: TorchvisionInitialization.kaimingNormalFanOut(
        [outputChannels, inputChannels, kernelSize, kernelSize], using: &rng),
      bias: nil,
      configuration: Convolution2DConfiguration(
        stride: stride, padding: .symmetric((kernelSize - 1) / 2)))
  }

  /// torchvision's `downsample`: a strided 1×1 convolution and a batch norm, when the block
  /// changes the resolution or the channel count; nil otherwise.
  static func shortcut(
    _ inputChannels: Int, _ outputChannels: Int, stride: Int,
    using rng: inout some RandomNumberGenerator
  ) -> Sequential? {
    guard stride != 1 || inputChannels != outputChannels else { return nil }
    return Sequential([
      convolution(inputChannels, outputChannels, kernelSize: 1, stride: stride, using: &rng),
      BatchNorm2D(channelCount: outputChannels),
    ])
  }

  /// The capturable paths of a shortcut: `downsample`, `downsample.0`, `downsample.1`.
  static func shortcutPaths(_ downsample: Sequential?) -> [String] {
    guard let downsample else { return [] }
    return ["downsample"] + descendantPaths(of: downsample).map { "downsample.\($0)" }
  }

  /// `relu(main + shortcut(input))` and its pullback: the gradient after the ReLU goes through
  /// the residual branch and through the shortcut (the identity or `downsample`), and the two
  /// input gradients add up.
  static func residualOutput(
    main: PullbackTape, mainOutput: Tensor, input: Tensor, downsample: Sequential?,
    context: ForwardContext
  ) -> (output: Tensor, pullback: Pullback) {
    var shortcutTape: PullbackTape?
    var identity = input
    if let downsample {
      var tape = PullbackTape()
      identity = tape.run(downsample, named: "downsample", input, context)
      shortcutTape = tape
    }
    let output = relu(mainOutput + identity)
    return (
      output,
      { [shortcutTape] outputGradient in
        precondition(
          outputGradient.shape == output.shape,
          "The output gradient of a residual block must be \(output.shape), not "
            + "\(outputGradient.shape).")
        let sumGradient = outputGradient * (output .> 0)
        var (inputGradient, parameters) = main.pullback(sumGradient)
        if let shortcutTape {
          let (shortcutInput, shortcutParameters) = shortcutTape.pullback(sumGradient)
          inputGradient += shortcutInput
          parameters.accumulate(shortcutParameters)
        } else {
          inputGradient += sumGradient
        }
        return (inputGradient, parameters)
      }
    )
  }
}
