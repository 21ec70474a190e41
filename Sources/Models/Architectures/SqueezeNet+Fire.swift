import Tensor

extension SqueezeNet {
  /// torchvision's `Fire` module: a 1×1 "squeeze" convolution, then 1×1 and 3×3 "expand"
  /// convolutions side by side, their outputs concatenated along the channels.
  ///
  /// `s = relu(squeeze(x))`, `y = concat(relu(expand1x1(s)), relu(expand3x3(s)))` (the 3×3 has
  /// padding 1). State-dict keys relative to the module: `squeeze.{weight, bias}`
  /// `[S, C, 1, 1]`, `expand1x1.*` `[E₁, S, 1, 1]`, `expand3x3.*` `[E₃, S, 3, 3]`. Capturable
  /// children carry torchvision's names: `squeeze`, `squeeze_activation`, `expand1x1`,
  /// `expand1x1_activation`, `expand3x3`, `expand3x3_activation`.
  ///
  /// - Input: `[N, C, H, W]`. Output: `[N, E₁ + E₃, H, W]`.
  /// - Complexity: O(N · H·W · S · (C + E₁ + 9·E₃)) forward.
  public struct Fire: Layer, NamedChildren {
    public var squeeze: Conv2D
    public var expand1x1: Conv2D
    public var expand3x3: Conv2D

    /// A module from its three convolutions.
    ///
    /// - Precondition: both expand convolutions read the squeeze's output channels.
    public init(squeeze: Conv2D, expand1x1: Conv2D, expand3x3: Conv2D) {
      let squeezeChannels = squeeze.weight.shape[0]
      precondition(
        expand1x1.weight.shape[1] == squeezeChannels
          && expand3x3.weight.shape[1] == squeezeChannels,
        "Both expand convolutions of a Fire module must read the \(squeezeChannels) squeeze "
          + "channels, not \(expand1x1.weight.shape) and \(expand3x3.weight.shape).")
      self.squeeze = squeeze
      self.expand1x1 = expand1x1
      self.expand3x3 = expand3x3
    }

    /// A module `C → S → E₁ + E₃`, initialised as torchvision's SqueezeNet does: weights
    /// `U(−√(6/fanIn), √(6/fanIn))`, zero biases.
    public init(
      inputChannels: Int, squeezeChannels: Int, expand1x1Channels: Int, expand3x3Channels: Int,
      using rng: inout some RandomNumberGenerator
    ) {
      self.init(
        squeeze: SqueezeNet.convolution(
          inputChannels, squeezeChannels, kernelSize: 1, using: &rng),
        expand1x1: SqueezeNet.convolution(
          squeezeChannels, expand1x1Channels, kernelSize: 1, using: &rng),
        expand3x3: SqueezeNet.convolution(
          squeezeChannels, expand3x3Channels, kernelSize: 3, padding: 1, using: &rng))
    }

    /// `E₁ + E₃`.
    public var outputChannels: Int { expand1x1.weight.shape[0] + expand3x3.weight.shape[0] }

    var childPaths: [String] {
      [
        "squeeze", "squeeze_activation", "expand1x1", "expand1x1_activation", "expand3x3",
        "expand3x3_activation",
      ]
    }

    /// The output, with each ReLU applied in place on its convolution's output.
    public func callAsFunction(_ input: Tensor) -> Tensor {
      var squeezed = squeeze(input)
      FusedInference.apply(nil, .relu, to: &squeezed)
      var left = expand1x1(squeezed)
      FusedInference.apply(nil, .relu, to: &left)
      var right = expand3x3(squeezed)
      FusedInference.apply(nil, .relu, to: &right)
      return Tensor.concatenate([left, right], axis: 1)
    }

    /// The output and a pullback that splits `∂L/∂y` between the two expand branches and adds
    /// their gradients at the squeeze output.
    public func forward(_ input: Tensor, context: ForwardContext) -> (
      output: Tensor, pullback: Pullback
    ) {
      var squeezeTape = PullbackTape()
      var squeezed = squeezeTape.run(squeeze, named: "squeeze", input, context)
      squeezed = squeezeTape.run(ReLU(), named: "squeeze_activation", squeezed, context)
      var left = PullbackTape()
      var leftOutput = left.run(expand1x1, named: "expand1x1", squeezed, context)
      leftOutput = left.run(ReLU(), named: "expand1x1_activation", leftOutput, context)
      var right = PullbackTape()
      var rightOutput = right.run(expand3x3, named: "expand3x3", squeezed, context)
      rightOutput = right.run(ReLU(), named: "expand3x3_activation", rightOutput, context)
      let output = Tensor.concatenate([leftOutput, rightOutput], axis: 1)
      let split = leftOutput.shape[1]
      return (
        output,
        { [squeezeTape, left, right] outputGradient in
          precondition(
            outputGradient.shape == output.shape,
            "The output gradient of a Fire module must be \(output.shape), not "
              + "\(outputGradient.shape).")
          let channels = output.shape[1]
          let (leftInput, leftParameters) = left.pullback(
            outputGradient.sliced(axis: 1, 0..<split).contiguous())
          let (rightInput, rightParameters) = right.pullback(
            outputGradient.sliced(axis: 1, split..<channels).contiguous())
          var (inputGradient, parameters) = squeezeTape.pullback(leftInput + rightInput)
          parameters.accumulate(leftParameters)
          parameters.accumulate(rightParameters)
          return (inputGradient, parameters)
        }
      )
    }

    public func visitParameters(_ body: (String, ParameterKind, Tensor) throws -> Void) rethrows {
      try squeeze.visitParameters { try body("squeeze.\($0)", $1, $2) }
      try expand1x1.visitParameters { try body("expand1x1.\($0)", $1, $2) }
      try expand3x3.visitParameters { try body("expand3x3.\($0)", $1, $2) }
    }

    public mutating func updateParameters(
      _ body: (String, ParameterKind, inout Tensor) throws -> Void
    ) rethrows {
      try squeeze.updateParameters { try body("squeeze.\($0)", $1, &$2) }
      try expand1x1.updateParameters { try body("expand1x1.\($0)", $1, &$2) }
      try expand3x3.updateParameters { try body("expand3x3.\($0)", $1, &$2) }
    }
  }
}
