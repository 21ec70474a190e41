import CKernels

/// A dense convolution (groups 1) from a planar image with few channels (an RGB stem) to the
/// channel-blocked layout `[⌈O/16⌉, Ho, Wo, 16]` (see `ChannelBlocks`), with its bias and an
/// optional clamp fused:
/// `y[o, i, j] = clamp(bias[o] + Σ_{c,kh,kw} w[o, c, kh, kw] · x[c, i·sh − top + kh, j·sw − left + kw])`,
/// zero padding.
///
/// Every output position is `C·KH·KW` broadcast input scalars times one weight vector per output
/// block (packed once as `[⌈O/16⌉][C·KH·KW][16]`), 8 positions × 2 blocks accumulated in
/// registers: no patch matrix, no packing per call, and the output comes out blocked for the
/// channel-blocked network that follows. Meant for small `C` (its cost grows as `C·KH·KW·⌈O/16⌉`
/// vector operations per position with no reuse across input channels); the padding (including
/// `.same`) is resolved by the same geometry code as `Tensor.convolution2D`.
public struct BlockedDenseConvolution: Sendable {
  /// The input channels `C` (planes of the input image).
  public let inputChannels: Int
  /// The output channels `O`.
  public let outputChannels: Int
  /// The input plane's height.
  public let inputHeight: Int
  /// The input plane's width.
  public let inputWidth: Int
  /// The output plane's height.
  public let outputHeight: Int
  /// The output plane's width.
  public let outputWidth: Int

  /// The weights, `[⌈O/16⌉][C·KH·KW][16]`, zero past `O`.
  let packedWeights: [Float]
  /// The bias padded to whole blocks, or nil.
  let packedBias: [Float]?
  /// The resolved window (kernel, stride, padding, output size).
  let window: CKWindow

  /// Packs the weights of a dense convolution over `inputHeight × inputWidth` images.
  ///
  /// - Parameters:
  ///   - weight: `[O, C, KH, KW]` (PyTorch's layout, groups 1).
  ///   - bias: `[O]`, or nil.
  ///   - configuration: as for `Tensor.convolution2D`, with groups 1 and dilation 1; any stride
  ///     and padding (`.same` resolves against the input size).
  ///   - inputHeight: the input plane's height.
  ///   - inputWidth: the input plane's width.
  /// - Precondition: the shapes agree, groups 1, dilation 1, the padded input holds the kernel.
  /// - Complexity: O(`O·C·KH·KW`).
  public init(
    weight: Tensor, bias: Tensor?, configuration: Convolution2DConfiguration, inputHeight: Int,
    inputWidth: Int
  ) {
    precondition(
      weight.rank == 4, "A dense convolution needs a weight [O, C, KH, KW], not \(weight.shape).")
    precondition(
      configuration.groups == 1,
      "The blocked dense convolution takes groups 1, not \(configuration.groups).")
    precondition(
      configuration.dilation.height == 1 && configuration.dilation.width == 1,
      "The blocked dense convolution supports dilation 1 only, not \(configuration.dilation).")
    let (outputs, channels) = (weight.shape[0], weight.shape[1])
    let geometry = Convolution2DGeometry(
      inputShape: [1, channels, inputHeight, inputWidth], weightShape: weight.shape,
      configuration: configuration)
    if let bias {
      precondition(
        bias.shape == [outputs],
        "A convolution of \(outputs) output channels needs a bias [\(outputs)], not "
          + "\(bias.shape).")
    }
    let packed = ChannelBlocks.interleaved(
      weight.scalars, rows: outputs, columns: geometry.patchSize)
    self.inputChannels = channels
    self.outputChannels = outputs
    self.inputHeight = inputHeight
    self.inputWidth = inputWidth
    self.outputHeight = geometry.outputHeight
    self.outputWidth = geometry.outputWidth
    self.packedWeights = packed
    self.packedBias = bias.map { ChannelBlocks.paddedVector($0.scalars) }
    self.window = geometry.window.raw
  }

  /// The number of 16-channel output blocks, `⌈outputChannels / 16⌉`.
  public var outputBlockCount: Int { ChannelBlocks.blockCount(outputChannels) }

  /// Convolves one planar image into a blocked output.
  ///
  /// - Parameters:
  ///   - input: `[inputChannels, inputHeight, inputWidth]`, row-major.
  ///   - clamp: the range the outputs are clamped to (ReLU6 is `0...6`), or nil; a NaN stays NaN.
  ///   - output: `[⌈O/16⌉, outputHeight, outputWidth, 16]`; only the rows in `outputRows` are
  ///     written (in every block), padding channels as 0.
  ///   - outputRows: the output rows to compute (default all), so that callers can split one
  ///     image over threads; the result does not depend on the split.
  /// - Precondition: `outputRows` lies in `0..<outputHeight`.
  /// - Complexity: `C·KH·KW·⌈O/16⌉` vector multiply–adds per output position; runs on the
  ///   calling thread.
  public func apply(
    _ input: UnsafePointer<Float>, clampingTo clamp: ClosedRange<Float>?,
    output: UnsafeMutablePointer<Float>, outputRows: Range<Int>? = nil
  ) {
    let rows = outputRows ?? 0..<outputHeight
    precondition(
      rows.lowerBound >= 0 && rows.upperBound <= outputHeight,
      "Output rows \(rows) lie outside the \(outputHeight) rows of the output.")
    let lower = clamp?.lowerBound ?? -.infinity
    let upper = clamp?.upperBound ?? .infinity
    packedWeights.withUnsafeBufferPointer { w in
      withOptionalArray(packedBias) { b in
        withUnsafePointer(to: window) { g in
          ck_blocked_dense_forward(
            input, inputChannels, w.baseAddress!, b, outputChannels, g, rows.lowerBound,
            rows.count, lower, upper, output)
        }
      }
    }
  }
}
