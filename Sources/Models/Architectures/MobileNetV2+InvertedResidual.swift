import Tensor

extension MobileNetV2 {
  /// torchvision's `InvertedResidual`: 1×1 expansion → 3×3 depthwise → 1×1 linear projection,
  /// with an identity shortcut when the shape is kept.
  ///
  /// `y = x + conv(x)` when `stride == 1` and the channel counts match, else `y = conv(x)`, where
  /// `conv` is a `Sequential` numbered as torchvision numbers it:
  ///
  /// - expansion ratio `t ≠ 1`: `0` = (1×1 conv `C → tC`, batch norm, ReLU6) as a nested
  ///   `Sequential` `0.0`, `0.1`, `0.2`; `1` = (3×3 depthwise conv with the stride, batch norm,
  ///   ReLU6); `2` = 1×1 conv `tC → O`; `3` = batch norm.
  /// - `t = 1` (the first block): no expansion, so `0` is the depthwise triple, `1` the
  ///   projection and `2` its batch norm.
  ///
  /// State-dict keys relative to the block: `conv.0.0.weight`, `conv.0.1.running_mean`, …,
  /// `conv.3.bias` (no convolution has a bias).
  ///
  /// - Input: `[N, C, H, W]`. Output: `[N, O, ⌈H/s⌉, ⌈W/s⌉]`.
  /// - Complexity: O(N · H·W · tC · (C + 9/s² + O/s²)) forward.
  public struct InvertedResidual: Layer, NamedChildren {
    /// The expansion, depthwise and projection layers.
    public var conv: Sequential
    /// Whether the input is added to the output (`stride == 1` and `C == O`).
    public let usesResidual: Bool

    /// A block from its layers.
    public init(conv: Sequential, usesResidual: Bool) {
      self.conv = conv
      self.usesResidual = usesResidual
    }

    /// A block from `inputChannels` to `outputChannels` with the given stride and expansion
    /// ratio, initialised as torchvision does.
    ///
    /// - Precondition: `stride` is 1 or 2 and `expansionRatio ≥ 1`.
    public init(
      inputChannels: Int, outputChannels: Int, stride: Int, expansionRatio: Int,
      using rng: inout some RandomNumberGenerator
    ) {
      precondition(
        stride == 1 || stride == 2, "An inverted residual's stride is 1 or 2, not \(stride).")
      precondition(expansionRatio >= 1, "The expansion ratio must be ≥ 1, not \(expansionRatio).")
      let hidden = inputChannels * expansionRatio
      var layers: [any Layer] = []
      if expansionRatio != 1 {
        layers.append(
          MobileNetV2.convolutionBlock(inputChannels, hidden, kernelSize: 1, using: &rng))
      }
      layers.append(
        MobileNetV2.convolutionBlock(
          hidden, hidden, kernelSize: 3, stride: stride, groups: hidden, using: &rng))
      layers.append(
        MobileNetV2.convolution(hidden, outputChannels, kernelSize: 1, using: &rng))
      layers.append(BatchNorm2D(channelCount: outputChannels))
      self.init(
        conv: Sequential(layers),
        usesResidual: stride == 1 && inputChannels == outputChannels)
    }

    var childPaths: [String] { ["conv"] + descendantPaths(of: conv).map { "conv.\($0)" } }

    /// The output, with each batch norm, ReLU6 and the residual sum fused into the pass after
    /// its convolution (see `FusedInference`).
    public func callAsFunction(_ input: Tensor) -> Tensor {
      let layers = conv.layers
      guard usesResidual, layers.count >= 2,
        let projection = layers[layers.count - 2].layer as? Conv2D,
        let batchNorm = layers[layers.count - 1].layer as? BatchNorm2D
      else {
        let branch = FusedInference.run(conv, input)
        return usesResidual ? input + branch : branch
      }
      var out = projection(FusedInference.run(Sequential(Array(layers.dropLast(2))), input))
      FusedInference.apply(batchNorm, .identity, adding: input, to: &out)
      return out
    }

    /// The output and a pullback; with the shortcut, the output gradient also reaches the input
    /// directly.
    public func forward(_ input: Tensor, context: ForwardContext) -> (
      output: Tensor, pullback: Pullback
    ) {
      var tape = PullbackTape()
      let branch = tape.run(conv, named: "conv", input, context)
      guard usesResidual else { return (branch, tape.pullback) }
      return (
        input + branch,
        { [tape] outputGradient in
          var (inputGradient, parameters) = tape.pullback(outputGradient)
          inputGradient += outputGradient
          return (inputGradient, parameters)
        }
      )
    }

    public func visitParameters(_ body: (String, ParameterKind, Tensor) throws -> Void) rethrows {
      try conv.visitParameters { try body("conv.\($0)", $1, $2) }
    }

    public mutating func updateParameters(
      _ body: (String, ParameterKind, inout Tensor) throws -> Void
    ) rethrows {
      try conv.updateParameters { try body("conv.\($0)", $1, &$2) }
    }
  }
}
