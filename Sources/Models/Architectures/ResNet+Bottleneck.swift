import Tensor

extension ResNet {
  /// torchvision's `Bottleneck` (ResNet-50, -101, -152; the "ResNet v1.5" variant, with the
  /// stride on the 3×3 convolution).
  ///
  /// `y = relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x))`: a 1×1
  /// reduction to `planes` channels, a 3×3 convolution with the block's stride, a 1×1 expansion
  /// to `4·planes`, and the identity or `downsample` as shortcut.
  ///
  /// State-dict keys, relative to the block: `conv1.weight` `[P, C, 1, 1]`, `bn1.*` `[P]`,
  /// `conv2.weight` `[P, P, 3, 3]`, `bn2.*`, `conv3.weight` `[4P, P, 1, 1]`, `bn3.*` `[4P]`, and
  /// with a shortcut `downsample.0.weight` `[4P, C, 1, 1]`, `downsample.1.*`. Capturable
  /// children: `conv1`, `bn1`, `conv2`, `bn2`, `conv3`, `bn3`, `downsample`.
  ///
  /// - Input: `[N, C, H, W]`. Output: `[N, 4P, ⌈H/s⌉, ⌈W/s⌉]`.
  /// - Complexity: O(N · H·W · P · (C + 9P/s² + 4P/s²)) forward; about twice that backward.
  public struct Bottleneck: Layer, NamedChildren {
    /// Expansion of the output channels relative to `planes` (4).
    public static let expansion = 4

    public var conv1: Conv2D
    public var bn1: BatchNorm2D
    public var conv2: Conv2D
    public var bn2: BatchNorm2D
    public var conv3: Conv2D
    public var bn3: BatchNorm2D
    /// The projection shortcut, or nil for the identity.
    public var downsample: Sequential?

    /// A block with the given layers.
    public init(
      conv1: Conv2D, bn1: BatchNorm2D, conv2: Conv2D, bn2: BatchNorm2D, conv3: Conv2D,
      bn3: BatchNorm2D, downsample: Sequential?
    ) {
      self.conv1 = conv1
      self.bn1 = bn1
      self.conv2 = conv2
      self.bn2 = bn2
      self.conv3 = conv3
      self.bn3 = bn3
      self.downsample = downsample
    }

    /// A block from `inputChannels` to `4·planes` channels, initialised as torchvision does.
    /// A projection shortcut is created when `stride ≠ 1` or `inputChannels ≠ 4·planes`.
    public init(
      inputChannels: Int, planes: Int, stride: Int = 1,
      using rng: inout some RandomNumberGenerator
    ) {
      let outputChannels = planes * Self.expansion
      self.init(
        conv1: ResNet.convolution(inputChannels, planes, kernelSize: 1, stride: 1, using: &rng),
        bn1: BatchNorm2D(channelCount: planes),
        conv2: ResNet.convolution(planes, planes, kernelSize: 3, stride: stride, using: &rng),
        bn2: BatchNorm2D(channelCount: planes),
        conv3: ResNet.convolution(planes, outputChannels, kernelSize: 1, stride: 1, using: &rng),
        bn3: BatchNorm2D(channelCount: outputChannels),
        downsample: ResNet.shortcut(inputChannels, outputChannels, stride: stride, using: &rng))
    }

    var childPaths: [String] {
      ["conv1", "bn1", "conv2", "bn2", "conv3", "bn3"] + ResNet.shortcutPaths(downsample)
    }

    /// The output, with each batch norm, ReLU and the residual sum fused into the pass after
    /// its convolution (see `FusedInference`).
    public func callAsFunction(_ input: Tensor) -> Tensor {
      var out = conv1(input)
      FusedInference.apply(bn1, .relu, to: &out)
      out = conv2(out)
      FusedInference.apply(bn2, .relu, to: &out)
      out = conv3(out)
      let identity = downsample.map { FusedInference.run($0, input) } ?? input
      FusedInference.apply(bn3, .relu, adding: identity, to: &out)
      return out
    }

    /// The output and a pullback through both branches.
    public func forward(_ input: Tensor, context: ForwardContext) -> (
      output: Tensor, pullback: Pullback
    ) {
      var main = PullbackTape()
      var out = main.run(conv1, named: "conv1", input, context)
      out = main.run(bn1, named: "bn1", out, context)
      out = main.runUnnamed(ReLU(), out, context)
      out = main.run(conv2, named: "conv2", out, context)
      out = main.run(bn2, named: "bn2", out, context)
      out = main.runUnnamed(ReLU(), out, context)
      out = main.run(conv3, named: "conv3", out, context)
      out = main.run(bn3, named: "bn3", out, context)
      return ResNet.residualOutput(
        main: main, mainOutput: out, input: input, downsample: downsample, context: context)
    }

    public func visitParameters(_ body: (String, ParameterKind, Tensor) throws -> Void) rethrows {
      try conv1.visitParameters { try body("conv1.\($0)", $1, $2) }
      try bn1.visitParameters { try body("bn1.\($0)", $1, $2) }
      try conv2.visitParameters { try body("conv2.\($0)", $1, $2) }
      try bn2.visitParameters { try body("bn2.\($0)", $1, $2) }
      try conv3.visitParameters { try body("conv3.\($0)", $1, $2) }
      try bn3.visitParameters { try body("bn3.\($0)", $1, $2) }
      try downsample?.visitParameters { try body("downsample.\($0)", $1, $2) }
    }

    public mutating func updateParameters(
      _ body: (String, ParameterKind, inout Tensor) throws -> Void
    ) rethrows {
      try conv1.updateParameters { try body("conv1.\($0)", $1, &$2) }
      try bn1.updateParameters { try body("bn1.\($0)", $1, &$2) }
      try conv2.updateParameters { try body("conv2.\($0)", $1, &$2) }
      try bn2.updateParameters { try body("bn2.\($0)", $1, &$2) }
      try conv3.updateParameters { try body("conv3.\($0)", $1, &$2) }
      try bn3.updateParameters { try body("bn3.\($0)", $1, &$2) }
      try downsample?.updateParameters { try body("downsample.\($0)", $1, &$2) }
    }
  }
}
