import Tensor

/// The rectified linear unit capped at 6 (PyTorch's `nn.ReLU6`, MobileNet and EfficientNet-Lite):
/// `y = min(max(x, 0), 6)` element-wise.
///
/// The gradient passes where `0 < x < 6` and is zero elsewhere (zero at both kinks, as in
/// PyTorch's `hardtanh_backward`).
///
/// - Input: any shape; output the same.
/// - Complexity: O(n) forward and backward.
public struct ReLU6: Layer {
  /// The activation.
  public init() {}

  public func callAsFunction(_ input: Tensor) -> Tensor { input.clamped(min: 0, max: 6) }

  /// The output and a pullback `∂L/∂x = ∂L/∂y · [0 < x < 6]`.
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    let output = self(input)
    return (
      output,
      { outputGradient in
        precondition(
          outputGradient.shape == input.shape,
          "The output gradient of ReLU6 must be \(input.shape), not \(outputGradient.shape).")
        let passes = input.map { $0 > 0 && $0 < 6 ? 1 : 0 }
        return (outputGradient * passes, ParameterGradients())
      }
    )
  }
}
