import Tensor

/// A convolution, its batch normalisation and an optional ReLU6, run as one convolution with the
/// batch norm folded into its weights: the `conv → bn → activation` unit of MobileNet and
/// EfficientNet-Lite.
///
/// `y = act(bn(conv(x)))` with `bn(z)[o] = s[o]·(z[o] − μ[o]) + β[o]`, `s = γ / √(σ² + ε)`,
/// is computed as `act(conv'(x))` with `weight'[o] = s[o]·weight[o]` and
/// `bias'[o] = s[o]·(bias[o] − μ[o]) + β[o]` (see `Conv2D.folding(_:)`), which saves the batch
/// norm's pass over the activations; ReLU6 is applied in place on the convolution's output.
///
/// The layer keeps the unfolded parameters, under the names of the two PyTorch modules it
/// replaces (`"_depthwise_conv.weight"`, `"_bn1.weight"`, `"_bn1.running_mean"`, …), so a
/// checkpoint loads through `Layer.load(from:)` and parameter gradients are those of the
/// unfolded network. The folded convolution is recomputed whenever a parameter changes. The
/// pullback differentiates the folded convolution (`∂L/∂z` after the ReLU6 mask) and maps its
/// gradients back by the chain rule, with `g = ∂L/∂weight'`, `d = ∂L/∂bias'`:
///
/// - `∂L/∂x` = the folded convolution's input gradient;
/// - `∂L/∂weight[o] = s[o]·g[o]`, `∂L/∂bias[o] = s[o]·d[o]`;
/// - `∂L/∂β[o] = d[o]`, `∂L/∂γ[o] = (⟨g[o], weight[o]⟩ + d[o]·(bias[o] − μ[o])) / √(σ²[o] + ε)`
///   (because `Σ ∂L/∂z[o]·conv(x)[o] = ⟨g[o], weight[o]⟩ + d[o]·bias[o]`).
///
/// Batch norm uses its running statistics in both execution modes (as `BatchNorm2D`).
///
/// - Input: `[N, C, H, W]`. Output: `[N, O, Ho, Wo]`.
/// - Complexity: that of the convolution, plus O(N · O · Ho · Wo) for the activation; folding
///   costs O(weight count) per parameter update.
public struct FoldedConvolution: Layer {
  /// The element-wise function after the batch norm.
  public enum Activation: Sendable, Hashable {
    /// None: `y = bn(conv(x))`.
    case identity
    /// `y = min(max(bn(conv(x)), 0), 6)`.
    case relu6
  }

  /// The state-dict name of the convolution (`"_conv_stem"`).
  public let convolutionName: String
  /// The state-dict name of the batch norm (`"_bn0"`).
  public let batchNormName: String
  /// The activation after the batch norm.
  public let activation: Activation
  private var storedConvolution: Conv2D
  private var storedBatchNorm: BatchNorm2D
  /// The convolution with the batch norm folded in (what runs).
  public private(set) var folded: Conv2D {
    didSet {
      (pointwise, blockedPointwise, blockedPointwiseTranspose) = Self.pointwiseForms(of: folded)
    }
  }
  /// The folded weight laid out for the pointwise kernel, when the convolution is 1×1 with
  /// stride 1, no padding and one group.
  public private(set) var pointwise: PointwiseWeights?
  /// The folded convolution packed for the channel-blocked pointwise kernel (the inference path
  /// of `EfficientNetLite`), under the same condition as `pointwise`.
  public private(set) var blockedPointwise: BlockedPointwiseConvolution?
  /// The pointwise convolution by the transposed folded weight, without bias, packed for the
  /// channel-blocked kernel: the input gradient of `blockedPointwise` (`∂L/∂x = Wᵀ·∂L/∂z`).
  public private(set) var blockedPointwiseTranspose: BlockedPointwiseConvolution?

  /// A unit made of `convolution`, then `batchNorm`, then `activation`, whose parameters are
  /// named `convolutionName + "." + name` and `batchNormName + "." + name`.
  ///
  /// - Precondition: the batch norm has one channel per output channel of the convolution, and
  ///   the names are distinct and non-empty.
  public init(
    _ convolution: Conv2D, named convolutionName: String, _ batchNorm: BatchNorm2D,
    named batchNormName: String, activation: Activation
  ) {
    precondition(
      !convolutionName.isEmpty && !batchNormName.isEmpty && convolutionName != batchNormName,
      "A folded convolution needs two distinct non-empty names, not '\(convolutionName)' and "
        + "'\(batchNormName)'.")
    self.convolutionName = convolutionName
    self.batchNormName = batchNormName
    self.activation = activation
    self.storedConvolution = convolution
    self.storedBatchNorm = batchNorm
    let folded = convolution.folding(batchNorm)
    self.folded = folded
    (pointwise, blockedPointwise, blockedPointwiseTranspose) = Self.pointwiseForms(of: folded)
  }

