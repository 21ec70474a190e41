import Tensor

/// Batch normalisation with stored statistics (PyTorch's `nn.BatchNorm2d` in `eval()` mode).
///
/// `y[n, c, …] = (x[n, c, …] − μ[c]) / √(σ²[c] + ε) · γ[c] + β[c]`, that is the per-channel
/// affine map `y = s[c]·x + t[c]` with `s = γ / √(σ² + ε)` and `t = β − s·μ`. The running
/// statistics are used in both execution modes (this library fine-tunes, it does not re-estimate
/// statistics), so the backward pass is that of the affine map:
/// `∂L/∂x = s[c]·∂L/∂y`, `∂L/∂γ[c] = Σ ∂L/∂y · (x − μ[c]) / √(σ²[c] + ε)`, `∂L/∂β[c] = Σ ∂L/∂y`.
///
/// - Input: `[N, C, …]` (rank 2 to 4: `[N, C]`, `[N, C, L]`, `[N, C, H, W]`); output the same.
/// - Parameters: `"weight"` γ and `"bias"` β (trainable), `"running_mean"` μ and
///   `"running_var"` σ² (buffers), each `[C]`. PyTorch's `num_batches_tracked` is not kept.
/// - Complexity: O(N · C · H · W) forward and backward.
public struct BatchNorm2D: Layer {
  /// γ, `[C]`.
  public var weight: Tensor
  /// β, `[C]`.
  public var bias: Tensor
  /// μ, `[C]`.
  public var runningMean: Tensor
  /// σ², `[C]`.
  public var runningVariance: Tensor
  /// ε, added to the variance (PyTorch's default 1e-5; TensorFlow models often use 1e-3).
  public var epsilon: Float

  /// A batch norm with the given parameters and statistics.
  ///
  /// - Precondition: all four tensors are `[C]` for the same `C`, and `epsilon ≥ 0`.
  public init(
    weight: Tensor, bias: Tensor, runningMean: Tensor, runningVariance: Tensor,
    epsilon: Float = 1e-5
  ) {
    precondition(
      weight.rank == 1 && bias.shape == weight.shape && runningMean.shape == weight.shape
        && runningVariance.shape == weight.shape,
      "BatchNorm2D needs weight, bias, running mean and variance of one shape [C], not "
        + "\(weight.shape), \(bias.shape), \(runningMean.shape), \(runningVariance.shape).")
    precondition(epsilon >= 0, "BatchNorm2D epsilon must be ≥ 0, not \(epsilon).")
    self.weight = weight
    self.bias = bias
    self.runningMean = runningMean
    self.runningVariance = runningVariance
    self.epsilon = epsilon
  }

  /// A freshly initialised batch norm (PyTorch's defaults): γ = 1, β = 0, μ = 0, σ² = 1.
  public init(channelCount: Int, epsilon: Float = 1e-5) {
    self.init(
      weight: Tensor(shape: [channelCount], repeating: 1), bias: Tensor(zeros: [channelCount]),
      runningMean: Tensor(zeros: [channelCount]),
      runningVariance: Tensor(shape: [channelCount], repeating: 1), epsilon: epsilon)
  }

  /// The number of channels `C`.
  public var channelCount: Int { weight.shape[0] }

  /// The per-channel affine map `y = scale·x + shift` this layer applies, each `[C]`:
  /// `scale = γ / √(σ² + ε)`, `shift = β − scale·μ`.
  ///
  /// - Complexity: O(C).
  public func affineCoefficients() -> (scale: Tensor, shift: Tensor) {
    let (gamma, beta) = (weight.scalars, bias.scalars)
    let (mean, variance) = (runningMean.scalars, runningVariance.scalars)
    var scale = [Float](repeating: 0, count: gamma.count)
    var shift = scale
    for c in gamma.indices {
      scale[c] = gamma[c] / (variance[c] + epsilon).squareRoot()
      shift[c] = beta[c] - scale[c] * mean[c]
    }
    let shape = [gamma.count]
    return (Tensor(shape: shape, scalars: scale), Tensor(shape: shape, scalars: shift))
  }

