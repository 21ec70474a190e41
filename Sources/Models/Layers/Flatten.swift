import Tensor

/// Flattens every axis after the batch axis (PyTorch's `nn.Flatten()`, `start_dim=1`):
/// `[N, d₁, …, dₖ] → [N, d₁·…·dₖ]` in row-major order.
///
/// The pullback reshapes the gradient back to the input's shape.
///
/// - Input: rank ≥ 1 (`[N]` becomes `[N, 1]`).
/// - Complexity: O(1) for a contiguous input (a view), O(n) otherwise.
public struct Flatten: Layer {
  /// The layer.
  public init() {}

  public func callAsFunction(_ input: Tensor) -> Tensor {
    precondition(input.rank >= 1, "Flatten needs a batch axis, not a scalar.")
    return input.reshaped(to: [input.shape[0], input.shape.dropFirst().reduce(1, *)])
  }

  /// The flattened input and a pullback reshaping `∂L/∂y` to the input's shape.
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    let shape = input.shape
    return (self(input), { ($0.reshaped(to: shape), ParameterGradients()) })
  }
}