  /// The packed forms of a pointwise `convolution` (nil for any other convolution): planar,
  /// blocked, and blocked by the transposed weight (for input gradients).
  private static func pointwiseForms(of convolution: Conv2D) -> (
    PointwiseWeights?, BlockedPointwiseConvolution?, BlockedPointwiseConvolution?
  ) {
    let (weight, bias) = (convolution.weight, convolution.bias)
    guard let pointwise = PointwiseWeights(weight, configuration: convolution.configuration) else {
      return (nil, nil, nil)
    }
    let matrix = weight.reshaped(to: [weight.shape[0], weight.shape[1]])
    return (
      pointwise, BlockedPointwiseConvolution(weight: weight, bias: bias),
      BlockedPointwiseConvolution(weight: matrix.transposed().materialized(), bias: nil)
    )
  }

  /// The unfolded convolution.
  public var convolution: Conv2D {
    get { storedConvolution }
    set {
      storedConvolution = newValue
      folded = newValue.folding(storedBatchNorm)
    }
  }

  /// The batch norm that follows the convolution.
  public var batchNorm: BatchNorm2D {
    get { storedBatchNorm }
    set {
      storedBatchNorm = newValue
      folded = storedConvolution.folding(newValue)
    }
  }

  /// `act(conv'(x))`, without recording anything. The ReLU6 clamps each block of output right
  /// after the convolution wrote it (`ConvolutionEpilogue`).
  public func callAsFunction(_ input: Tensor) -> Tensor {
    self(input, adding: nil)
  }

  /// `act(conv'(x) + residual)` (`residual` of the output's shape, or nil), the sum and the
  /// clamp done on each block of output right after the convolution wrote it.
  public func callAsFunction(_ input: Tensor, adding residual: Tensor?) -> Tensor {
    let epilogue = ConvolutionEpilogue(
      adding: residual, clampingTo: activation == .relu6 ? 0...6 : nil)
    if let pointwise {
      return Tensor.convolution2D(
        input, pointwise: pointwise, bias: folded.bias, epilogue: epilogue)
    }
    return Tensor.convolution2D(
      input, weight: folded.weight, bias: folded.bias, configuration: folded.configuration,
      epilogue: epilogue)
  }

