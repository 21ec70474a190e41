/// The window of a 2-D pooling: kernel size, stride, padding and rounding of the output size.
///
/// For an input `[N, C, H, W]` the output is `[N, C, Ho, Wo]` with
/// `Ho = ⌊(H + top + bottom − KH) / stride.height⌋ + 1`, or with `ceilMode` the ceiling, less one
/// when the last window would start past the input and its top padding (PyTorch's
/// `ceil_mode=True`); likewise `Wo`.
public struct Pooling2DConfiguration: Sendable, Equatable {
  /// Window extent.
  public var kernelSize: (height: Int, width: Int)
  /// Step between windows (PyTorch's default is the kernel size).
  public var stride: (height: Int, width: Int)
  /// Implicit padding: −∞ for max pooling, zero for average pooling.
  public var padding: ConvolutionPadding
  /// Rounds the output size up instead of down.
  public var ceilMode: Bool

  /// A configuration with a separate size per axis; `stride` defaults to `kernelSize`.
  ///
  /// - Precondition: every size and stride is at least 1, and each explicit padding amount is
  ///   smaller than the kernel along its axis, so that every window overlaps the input.
  public init(
    kernelSize: (height: Int, width: Int), stride: (height: Int, width: Int)? = nil,
    padding: ConvolutionPadding = .valid, ceilMode: Bool = false
  ) {
    let stride = stride ?? kernelSize
    precondition(
      kernelSize.height >= 1 && kernelSize.width >= 1 && stride.height >= 1 && stride.width >= 1,
      "Pooling kernel sizes and strides must be ≥ 1, not \(kernelSize) and \(stride).")
    if case .explicit(let top, let bottom, let left, let right) = padding {
      precondition(
        max(top, bottom) < kernelSize.height && max(left, right) < kernelSize.width,
        "Pooling padding \(padding) must be smaller than the kernel \(kernelSize) on every side.")
    }
    self.kernelSize = kernelSize
    self.stride = stride
    self.padding = padding
    self.ceilMode = ceilMode
  }

  /// A square window; `stride` defaults to `kernelSize`.
  public init(
    kernelSize: Int, stride: Int? = nil, padding: ConvolutionPadding = .valid,
    ceilMode: Bool = false
  ) {
    let stride = stride ?? kernelSize
    self.init(
      kernelSize: (kernelSize, kernelSize), stride: (stride, stride), padding: padding,
      ceilMode: ceilMode)
  }

  public static func == (lhs: Self, rhs: Self) -> Bool {
    lhs.kernelSize == rhs.kernelSize && lhs.stride == rhs.stride && lhs.padding == rhs.padding
      && lhs.ceilMode == rhs.ceilMode
  }

  /// The output shape `[N, C, Ho, Wo]` for an input shape `[N, C, H, W]`.
  public func outputShape(inputShape: [Int]) -> [Int] {
    let window = self.window(inputShape: inputShape, operation: "pooling")
    return [inputShape[0], inputShape[1], window.outputHeight, window.outputWidth]
  }

  /// The resolved window for an input `[N, C, H, W]` (internal).
  func window(inputShape: [Int], operation: String) -> ConvolutionWindow {
    precondition(
      inputShape.count == 4, "A \(operation) needs an input [N, C, H, W], not \(inputShape).")
    return ConvolutionWindow(
      height: inputShape[2], width: inputShape[3], kernel: kernelSize, stride: stride,
      dilation: (1, 1), padding: padding, ceilMode: ceilMode, operation: operation)
  }
}

extension Tensor {
  /// A new tensor of `shape` (`[N, C, h, w]`) whose `N·C` planes are written by
  /// `body(planeIndex, plane)` in parallel over `ComputeThreads.count` threads (internal).
  static func mapPlanes(
    shape: [Int], _ body: (_ index: Int, _ plane: UnsafeMutablePointer<Float>) -> Void
  ) -> Tensor {
    let planes = shape[0] * shape[1]
    let size = shape[2] * shape[3]
    return Tensor(shape: shape) { buffer in
      guard let base = buffer.baseAddress else { return }
      ComputeThreads.parallelFor(planes) { index in body(index, base + index * size) }
    }
  }
}
