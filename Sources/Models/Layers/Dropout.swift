import Tensor

/// Inverted dropout (PyTorch's `nn.Dropout`).
///
/// In `.training` mode each element is kept with probability `1 − p` and scaled by `1/(1 − p)`,
/// zeroed otherwise: `y = x · m` with `m ∈ {0, 1/(1 − p)}`, so `E[y] = x`. The mask is drawn from
/// the context's seeded generator, so a context with the same seed draws the same mask. In
/// `.inference` mode the layer is the identity. The pullback multiplies by the same mask.
///
/// - Input: any shape; output the same.
/// - Complexity: O(n).
public struct Dropout: Layer {
  /// The probability `p` of zeroing an element, in `[0, 1]`.
  public var probability: Float

  /// A dropout layer zeroing elements with probability `probability`.
  ///
  /// - Precondition: `0 ≤ probability ≤ 1`.
  public init(probability: Float = 0.5) {
    precondition(
      probability >= 0 && probability <= 1,
      "A dropout probability must lie in [0, 1], not \(probability).")
    self.probability = probability
  }

  /// The inference behaviour: the identity.
  public func callAsFunction(_ input: Tensor) -> Tensor { input }

  /// In training, the masked and rescaled input and a pullback applying the same mask; in
  /// inference, the input and the identity pullback.
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    guard context.mode == .training, probability > 0 else {
      return (input, { ($0, ParameterGradients()) })
    }
    let keep = 1 - probability
    let scale: Float = keep > 0 ? 1 / keep : 0
    let mask = Tensor(shape: input.shape) { buffer in
      for i in buffer.indices {
        buffer[i] = context.generator.nextUnitFloat() < keep ? scale : 0
      }
    }
    return (
      input * mask,
      { outputGradient in
        precondition(
          outputGradient.shape == input.shape,
          "The output gradient of Dropout must be \(input.shape), not \(outputGradient.shape).")
        return (outputGradient * mask, ParameterGradients())
      }
    )
  }
}
