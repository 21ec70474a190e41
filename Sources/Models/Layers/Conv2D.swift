import Tensor

/// A 2-D convolution layer (PyTorch's `nn.Conv2d`): `y = conv2d(x, weight) + bias`.
///
/// `y[n, o, i, j] = bias[o] + Σ_{c, kh, kw} weight[o, c, kh, kw] ·
/// x[n, g·C/G + c, i·sh − top + kh·dh, j·sw − left + kw·dw]` with `g = o / (O/G)` and zero padding
/// (see `Tensor.convolution2D`).
///
/// - Input: `[N, C, H, W]`. Output: `[N, O, Ho, Wo]`.
/// - Parameters: `"weight"` `[O, C/groups, KH, KW]` and, when present, `"bias"` `[O]` — the keys
///   of a PyTorch state dict.
/// - Complexity: forward O(N · O · Ho · Wo · C/groups · KH · KW); the pullback about twice that.
public struct Conv2D: Layer {
  /// `[O, C/groups, KH, KW]`.
  public var weight: Tensor
  /// `[O]`, or nil for a convolution without bias.
  public var bias: Tensor?
  /// Stride, dilation, padding and groups.
  public var configuration: Convolution2DConfiguration

  /// A convolution with the given parameters.
  ///
  /// - Precondition: `weight` has rank 4 and `bias`, if any, is `[weight.shape[0]]`; the
  ///   output channel count is divisible by `configuration.groups`.
  public init(
    weight: Tensor, bias: Tensor? = nil,
    configuration: Convolution2DConfiguration = Convolution2DConfiguration()
  ) {
    precondition(
      weight.rank == 4, "A Conv2D weight is [O, C/groups, KH, KW], not \(weight.shape).")
    precondition(
      bias == nil || bias?.shape == [weight.shape[0]],
      "A Conv2D bias for weight \(weight.shape) must be [\(weight.shape[0])], not "
        + "\(bias?.shape ?? []).")
    precondition(
      weight.shape[0] % configuration.groups == 0,
      "\(configuration.groups) groups must divide the \(weight.shape[0]) output channels.")
    self.weight = weight
    self.bias = bias
    self.configuration = configuration
  }

  /// A convolution initialised like PyTorch's `nn.Conv2d`: weight and bias uniform in
  /// `[−1/√fanIn, 1/√fanIn)` with `fanIn = C/groups · KH · KW` (Kaiming-uniform with `a = √5`).
  ///
  /// - Precondition: `groups` divides both channel counts.
  public init(
    inputChannels: Int, outputChannels: Int, kernelSize: (height: Int, width: Int),
    stride: (height: Int, width: Int) = (1, 1), padding: ConvolutionPadding = .valid,
    dilation: (height: Int, width: Int) = (1, 1), groups: Int = 1, bias: Bool = true,
    using rng: inout some RandomNumberGenerator
  ) {
    precondition(
      groups >= 1 && inputChannels % groups == 0 && outputChannels % groups == 0,
      "\(groups) groups must divide \(inputChannels) input and \(outputChannels) output channels.")
    let fanIn = inputChannels / groups * kernelSize.height * kernelSize.width
    let bound = 1 / Float(fanIn).squareRoot()
    let weight = Tensor.uniform(
      [outputChannels, inputChannels / groups, kernelSize.height, kernelSize.width],
      low: -bound, high: bound, using: &rng)
    let biasTensor =
      bias
      ? Tensor.uniform([outputChannels], low: -bound, high: bound, using: &rng) : nil
    self.init(
      weight: weight, bias: biasTensor,
      configuration: Convolution2DConfiguration(
        stride: stride, dilation: dilation, padding: padding, groups: groups))
  }

  /// A convolution with a square kernel and equal stride and dilation on both axes, initialised
  /// like PyTorch's `nn.Conv2d` (see the general initialiser).
  public init(
    inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
    padding: ConvolutionPadding = .valid, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
    using rng: inout some RandomNumberGenerator
  ) {
    self.init(
      inputChannels: inputChannels, outputChannels: outputChannels,
      kernelSize: (kernelSize, kernelSize), stride: (stride, stride), padding: padding,
      dilation: (dilation, dilation), groups: groups, bias: bias, using: &rng)
  }

  /// `[N, C, H, W] → [N, O, Ho, Wo]`.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    Tensor.convolution2D(input, weight: weight, bias: bias, configuration: configuration)
  }

  /// The output and a pullback giving `∂L/∂x`, `∂L/∂weight` and (with a bias) `∂L/∂bias`.
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    let output = self(input)
    let (weight, configuration, hasBias) = (self.weight, self.configuration, bias != nil)
    guard context.computesParameterGradients else {
      return (
        output,
        { outputGradient in
          let inputGradient = Tensor.convolution2DInputGradient(
            outputGradient, weight: weight, inputShape: input.shape, configuration: configuration)
          return (inputGradient, ParameterGradients())
        }
      )
    }
    return (
      output,
      { outputGradient in
        let gradients = Tensor.convolution2DBackward(
          outputGradient, input: input, weight: weight, configuration: configuration,
          includesBias: hasBias)
        var parameters = ParameterGradients()
        parameters["weight"] = gradients.weight
        if let bias = gradients.bias { parameters["bias"] = bias }
        return (gradients.input, parameters)
      }
    )
  }

  public func visitParameters(_ body: (String, ParameterKind, Tensor) throws -> Void) rethrows {
    try body("weight", .trainable, weight)
    if let bias { try body("bias", .trainable, bias) }
  }

  public mutating func updateParameters(
    _ body: (String, ParameterKind, inout Tensor) throws -> Void
  ) rethrows {
    try body("weight", .trainable, &weight)
    if var value = bias {
      bias = nil
      defer { bias = value }
      try body("bias", .trainable, &value)
    }
  }
}
