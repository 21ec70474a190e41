import Tensor

extension ResNet {
  /// torchvision's `BasicBlock` (ResNet-18 and -34): two 3×3 convolutions and a shortcut.
  ///
  /// `y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`, where `shortcut` is the identity,
  /// or `downsample` (a strided 1×1 convolution and a batch norm) when the block changes the
  /// resolution or the channel count. `conv1` carries the block's stride.
  ///
  /// State-dict keys, relative to the block (`layer2.0.`): `conv1.weight` `[P, C, 3, 3]`,
  /// `bn1.{weight, bias, running_mean, running_var}` `[P]`, `conv2.weight` `[P, P, 3, 3]`, `bn2.*`,
  /// and with a shortcut `downsample.0.weight` `[P, C, 1, 1]`, `downsample.1.*`. Capturable
  /// children: `conv1`, `bn1`, `conv2`, `bn2`, `downsample` (and `downsample.0`, `downsample.1`).
  ///
  /// - Input: `[N, C, H, W]`. Output: `[N, P, ⌈H/s⌉, ⌈W/s⌉]`.
  /// - Complexity: O(N · P · H·W/s² · 9 · (C + P)) forward; about twice that backward.
  public struct BasicBlock: Layer, NamedChildren {
    /// Expansion of the output channels relative to `planes` (1).
    public static let expansion = 1

    public var conv1: Conv2D
    public var bn1: BatchNorm2D
    public var conv2: Conv2D
    public var bn2: BatchNorm2D
    /// The projection shortcut (`"0"`: 1×1 convolution with the block's stride, `"1"`: batch
    /// norm), or nil for the identity.
    public var downsample: Sequential?

    /// A block with the given layers.
    public init(
      conv1: Conv2D, bn1: BatchNorm2D, conv2: Conv2D, bn2: BatchNorm2D, downsample: Sequential?
    ) {
      self.conv1 = conv1
      self.bn1 = bn1
      self.conv2 = conv2
      self.bn2 = bn2
      self.downsample = downsample
    }

    /// A block from `inputChannels` to `planes` channels, initialised as torchvision does
    /// (convolutions `N(0, 2/fanOut)`, batch norms γ = 1, β = 0). A projection shortcut is
    /// created when `stride ≠ 1` or `inputChannels ≠ planes`.
    public init(
      inputChannels: Int, planes: Int, stride: Int = 1,
      using rng: inout some RandomNumberGenerator
    ) {
      self.init(
        conv1: ResNet.convolution(
          inputChannels, planes, kernelSize: 3, stride: stride, using: &rng),
        bn1: BatchNorm2D(channelCount: planes),
        conv2: ResNet.convolution(planes, planes, kernelSize: 3, stride: 1, using: &rng),
        bn2: BatchNorm2D(channelCount: planes),
        downsample: ResNet.shortcut(
          inputChannels, planes * Self.expansion, stride: stride, using: &rng))
    }

    var childPaths: [String] {
      ["conv1", "bn1", "conv2", "bn2"] + ResNet.shortcutPaths(downsample)
    }

    /// The output, with each batch norm, ReLU and the residual sum fused into the pass after
    /// its convolution (see `FusedInference`).
    public func callAsFunction(_ input: Tensor) -> Tensor {
      var out = conv1(input)
      FusedInference.apply(bn1, .relu, to: &out)
      out = conv2(out)
      let identity = downsample.map { FusedInference.run($0, input) } ?? input
      FusedInference.apply(bn2, .relu, adding: identity, to: &out)
      return out
    }

    /// The output and a pullback through both branches; the input gradient is the sum of the
    /// residual branch's and the shortcut's.
    public func forward(_ input: Tensor, context: ForwardContext) -> (
      output: Tensor, pullback: Pullback
    ) {
      var main = PullbackTape()
      var out = main.run(conv1, named: "conv1", input, context)
      out = main.run(bn1, named: "bn1", out, context)
      out = main.runUnnamed(ReLU(), out, context)
      out = main.run(conv2, named: "conv2", out, context)
      out = main.run(bn2, named: "bn2", out, context)
      return ResNet.residualOutput(
        main: main, mainOutput: out, input: input, downsample: downsample, context: context)
    }

    public func visitParameters(_ body: (String, ParameterKind, Tensor) throws -> Void) rethrows {
      try conv1.visitParameters { try body("conv1.\($0)", $1, $2) }
      try bn1.visitParameters { try body("bn1.\($0)", $1, $2) }
      try conv2.visitParameters { try body("conv2.\($0)", $1, $2) }
      try bn2.visitParameters { try body("bn2.\($0)", $1, $2) }
      try downsample?.visitParameters { try body("downsample.\($0)", $1, $2) }
    }

    public mutating func updateParameters(
      _ body: (String, ParameterKind, inout Tensor) throws -> Void
    ) rethrows {
      try conv1.updateParameters { try body("conv1.\($0)", $1, &$2) }
      try bn1.updateParameters { try body("bn1.\($0)", $1, &$2) }
      try conv2.updateParameters { try body("conv2.\($0)", $1, &$2) }
      try bn2.updateParameters { try body("bn2.\($0)", $1, &$2) }
      try downsample?.updateParameters { try body("downsample.\($0)", $1, &$2) }
    }
  }
}
