import CKernels

/// The gradients of a 2-D convolution with respect to its three operands.
public struct Convolution2DGradients: Sendable {
  /// `∂L/∂input`, `[N, C, H, W]`.
  public var input: Tensor
  /// `∂L/∂weight`, `[O, C/groups, KH, KW]`.
  public var weight: Tensor
  /// `∂L/∂bias`, `[O]`, or nil when the convolution has no bias.
  public var bias: Tensor?
}

extension Tensor {
  /// All three gradients of `convolution2D(input, weight:, bias:, configuration:)` from the
  /// gradient of its output.
  ///
  /// - Parameters:
  ///   - outputGradient: `∂L/∂y`, `[N, O, Ho, Wo]`.
  ///   - input: the forward input `[N, C, H, W]`.
  ///   - weight: the forward weight `[O, C/groups, KH, KW]`.
  ///   - includesBias: whether to compute the bias gradient.
  /// - Complexity: about twice the forward multiply–adds (see the three functions it calls).
  public static func convolution2DBackward(
    _ outputGradient: Tensor, input: Tensor, weight: Tensor,
    configuration: Convolution2DConfiguration = Convolution2DConfiguration(),
    includesBias: Bool = true
  ) -> Convolution2DGradients {
    Convolution2DGradients(
      input: convolution2DInputGradient(
        outputGradient, weight: weight, inputShape: input.shape, configuration: configuration),
      weight: convolution2DWeightGradient(
        outputGradient, input: input, weightShape: weight.shape, configuration: configuration),
      bias: includesBias ? convolution2DBiasGradient(outputGradient) : nil)
  }

  /// The bias gradient of a 2-D convolution: `∂L/∂b[o] = Σ_{n, i, j} ∂L/∂y[n, o, i, j]`.
  ///
  /// - Parameter outputGradient: `[N, O, Ho, Wo]`.
  /// - Returns: `[O]`.
  /// - Complexity: O(N · O · Ho · Wo).
  public static func convolution2DBiasGradient(_ outputGradient: Tensor) -> Tensor {
    precondition(
      outputGradient.rank == 4,
      "A convolution output gradient is [N, O, Ho, Wo], not \(outputGradient.shape).")
    let (batch, channels) = (outputGradient.shape[0], outputGradient.shape[1])
    let plane = outputGradient.shape[2] * outputGradient.shape[3]
    return outputGradient.withUnsafeBufferPointer { dy in
      Tensor(shape: [channels]) { db in
        guard let dy = dy.baseAddress, let db = db.baseAddress else { return }
        ComputeThreads.parallelFor(channels) { o in
          var total: Float = 0
          for n in 0..<batch { total += ck_sum(dy + (n * channels + o) * plane, plane) }
          db[o] = total
        }
      }
    }
  }
}
