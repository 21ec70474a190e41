/// How far a sliding-window operation (convolution, pooling) extends its input with padding on
/// each side of the two spatial axes.
///
/// - `explicit(top:bottom:left:right:)`: fixed amounts, possibly asymmetric (PyTorch's
///   `padding=(h, w)` is `.symmetric(height: h, width: w)`; `F.pad` and ONNX allow any four).
/// - `same`: TensorFlow's `"SAME"`, resolved from the input size so that the output has
///   `⌈input / stride⌉` elements along each axis. The total padding along an axis is
///   `max((⌈i/s⌉ − 1)·s + (k − 1)·d + 1 − i, 0)`, the smaller half before (top, left) and the
///   larger half after (bottom, right). For a 224-pixel input, 3×3 kernel and stride 2 that is
///   0 before and 1 after.
///
/// The padded elements read as zero in a convolution, as −∞ in max pooling, and as zero in
/// average pooling (where `countsPadding` decides whether they count in the divisor).
public enum ConvolutionPadding: Hashable, Sendable {
  case explicit(top: Int, bottom: Int, left: Int, right: Int)
  case same

  /// No padding (TensorFlow's `"VALID"`).
  public static var valid: ConvolutionPadding { .explicit(top: 0, bottom: 0, left: 0, right: 0) }

  /// The same amount on all four sides.
  public static func symmetric(_ amount: Int) -> ConvolutionPadding {
    .explicit(top: amount, bottom: amount, left: amount, right: amount)
  }

  /// `height` rows above and below, `width` columns left and right (PyTorch's `padding=(h, w)`).
  public static func symmetric(height: Int, width: Int) -> ConvolutionPadding {
    .explicit(top: height, bottom: height, left: width, right: width)
  }

  /// TensorFlow `"SAME"` padding along one axis: `(before, after)` with
  /// `before + after = max((⌈inputSize/stride⌉ − 1)·stride + (kernelSize − 1)·dilation + 1 −
  /// inputSize, 0)` and `before = ⌊total / 2⌋`.
  ///
  /// - Complexity: O(1).
  public static func samePadding(
    inputSize: Int, kernelSize: Int, stride: Int = 1, dilation: Int = 1
  ) -> (before: Int, after: Int) {
    precondition(
      inputSize >= 0 && kernelSize >= 1 && stride >= 1 && dilation >= 1,
      "SAME padding needs inputSize ≥ 0 and kernelSize, stride, dilation ≥ 1 "
        + "(got \(inputSize), \(kernelSize), \(stride), \(dilation)).")
    let outputSize = (inputSize + stride - 1) / stride
    let effectiveKernel = (kernelSize - 1) * dilation + 1
    let total = max((outputSize - 1) * stride + effectiveKernel - inputSize, 0)
    return (total / 2, total - total / 2)
  }

  /// The four amounts for an input of `height × width` and the given window.
  ///
  /// - Precondition: explicit amounts are not negative.
  /// - Complexity: O(1).
  public func edges(
    height: Int, width: Int, kernel: (height: Int, width: Int),
    stride: (height: Int, width: Int), dilation: (height: Int, width: Int) = (1, 1)
  ) -> (top: Int, bottom: Int, left: Int, right: Int) {
    switch self {
    case .explicit(let top, let bottom, let left, let right):
      precondition(
        top >= 0 && bottom >= 0 && left >= 0 && right >= 0,
        "Padding cannot be negative: \(self).")
      return (top, bottom, left, right)
    case .same:
      let vertical = Self.samePadding(
        inputSize: height, kernelSize: kernel.height, stride: stride.height,
        dilation: dilation.height)
      let horizontal = Self.samePadding(
        inputSize: width, kernelSize: kernel.width, stride: stride.width,
        dilation: dilation.width)
      return (vertical.before, vertical.after, horizontal.before, horizontal.after)
    }
  }
}
