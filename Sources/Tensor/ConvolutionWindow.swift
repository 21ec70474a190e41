import CKernels

/// The resolved geometry of a 2-D sliding window (convolution or pooling) over one plane, in the
/// form the C kernels take (internal).
struct ConvolutionWindow {
  var raw: CKWindow

  /// Resolves `padding` for an input plane of `height × width` and computes the output size:
  /// `⌊(size + before + after − (k − 1)·d − 1) / s⌋ + 1`, or with `ceilMode` the ceiling, minus
  /// one when the last window would start beyond the input and its leading padding (PyTorch's
  /// rule, so that every window overlaps the padded input).
  ///
  /// - Precondition: the padded input is at least as large as the dilated kernel.
  init(
    height: Int, width: Int, kernel: (height: Int, width: Int),
    stride: (height: Int, width: Int), dilation: (height: Int, width: Int),
    padding: ConvolutionPadding, ceilMode: Bool, operation: String
  ) {
    precondition(
      height >= 1 && width >= 1,
      "A \(operation) needs a non-empty input plane, not \(height)×\(width).")
    let edges = padding.edges(
      height: height, width: width, kernel: kernel, stride: stride, dilation: dilation)
    func outputSize(_ size: Int, _ before: Int, _ after: Int, _ k: Int, _ s: Int, _ d: Int)
      -> Int
    {
      let span = size + before + after - (k - 1) * d - 1
      precondition(
        span >= 0,
        "The \(operation) window (\(kernel.height)×\(kernel.width), dilation \(dilation)) is "
          + "larger than the padded input \(height)×\(width) with padding \(edges).")
      var count = (ceilMode ? (span + s - 1) / s : span / s) + 1
      if ceilMode && (count - 1) * s >= size + before { count -= 1 }
      return count
    }
    raw = CKWindow(
      height: height, width: width, kernelHeight: kernel.height, kernelWidth: kernel.width,
      strideHeight: stride.height, strideWidth: stride.width,
      dilationHeight: dilation.height, dilationWidth: dilation.width,
      padTop: edges.top, padBottom: edges.bottom, padLeft: edges.left, padRight: edges.right,
      outputHeight: outputSize(
        height, edges.top, edges.bottom, kernel.height, stride.height,
        dilation.height),
      outputWidth: outputSize(
        width, edges.left, edges.right, kernel.width, stride.width,
        dilation.width))
  }

  var outputHeight: Int { raw.outputHeight }
  var outputWidth: Int { raw.outputWidth }
  var strideHeight: Int { raw.strideHeight }
  var strideWidth: Int { raw.strideWidth }
  var padTop: Int { raw.padTop }
  var padBottom: Int { raw.padBottom }
  var padLeft: Int { raw.padLeft }
  var padRight: Int { raw.padRight }
}
