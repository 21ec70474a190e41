import Tensor

extension Conv2D {
  /// This convolution followed by `batchNorm`, as one convolution (for inference).
  ///
  /// With `s[o] = γ[o] / √(σ²[o] + ε)`: `weight'[o] = s[o] · weight[o]` and
  /// `bias'[o] = s[o] · (bias[o] − μ[o]) + β[o]` (a missing bias counts as zero), so that
  /// `folded(x) = batchNorm(conv(x))` up to rounding. The result always has a bias.
  ///
  /// - Precondition: `batchNorm` has one channel per output channel of the convolution.
  /// - Complexity: O(weight count).
  public func folding(_ batchNorm: BatchNorm2D) -> Conv2D {
    let outputs = weight.shape[0]
    precondition(
      batchNorm.channelCount == outputs,
      "Cannot fold a batch norm of \(batchNorm.channelCount) channels into a convolution with "
        + "\(outputs) output channels.")
    let (scale, shift) = batchNorm.affineCoefficients()
    let perOutput = weight.count / max(outputs, 1)
    let scaleValues = scale.scalars
    let shiftValues = shift.scalars
    let weightValues = weight.scalars
    let biasValues = bias?.scalars ?? [Float](repeating: 0, count: outputs)
    let foldedWeight = Tensor(shape: weight.shape) { buffer in
      for o in 0..<outputs {
        for k in 0..<perOutput {
          buffer[o * perOutput + k] = weightValues[o * perOutput + k] * scaleValues[o]
        }
      }
    }
    let foldedBias = Tensor(
      shape: [outputs],
      scalars: (0..<outputs).map { biasValues[$0] * scaleValues[$0] + shiftValues[$0] })
    return Conv2D(weight: foldedWeight, bias: foldedBias, configuration: configuration)
  }
}
