import Tensor

/// Global average pooling: the mean of each channel plane,
/// `y[n, c] = Σ_{i, j} x[n, c, i, j] / (H·W)`.
///
/// Without `keepsDimensions` the output is `[N, C]` (PyTorch's `adaptive_avg_pool2d(x, 1)` then
/// `flatten(1)`, as at the head of ResNet and EfficientNet); with it, `[N, C, 1, 1]`
/// (`nn.AdaptiveAvgPool2d(1)`). The pullback spreads `∂L/∂y[n, c] / (H·W)` over the plane.
///
/// - Input: `[N, C, H, W]` with `H·W > 0`.
/// - Complexity: O(N · C · H · W) forward and backward.
public struct GlobalAveragePool2D: Layer {
  /// Whether the output keeps two unit spatial axes, `[N, C, 1, 1]`.
  public var keepsDimensions: Bool

  /// A global average pooling producing `[N, C]`, or `[N, C, 1, 1]` with `keepsDimensions`.
  public init(keepsDimensions: Bool = false) {
    self.keepsDimensions = keepsDimensions
  }

  public func callAsFunction(_ input: Tensor) -> Tensor {
    let pooled = Tensor.globalAveragePool2D(input)
    return keepsDimensions ? pooled.reshaped(to: pooled.shape + [1, 1]) : pooled
  }

  /// The plane means and a pullback spreading `∂L/∂y` evenly over each plane.
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    let shape = input.shape
    return (
      self(input),
      { outputGradient in
        let flat = outputGradient.reshaped(to: Array(shape.prefix(2)))
        return (
          Tensor.globalAveragePool2DBackward(flat, inputShape: shape), ParameterGradients()
        )
      }
    )
  }
}
