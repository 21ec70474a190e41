import Tensor

/// 2-D average pooling (PyTorch's `nn.AvgPool2d`): `y[n, c, i, j] = Σ x / divisor` over window
/// `(i, j)`, padding reading as zero.
///
/// With `countIncludesPadding` (PyTorch's `count_include_pad=True`, the default) the divisor is
/// the window's area clipped to the padded input; otherwise it is the number of real input
/// elements in the window. The pullback spreads each output gradient, divided by its divisor,
/// over its window.
///
/// - Input: `[N, C, H, W]`. Output: `[N, C, Ho, Wo]` (see `Pooling2DConfiguration`).
/// - Complexity: O(N · C · Ho · Wo · KH · KW) forward and backward.
public struct AvgPool2D: Layer {
  /// Kernel size, stride, padding and ceil mode.
  public var configuration: Pooling2DConfiguration
  /// Whether padded elements count in the divisor.
  public var countIncludesPadding: Bool

  /// An average pooling with the given window.
  public init(_ configuration: Pooling2DConfiguration, countIncludesPadding: Bool = true) {
    self.configuration = configuration
    self.countIncludesPadding = countIncludesPadding
  }

  /// An average pooling with a square window; `stride` defaults to `kernelSize`.
  public init(
    kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
    countIncludesPadding: Bool = true
  ) {
    self.init(
      Pooling2DConfiguration(
        kernelSize: kernelSize, stride: stride, padding: .symmetric(padding), ceilMode: ceilMode),
      countIncludesPadding: countIncludesPadding)
  }

  public func callAsFunction(_ input: Tensor) -> Tensor {
    Tensor.averagePool2D(
      input, configuration: configuration, countsPadding: countIncludesPadding)
  }

  /// The pooled input and a pullback spreading `∂L/∂y` over the windows.
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    let (configuration, countsPadding, shape) = (
      self.configuration, countIncludesPadding, input.shape
    )
    return (
      self(input),
      { outputGradient in
        (
          Tensor.averagePool2DBackward(
            outputGradient, inputShape: shape, configuration: configuration,
            countsPadding: countsPadding),
          ParameterGradients()
        )
      }
    )
  }
}
