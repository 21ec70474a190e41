import CKernels

/// A depthwise convolution (channel multiplier 1) of one image in the channel-blocked layout
/// `[⌈C/16⌉, H, W, 16]` (see `ChannelBlocks`), with its bias and an optional clamp fused:
/// `y[c, i, j] = clamp(bias[c] + Σ_{kh,kw} w[c, 0, kh, kw] · x[c, i·sh − top + kh, j·sw − left + kw])`,
/// zero padding.
///
/// The weights are packed once, at initialisation, as `[⌈C/16⌉][KH·KW][16]` (zero past `C`), so
/// that a tap is one multiply–add of a weight vector with one input vector (16 channels of one
/// position): no transposition per call, unlike the planar `Tensor.convolution2D`, whose channel
/// kernel copies every group of 16 planes to a channel-last scratch block and back. The input
/// plane size is fixed at initialisation; the padding (including TensorFlow's `.same`) is
/// resolved by the same geometry code as `Tensor.convolution2D`.
///
/// The padding channels of the last output block are written as exactly 0, whatever the bias and
/// the clamp.
public struct BlockedDepthwiseConvolution: Sendable {
  /// The number of channels `C` (input and output).
  public let channels: Int
  /// The input plane's height.
  public let inputHeight: Int
  /// The input plane's width.
  public let inputWidth: Int
  /// The output plane's height.
  public let outputHeight: Int
  /// The output plane's width.
  public let outputWidth: Int

  /// The weights, `[⌈C/16⌉][KH·KW][16]`, zero past `C`.
  let packedWeights: [Float]
  /// The bias padded to whole blocks, or nil.
  let packedBias: [Float]?
  /// The resolved window (kernel, stride, padding, output size).
  let window: CKWindow

  /// Packs the weights of a depthwise convolution over `inputHeight × inputWidth` planes.
  ///
  /// - Parameters:
  ///   - weight: `[C, 1, KH, KW]` (PyTorch's layout for `groups == C`).
  ///   - bias: `[C]`, or nil.
  ///   - configuration: as for `Tensor.convolution2D`, with `groups == C` and dilation 1; any
  ///     stride and padding (`.same` resolves against the input size).
  ///   - inputHeight: the input plane's height.
  ///   - inputWidth: the input plane's width.
  /// - Precondition: the shapes agree, `groups == C`, dilation 1, the padded input holds the kernel.
  /// - Complexity: O(`C·KH·KW`).
  public init(
    weight: Tensor, bias: Tensor?, configuration: Convolution2DConfiguration, inputHeight: Int,
    inputWidth: Int
  ) {
    precondition(
      weight.rank == 4 && weight.shape[1] == 1,
      "A depthwise convolution needs a weight [C, 1, KH, KW], not \(weight.shape).")
    let channels = weight.shape[0]
    precondition(
      configuration.groups == channels,
      "A blocked depthwise convolution of \(channels) channels needs \(channels) groups, not "
        + "\(configuration.groups).")
    precondition(
      configuration.dilation.height == 1 && configuration.dilation.width == 1,
      "The blocked depthwise convolution supports dilation 1 only, not \(configuration.dilation).")
    let geometry = Convolution2DGeometry(
      inputShape: [1, channels, inputHeight, inputWidth], weightShape: weight.shape,
      configuration: configuration)
    if let bias {
      precondition(
        bias.shape == [channels],
        "A depthwise convolution of \(channels) channels needs a bias [\(channels)], not "
          + "\(bias.shape).")
    }
    let packed = ChannelBlocks.interleaved(
      weight.scalars, rows: channels, columns: geometry.kernelHeight * geometry.kernelWidth)
    self.channels = channels
    self.inputHeight = inputHeight
    self.inputWidth = inputWidth
    self.outputHeight = geometry.outputHeight
    self.outputWidth = geometry.outputWidth
    self.packedWeights = packed
    self.packedBias = bias.map { ChannelBlocks.paddedVector($0.scalars) }
    self.window = geometry.window.raw
  }

  /// The number of 16-channel blocks, `⌈channels / 16⌉`.
  public var blockCount: Int { ChannelBlocks.blockCount(channels) }

  /// Convolves one blocked image.
  ///
  /// - Parameters:
  ///   - input: `[⌈C/16⌉, inputHeight, inputWidth, 16]`, padding channels zero.
  ///   - clamp: the range the outputs are clamped to (ReLU6 is `0...6`), or nil; a NaN stays NaN.
  ///   - output: `[⌈C/16⌉, outputHeight, outputWidth, 16]`; only the blocks in `blocks` are
  ///     written, their padding channels as 0.
  ///   - blocks: the channel blocks to compute (default all), so that callers can split one image
  ///     over threads; the result does not depend on the split.
  /// - Precondition: `blocks` lies in `0..<blockCount`.
  /// - Complexity: `16·KH·KW` multiply–adds per output position and block; runs on the calling
  ///   thread.
  public func apply(
    _ input: UnsafePointer<Float>, clampingTo clamp: ClosedRange<Float>?,
    output: UnsafeMutablePointer<Float>, blocks: Range<Int>? = nil
  ) {
    let range = blocks ?? 0..<blockCount
    precondition(
      range.lowerBound >= 0 && range.upperBound <= blockCount,
      "Blocks \(range) lie outside the \(blockCount) blocks of \(channels) channels.")
    let lower = clamp?.lowerBound ?? -.infinity
    let upper = clamp?.upperBound ?? .infinity
    packedWeights.withUnsafeBufferPointer { w in
      withOptionalArray(packedBias) { b in
        withUnsafePointer(to: window) { g in
          ck_blocked_depthwise_forward(
            input, w.baseAddress!, b, channels, g, range.lowerBound, range.count, lower, upper,
            output)
        }
      }
    }
  }
}

/// Calls `body` with the elements of `array`, or with nil.
func withOptionalArray<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
  guard let array else { return body(nil) }
  return array.withUnsafeBufferPointer { body($0.baseAddress) }
}