  /// The output and a pullback giving `∂L/∂x` and the gradients of the unfolded parameters
  /// (none when `context.computesParameterGradients` is false).
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    let output = self(input)
    let (foldedWeight, configuration) = (folded.weight, folded.configuration)
    let (convolution, batchNorm, activation) = (storedConvolution, storedBatchNorm, activation)
    let (convolutionName, batchNormName) = (self.convolutionName, self.batchNormName)
    let computesParameters = context.computesParameterGradients
    return (
      output,
      { outputGradient in
        precondition(
          outputGradient.shape == output.shape,
          "The output gradient of '\(convolutionName)' must be \(output.shape), not "
            + "\(outputGradient.shape).")
        let gradient =
          activation == .relu6
          ? Self.maskedGradient(outputGradient, output: output) : outputGradient
        let inputGradient = Tensor.convolution2DInputGradient(
          gradient, weight: foldedWeight, inputShape: input.shape, configuration: configuration)
        guard computesParameters else { return (inputGradient, ParameterGradients()) }
        let foldedWeightGradient = Tensor.convolution2DWeightGradient(
          gradient, input: input, weightShape: foldedWeight.shape, configuration: configuration)
        let foldedBiasGradient = Tensor.convolution2DBiasGradient(gradient)
        let parameters = Self.unfoldedGradients(
          weight: foldedWeightGradient, bias: foldedBiasGradient, convolution: convolution,
          batchNorm: batchNorm, convolutionName: convolutionName, batchNormName: batchNormName)
        return (inputGradient, parameters)
      }
    )
  }

  public func visitParameters(_ body: (String, ParameterKind, Tensor) throws -> Void) rethrows {
    try storedConvolution.visitParameters { try body("\(convolutionName).\($0)", $1, $2) }
    try storedBatchNorm.visitParameters { try body("\(batchNormName).\($0)", $1, $2) }
  }

  public mutating func updateParameters(
    _ body: (String, ParameterKind, inout Tensor) throws -> Void
  ) rethrows {
    let (convolutionName, batchNormName) = (self.convolutionName, self.batchNormName)
    var convolution = storedConvolution
    var batchNorm = storedBatchNorm
    try convolution.updateParameters { try body("\(convolutionName).\($0)", $1, &$2) }
    try batchNorm.updateParameters { try body("\(batchNormName).\($0)", $1, &$2) }
    storedConvolution = convolution
    storedBatchNorm = batchNorm
    folded = convolution.folding(batchNorm)
  }

  // MARK: Kernels

  /// The number of elements one task of a parallel element-wise loop handles.
  private static let chunk = 1 << 16

  /// `∂L/∂z = ∂L/∂y · [0 < y < 6]` (ReLU6's gradient, zero at both kinks as in PyTorch; the
  /// output `y` is inside (0, 6) exactly where the pre-activation is).
  static func maskedGradient(_ outputGradient: Tensor, output: Tensor) -> Tensor {
    let count = output.count
    return outputGradient.withUnsafeBufferPointer { dy in
      output.withUnsafeBufferPointer { y in
        Tensor(shape: output.shape) { dz in
          guard let dy = dy.baseAddress, let y = y.baseAddress, let dz = dz.baseAddress else {
            return
          }
          ComputeThreads.parallelFor((count + chunk - 1) / chunk) { task in
            let start = task * chunk
            maskRun(dy + start, y + start, dz + start, Swift.min(chunk, count - start))
          }
        }
      }
    }
  }

  private static func maskRun(
    _ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dz: UnsafeMutablePointer<Float>,
    _ count: Int
  ) {
    let lanes = 16
    let vectorCount = count / lanes
    let (dyRaw, yRaw, dzRaw) = (
      UnsafeRawPointer(dy), UnsafeRawPointer(y), UnsafeMutableRawPointer(dz)
    )
    let (zero, six) = (SIMD16<Float>(repeating: 0), SIMD16<Float>(repeating: 6))
    for v in 0..<vectorCount {
      let offset = v * lanes * MemoryLayout<Float>.stride
      let value = yRaw.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
      var gradient = dyRaw.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
      gradient.replace(with: zero, where: .!((value .> zero) .& (value .< six)))
      dzRaw.storeBytes(of: gradient, toByteOffset: offset, as: SIMD16<Float>.self)
    }
    for i in (vectorCount * lanes)..<count { dz[i] = y[i] > 0 && y[i] < 6 ? dy[i] : 0 }
  }

  /// The gradients of the unfolded convolution and batch norm from those of the folded
  /// convolution (see the type's documentation), accumulated in Double.
  static func unfoldedGradients(
    weight foldedWeightGradient: Tensor, bias foldedBiasGradient: Tensor, convolution: Conv2D,
    batchNorm: BatchNorm2D, convolutionName: String, batchNormName: String
  ) -> ParameterGradients {
    let outputs = convolution.weight.shape[0]
    let perOutput = convolution.weight.count / Swift.max(outputs, 1)
    let (scale, _) = batchNorm.affineCoefficients()
    let scaleValues = scale.scalars
    let (mean, variance) = (batchNorm.runningMean.scalars, batchNorm.runningVariance.scalars)
    let g = foldedWeightGradient.scalars
    let d = foldedBiasGradient.scalars
    let w = convolution.weight.scalars
    let b = convolution.bias?.scalars ?? [Float](repeating: 0, count: outputs)
    var weightGradient = [Float](repeating: 0, count: g.count)
    var gammaGradient = [Float](repeating: 0, count: outputs)
    for o in 0..<outputs {
      var inner = 0.0
      for k in (o * perOutput)..<((o + 1) * perOutput) {
        weightGradient[k] = scaleValues[o] * g[k]
        inner += Double(g[k]) * Double(w[k])
      }
      let deviation = (Double(variance[o]) + Double(batchNorm.epsilon)).squareRoot()
      gammaGradient[o] = Float((inner + Double(d[o]) * Double(b[o] - mean[o])) / deviation)
    }
    var parameters = ParameterGradients()
    parameters["\(convolutionName).weight"] = Tensor(
      shape: convolution.weight.shape, scalars: weightGradient)
    if convolution.bias != nil {
      parameters["\(convolutionName).bias"] = Tensor(
        shape: [outputs], scalars: (0..<outputs).map { scaleValues[$0] * d[$0] })
    }
    parameters["\(batchNormName).weight"] = Tensor(shape: [outputs], scalars: gammaGradient)
    parameters["\(batchNormName).bias"] = foldedBiasGradient
    return parameters
  }
}
