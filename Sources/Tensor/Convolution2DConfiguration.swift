/// The hyper-parameters of a 2-D convolution: stride, dilation, padding and groups.
///
/// With input `[N, C, H, W]` and weight `[O, C/groups, KH, KW]` (PyTorch's layout), the output
/// is `[N, O, Ho, Wo]` with
/// `Ho = ⌊(H + top + bottom − (KH − 1)·dilation.height − 1) / stride.height⌋ + 1`
/// (likewise `Wo`). Output channel `o` belongs to group `g = o / (O/groups)` and sees input
/// channels `g·C/groups ..< (g+1)·C/groups`; `groups == C` is a depthwise convolution, with
/// channel multiplier `O/C`.
public struct Convolution2DConfiguration: Sendable, Equatable {
  /// Step between neighbouring windows, in input elements.
  public var stride: (height: Int, width: Int)
  /// Spacing between kernel taps (1 is a dense kernel).
  public var dilation: (height: Int, width: Int)
  /// Zero padding of the input.
  public var padding: ConvolutionPadding
  /// Number of independent channel groups; divides both C and O.
  public var groups: Int

  /// A configuration with a separate stride and dilation per axis.
  public init(
    stride: (height: Int, width: Int) = (1, 1), dilation: (height: Int, width: Int) = (1, 1),
    padding: ConvolutionPadding = .valid, groups: Int = 1
  ) {
    precondition(
      stride.height >= 1 && stride.width >= 1, "Convolution strides must be ≥ 1, not \(stride).")
    precondition(
      dilation.height >= 1 && dilation.width >= 1,
      "Convolution dilations must be ≥ 1, not \(dilation).")
    precondition(groups >= 1, "A convolution needs at least one group, not \(groups).")
    self.stride = stride
    self.dilation = dilation
    self.padding = padding
    self.groups = groups
  }

  /// A configuration with the same stride and dilation along both axes.
  public init(
    stride: Int, dilation: Int = 1, padding: ConvolutionPadding = .valid, groups: Int = 1
  ) {
    self.init(
      stride: (stride, stride), dilation: (dilation, dilation), padding: padding, groups: groups)
  }

  public static func == (lhs: Self, rhs: Self) -> Bool {
    lhs.stride == rhs.stride && lhs.dilation == rhs.dilation && lhs.padding == rhs.padding
      && lhs.groups == rhs.groups
  }

  /// The output shape `[N, O, Ho, Wo]` for an input shape `[N, C, H, W]` and a weight shape
  /// `[O, C/groups, KH, KW]`.
  ///
  /// - Precondition: the shapes are compatible (see `Tensor.convolution2D`).
  public func outputShape(inputShape: [Int], weightShape: [Int]) -> [Int] {
    let geometry = Convolution2DGeometry(
      inputShape: inputShape, weightShape: weightShape, configuration: self)
    return geometry.outputShape
  }
}

/// Every size of one convolution, resolved and checked once (internal).
struct Convolution2DGeometry {
  let batch: Int
  let inputChannels: Int
  let height: Int
  let width: Int
  let outputChannels: Int
  let groups: Int
  let kernelHeight: Int
  let kernelWidth: Int
  let window: ConvolutionWindow

  init(inputShape: [Int], weightShape: [Int], configuration: Convolution2DConfiguration) {
    precondition(
      inputShape.count == 4, "A 2-D convolution needs an input [N, C, H, W], not \(inputShape).")
    precondition(
      weightShape.count == 4,
      "A 2-D convolution needs a weight [O, C/groups, KH, KW], not \(weightShape).")
    let groups = configuration.groups
    let (channels, outputs) = (inputShape[1], weightShape[0])
    precondition(
      channels % groups == 0 && outputs % groups == 0 && channels > 0 && outputs > 0,
      "\(groups) groups must divide the input channels (\(channels)) and the output channels "
        + "(\(outputs)).")
    precondition(
      weightShape[1] == channels / groups,
      "Weight \(weightShape) needs \(channels / groups) input channels per group for an input "
        + "\(inputShape) with \(groups) groups.")
    precondition(
      weightShape[2] >= 1 && weightShape[3] >= 1, "Kernel \(weightShape) has an empty window.")
    self.batch = inputShape[0]
    self.inputChannels = channels
    self.height = inputShape[2]
    self.width = inputShape[3]
    self.outputChannels = outputs
    self.groups = groups
    self.kernelHeight = weightShape[2]
    self.kernelWidth = weightShape[3]
    self.window = ConvolutionWindow(
      height: height, width: width, kernel: (kernelHeight, kernelWidth),
      stride: configuration.stride, dilation: configuration.dilation,
      padding: configuration.padding, ceilMode: false, operation: "convolution")
  }

  var outputHeight: Int { window.outputHeight }
  var outputWidth: Int { window.outputWidth }
  var outputShape: [Int] { [batch, outputChannels, outputHeight, outputWidth] }
  var inputShape: [Int] { [batch, inputChannels, height, width] }
  var weightShape: [Int] { [outputChannels, channelsPerGroup, kernelHeight, kernelWidth] }

  var channelsPerGroup: Int { inputChannels / groups }
  var outputsPerGroup: Int { outputChannels / groups }
  /// The GEMM inner dimension: one column of the patch matrix, `C/groups · KH · KW`.
  var patchSize: Int { channelsPerGroup * kernelHeight * kernelWidth }
  var inputPlane: Int { height * width }
  var outputPlane: Int { outputHeight * outputWidth }

  /// A 1×1, stride-1, unpadded convolution: the input planes already are the patch matrix.
  var isPointwise: Bool {
    kernelHeight == 1 && kernelWidth == 1 && window.strideHeight == 1
      && window.strideWidth == 1 && window.padTop == 0 && window.padBottom == 0
      && window.padLeft == 0 && window.padRight == 0
  }

  /// One input channel per group: every output plane is a direct 2-D correlation of one input
  /// plane (depthwise with channel multiplier `O/C`, or a single-channel input).
  var isDepthwise: Bool { channelsPerGroup == 1 }

  /// Multiply–adds of the forward pass: `N · O · Ho · Wo · C/groups · KH · KW`.
  var multiplyAdds: Int { batch * outputChannels * outputPlane * patchSize }
}
