import Tensor

/// The rectified linear unit (PyTorch's `nn.ReLU`): `y = max(x, 0)` element-wise.
///
/// The gradient passes where `x > 0` and is zero elsewhere (zero at the kink, as in PyTorch).
///
/// - Input: any shape; output the same.
/// - Complexity: O(n) forward and backward.
public struct ReLU: Layer {
  /// The activation.
  public init() {}

  public func callAsFunction(_ input: Tensor) -> Tensor { relu(input) }

  /// The output and a pullback `∂L/∂x = ∂L/∂y · [x > 0]`.
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    let output = relu(input)
    return (
      output,
      { outputGradient in
        precondition(
          outputGradient.shape == output.shape,
          "The output gradient of ReLU must be \(output.shape), not \(outputGradient.shape).")
        return (outputGradient * (output .> 0), ParameterGradients())
      }
    )
  }
}
