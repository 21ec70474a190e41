import Tensor

/// A fully connected layer (PyTorch's `nn.Linear`): `y = x·Wᵀ + b`, through one BLAS `sgemm`.
///
/// `y[n, o] = b[o] + Σᵢ x[n, i]·W[o, i]`. The pullback gives `∂L/∂x = ∂L/∂y · W`,
/// `∂L/∂W = (∂L/∂y)ᵀ · x` and `∂L/∂b = Σₙ ∂L/∂y[n]`.
///
/// - Input: `[N, in]`. Output: `[N, out]`.
/// - Parameters: `"weight"` `[out, in]` and, when present, `"bias"` `[out]`.
/// - Complexity: O(N · in · out) forward; twice that backward.
public struct Linear: Layer {
  /// `[out, in]`.
  public var weight: Tensor
  /// `[out]`, or nil.
  public var bias: Tensor?

  /// A linear layer with the given parameters.
  ///
  /// - Precondition: `weight` is a matrix and `bias`, if any, is `[weight.shape[0]]`.
  public init(weight: Tensor, bias: Tensor? = nil) {
    precondition(weight.rank == 2, "A Linear weight is [out, in], not \(weight.shape).")
    precondition(
      bias == nil || bias?.shape == [weight.shape[0]],
      "A Linear bias for weight \(weight.shape) must be [\(weight.shape[0])], not "
        + "\(bias?.shape ?? []).")
    self.weight = weight
    self.bias = bias
  }

  /// A linear layer initialised like PyTorch's `nn.Linear`: weight and bias uniform in
  /// `[−1/√in, 1/√in)`.
  public init(
    inputFeatures: Int, outputFeatures: Int, bias: Bool = true,
    using rng: inout some RandomNumberGenerator
  ) {
    precondition(
      inputFeatures >= 1 && outputFeatures >= 1,
      "A Linear layer needs at least one input and output feature, not \(inputFeatures) → "
        + "\(outputFeatures).")
    let bound = 1 / Float(inputFeatures).squareRoot()
    let weight = Tensor.uniform(
      [outputFeatures, inputFeatures], low: -bound, high: bound, using: &rng)
    let biasTensor =
      bias
      ? Tensor.uniform([outputFeatures], low: -bound, high: bound, using: &rng) : nil
    self.init(weight: weight, bias: biasTensor)
  }

  /// The number of input features.
  public var inputFeatures: Int { weight.shape[1] }
  /// The number of output features.
  public var outputFeatures: Int { weight.shape[0] }

  /// `[N, in] → [N, out]`.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    precondition(
      input.rank == 2 && input.shape[1] == inputFeatures,
      "A Linear layer of weight \(weight.shape) needs an input [N, \(inputFeatures)], not "
        + "\(input.shape).")
    guard let bias else { return matmul(input, transposed: false, weight, transposed: true) }
    var output = bias.broadcast(to: [input.shape[0], outputFeatures]).materialized()
    gemm(
      input, transposed: false, weight, transposed: true, alpha: 1, beta: 1,
      accumulatingInto: &output)
    return output
  }

  /// The output and a pullback giving `∂L/∂x`, `∂L/∂weight` and (with a bias) `∂L/∂bias`.
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    let output = self(input)
    let (weight, hasBias) = (self.weight, bias != nil)
    let computesParameters = context.computesParameterGradients
    return (
      output,
      { outputGradient in
        precondition(
          outputGradient.shape == output.shape,
          "The output gradient of Linear must be \(output.shape), not \(outputGradient.shape).")
        var parameters = ParameterGradients()
        guard computesParameters else { return (matmul(outputGradient, weight), parameters) }
        parameters["weight"] = matmul(outputGradient, transposed: true, input)
        if hasBias { parameters["bias"] = outputGradient.sum(alongAxes: 0) }
        return (matmul(outputGradient, weight), parameters)
      }
    )
  }

  public func visitParameters(_ body: (String, ParameterKind, Tensor) throws -> Void) rethrows {
    try body("weight", .trainable, weight)
    if let bias { try body("bias", .trainable, bias) }
  }

  public mutating func updateParameters(
    _ body: (String, ParameterKind, inout Tensor) throws -> Void
  ) rethrows {
    try body("weight", .trainable, &weight)
    if var value = bias {
      bias = nil
      defer { bias = value }
      try body("bias", .trainable, &value)
    }
  }
}
