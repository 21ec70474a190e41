import Tensor

/// The inverted-residual block of MobileNetV2 and EfficientNet-Lite ("MBConv"), without
/// squeeze-and-excitation.
///
/// `y = project(depthwise(expand(x))) + x`, where
/// - `expand` is a 1×1 convolution to `e·C` channels, batch norm, ReLU6 (absent when the
///   expansion ratio `e` is 1),
/// - `depthwise` is a `k×k` depthwise convolution with stride `s` and TensorFlow "SAME" padding,
///   batch norm, ReLU6,
/// - `project` is a 1×1 convolution to `O` channels and batch norm (no activation: a linear
///   bottleneck),
/// and the identity skip `+ x` is present only when `s = 1` and `C = O`.
///
/// Each stage is a `FoldedConvolution`. Parameters carry EfficientNet-PyTorch's names:
/// `_expand_conv.weight`, `_bn0.*`, `_depthwise_conv.weight`, `_bn1.*`, `_project_conv.weight`,
/// `_bn2.*` (convolutions without bias). The stages run under the capturable child paths
/// `"expand"`, `"depthwise"` and `"project"` (the last is before the skip).
///
/// Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", CVPR 2018;
/// Tan & Le, "EfficientNet", ICML 2019.
///
/// - Input: `[N, C, H, W]`. Output: `[N, O, ⌈H/s⌉, ⌈W/s⌉]`.
/// - Complexity: O(N · H · W · e·C · (C + k²/s² + O/s²)) multiply–adds.
public struct MBConvBlock: Layer {
  /// The 1×1 expansion, or nil when the expansion ratio is 1.
  public var expansion: FoldedConvolution?
  /// The depthwise `k×k` convolution.
  public var depthwise: FoldedConvolution
  /// The 1×1 linear projection.
  public var projection: FoldedConvolution

  /// A block from its three stages.
  ///
  /// - Precondition: the channel counts chain: expansion `C → e·C` (or none), depthwise
  ///   `e·C → e·C` with `e·C` groups, projection `e·C → O`.
  public init(
    expansion: FoldedConvolution?, depthwise: FoldedConvolution, projection: FoldedConvolution
  ) {
    let hidden = depthwise.convolution.weight.shape[0]
    precondition(
      depthwise.convolution.configuration.groups == hidden
        && depthwise.convolution.weight.shape[1] == 1,
      "The depthwise stage of an MBConv block must have one group per channel, not weight "
        + "\(depthwise.convolution.weight.shape) with "
        + "\(depthwise.convolution.configuration.groups) groups.")
    precondition(
      expansion.map { $0.convolution.weight.shape[0] == hidden } ?? true,
      "The expansion of an MBConv block must produce the \(hidden) channels of its depthwise "
        + "stage, not \(expansion?.convolution.weight.shape ?? []).")
    precondition(
      projection.convolution.weight.shape[1] == hidden,
      "The projection of an MBConv block must read the \(hidden) channels of its depthwise "
        + "stage, not \(projection.convolution.weight.shape).")
    self.expansion = expansion
    self.depthwise = depthwise
    self.projection = projection
  }

