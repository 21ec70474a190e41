import Tensor

/// 2-D max pooling (PyTorch's `nn.MaxPool2d`): `y[n, c, i, j]` is the maximum of `x[n, c]` over
/// window `(i, j)`, padding acting as −∞.
///
/// The pullback sends each output gradient to its window's maximum (the first in row-major
/// window order on ties, as in PyTorch); overlapping windows add up.
///
/// - Input: `[N, C, H, W]`. Output: `[N, C, Ho, Wo]` (see `Pooling2DConfiguration`).
/// - Complexity: O(N · C · Ho · Wo · KH · KW) forward and backward.
public struct MaxPool2D: Layer {
  /// Kernel size, stride, padding and ceil mode.
  public var configuration: Pooling2DConfiguration

  /// A max pooling with the given window.
  public init(_ configuration: Pooling2DConfiguration) {
    self.configuration = configuration
  }

  /// A max pooling with a square window; `stride` defaults to `kernelSize` (PyTorch's default).
  public init(
    kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false
  ) {
    self.init(
      Pooling2DConfiguration(
        kernelSize: kernelSize, stride: stride, padding: .symmetric(padding), ceilMode: ceilMode))
  }

  public func callAsFunction(_ input: Tensor) -> Tensor {
    Tensor.maxPool2D(input, configuration: configuration)
  }

  /// The pooled input and a pullback routing `∂L/∂y` to the maxima.
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    let configuration = self.configuration
    return (
      self(input),
      { outputGradient in
        (
          Tensor.maxPool2DBackward(outputGradient, input: input, configuration: configuration),
          ParameterGradients()
        )
      }
    )
  }
}