  /// `[N, C, …] → [N, C, …]`.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    let (scale, shift) = affineCoefficients()
    return Self.channelAffine(input, scale: scale.scalars, shift: shift.scalars)
  }

  /// The output and a pullback giving `∂L/∂x`, `∂L/∂weight` and `∂L/∂bias`.
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    let (scale, shift) = affineCoefficients()
    let scaleValues = scale.scalars
    let output = Self.channelAffine(input, scale: scaleValues, shift: shift.scalars)
    let (mean, variance, epsilon) = (runningMean.scalars, runningVariance.scalars, self.epsilon)
    let computesParameters = context.computesParameterGradients
    return (
      output,
      { outputGradient in
        precondition(
          outputGradient.shape == input.shape,
          "The output gradient of BatchNorm2D must be \(input.shape), not "
            + "\(outputGradient.shape).")
        let inputGradient = Self.channelAffine(
          outputGradient, scale: scaleValues,
          shift: [Float](repeating: 0, count: scaleValues.count))
        guard computesParameters else { return (inputGradient, ParameterGradients()) }
        // Per-channel sums Σ dy and Σ dy·x, accumulated in Double.
        let channels = scaleValues.count
        let plane = Self.planeSize(input.shape)
        let batch = input.shape[0]
        var sumGradient = [Double](repeating: 0, count: channels)
        var sumGradientInput = [Double](repeating: 0, count: channels)
        input.contiguous().withUnsafeBufferPointer { x in
          outputGradient.contiguous().withUnsafeBufferPointer { dy in
            for n in 0..<batch {
              for c in 0..<channels {
                let base = (n * channels + c) * plane
                var s = 0.0
                var sx = 0.0
                for k in 0..<plane {
                  s += Double(dy[base + k])
                  sx += Double(dy[base + k]) * Double(x[base + k])
                }
                sumGradient[c] += s
                sumGradientInput[c] += sx
              }
            }
          }
        }
        var weightGradient = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
          let inverseDeviation = 1 / (Double(variance[c]) + Double(epsilon)).squareRoot()
          weightGradient[c] = Float(
            (sumGradientInput[c] - Double(mean[c]) * sumGradient[c]) * inverseDeviation)
        }
        var parameters = ParameterGradients()
        parameters["weight"] = Tensor(shape: [channels], scalars: weightGradient)
        parameters["bias"] = Tensor(shape: [channels], scalars: sumGradient.map { Float($0) })
        return (inputGradient, parameters)
      }
    )
  }

  public func visitParameters(_ body: (String, ParameterKind, Tensor) throws -> Void) rethrows {
    try body("weight", .trainable, weight)
    try body("bias", .trainable, bias)
    try body("running_mean", .buffer, runningMean)
    try body("running_var", .buffer, runningVariance)
  }

  public mutating func updateParameters(
    _ body: (String, ParameterKind, inout Tensor) throws -> Void
  ) rethrows {
    try body("weight", .trainable, &weight)
    try body("bias", .trainable, &bias)
    try body("running_mean", .buffer, &runningMean)
    try body("running_var", .buffer, &runningVariance)
  }

  /// The product of the axes after the channel axis (1 for `[N, C]`).
  private static func planeSize(_ shape: [Int]) -> Int { shape.dropFirst(2).reduce(1, *) }

  /// `y[n, c, …] = scale[c]·x[n, c, …] + shift[c]`, in parallel over the `N·C` planes.
  static func channelAffine(_ input: Tensor, scale: [Float], shift: [Float]) -> Tensor {
    precondition(
      (2...4).contains(input.rank) && input.shape[1] == scale.count,
      "BatchNorm2D over \(scale.count) channels needs an input [N, \(scale.count), …] of rank 2 "
        + "to 4, not \(input.shape).")
    let channels = scale.count
    let plane = planeSize(input.shape)
    return input.contiguous().withUnsafeBufferPointer { x in
      Tensor(shape: input.shape) { y in
        guard let x = x.baseAddress, let y = y.baseAddress else { return }
        scale.withUnsafeBufferPointer { scale in
          shift.withUnsafeBufferPointer { shift in
            ComputeThreads.parallelFor(input.shape[0] * channels) { index in
              let c = index % channels
              let (a, b) = (scale[c], shift[c])
              let (source, target) = (x + index * plane, y + index * plane)
              for k in 0..<plane { target[k] = a * source[k] + b }
            }
          }
        }
      }
    }
  }
}