  /// A block initialised like PyTorch's defaults (see `Conv2D` and `BatchNorm2D`), with
  /// batch-norm epsilon `batchNormEpsilon` (TensorFlow's 1e-3 for EfficientNet).
  ///
  /// - Precondition: channel counts, kernel size, stride and expansion ratio are positive.
  public init(
    inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int, expansionRatio: Int,
    batchNormEpsilon: Float = 1e-3, using rng: inout some RandomNumberGenerator
  ) {
    precondition(
      inputChannels > 0 && outputChannels > 0 && kernelSize > 0 && stride > 0
        && expansionRatio > 0,
      "An MBConv block needs positive sizes, not \(inputChannels) → \(outputChannels), kernel "
        + "\(kernelSize), stride \(stride), expansion \(expansionRatio).")
    let hidden = inputChannels * expansionRatio
    func norm(_ channels: Int) -> BatchNorm2D {
      BatchNorm2D(channelCount: channels, epsilon: batchNormEpsilon)
    }
    var expansion: FoldedConvolution?
    if expansionRatio != 1 {
      expansion = FoldedConvolution(
        Conv2D(
          inputChannels: inputChannels, outputChannels: hidden, kernelSize: 1, bias: false,
          using: &rng),
        named: "_expand_conv", norm(hidden), named: "_bn0", activation: .relu6)
    }
    let depthwise = FoldedConvolution(
      Conv2D(
        inputChannels: hidden, outputChannels: hidden, kernelSize: kernelSize, stride: stride,
        padding: .same, groups: hidden, bias: false, using: &rng),
      named: "_depthwise_conv", norm(hidden), named: "_bn1", activation: .relu6)
    let projection = FoldedConvolution(
      Conv2D(
        inputChannels: hidden, outputChannels: outputChannels, kernelSize: 1, bias: false,
        using: &rng),
      named: "_project_conv", norm(outputChannels), named: "_bn2", activation: .identity)
    self.init(expansion: expansion, depthwise: depthwise, projection: projection)
  }

  /// The input channel count `C`.
  public var inputChannels: Int {
    expansion?.convolution.weight.shape[1] ?? depthwise.convolution.weight.shape[0]
  }

  /// The output channel count `O`.
  public var outputChannels: Int { projection.convolution.weight.shape[0] }

  /// Whether the block adds its input to its output (stride 1 and `C = O`).
  public var hasIdentitySkip: Bool {
    let stride = depthwise.convolution.configuration.stride
    return stride == (1, 1) && inputChannels == outputChannels
  }

  /// The capturable child paths, relative to the block.
  public var childPaths: [String] {
    (expansion == nil ? [] : ["expand"]) + ["depthwise", "project"]
  }

  public func callAsFunction(_ input: Tensor) -> Tensor {
    var hidden = input
    if let expansion { hidden = expansion(hidden) }
    // The skip is added to each tile of the projection while it is in cache.
    return projection(depthwise(hidden), adding: hasIdentitySkip ? input : nil)
  }

  /// The output and a pullback through the three stages (and the skip, which adds the output
  /// gradient to the input gradient).
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    var hidden = input
    var expansionPullback: Pullback?
    if let expansion {
      let (output, pullback) = context.forward(expansion, named: "expand", hidden)
      (hidden, expansionPullback) = (output, pullback)
    }
    let (filtered, depthwisePullback) = context.forward(depthwise, named: "depthwise", hidden)
    let (projected, projectionPullback) = context.forward(projection, named: "project", filtered)
    let skip = hasIdentitySkip
    return (
      skip ? projected + input : projected,
      { [expansionPullback] outputGradient in
        var parameters = ParameterGradients()
        let (projectedGradient, projectionParameters) = projectionPullback(outputGradient)
        let (filteredGradient, depthwiseParameters) = depthwisePullback(projectedGradient)
        var inputGradient = filteredGradient
        if let expansionPullback {
          let (gradient, expansionParameters) = expansionPullback(filteredGradient)
          inputGradient = gradient
          parameters.accumulate(expansionParameters)
        }
        parameters.accumulate(depthwiseParameters)
        parameters.accumulate(projectionParameters)
        if skip { inputGradient += outputGradient }
        return (inputGradient, parameters)
      }
    )
  }

  public func visitParameters(_ body: (String, ParameterKind, Tensor) throws -> Void) rethrows {
    try expansion?.visitParameters(body)
    try depthwise.visitParameters(body)
    try projection.visitParameters(body)
  }

  public mutating func updateParameters(
    _ body: (String, ParameterKind, inout Tensor) throws -> Void
  ) rethrows {
    try expansion?.updateParameters(body)
    try depthwise.updateParameters(body)
    try projection.updateParameters(body)
  }
}
