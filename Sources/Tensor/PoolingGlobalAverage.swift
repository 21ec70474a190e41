import CKernels

extension Tensor {
  /// Global average pooling: the mean of each plane, `y[n, c] = Σ_{i, j} x[n, c, i, j] / (H·W)`
  /// (PyTorch's `adaptive_avg_pool2d(x, 1)` followed by `flatten(1)`).
  ///
  /// - Parameter input: `[N, C, H, W]` with `H·W > 0`.
  /// - Returns: `[N, C]`.
  /// - Complexity: O(N · C · H · W).
  public static func globalAveragePool2D(_ input: Tensor) -> Tensor {
    precondition(
      input.rank == 4 && input.shape[2] * input.shape[3] > 0,
      "Global average pooling needs an input [N, C, H, W] with H·W > 0, not \(input.shape).")
    let (planes, size) = (input.shape[0] * input.shape[1], input.shape[2] * input.shape[3])
    return input.withUnsafeBufferPointer { x in
      Tensor(shape: [input.shape[0], input.shape[1]]) { y in
        guard let x = x.baseAddress, let y = y.baseAddress else { return }
        ComputeThreads.parallelFor(planes) { index in
          y[index] = ck_sum(x + index * size, size) / Float(size)
        }
      }
    }
  }

  /// The input gradient of `globalAveragePool2D`: `∂L/∂x[n, c, i, j] = ∂L/∂y[n, c] / (H·W)`.
  ///
  /// - Parameters:
  ///   - outputGradient: `[N, C]`.
  ///   - inputShape: `[N, C, H, W]` of the forward input.
  /// - Returns: `[N, C, H, W]`.
  /// - Complexity: O(N · C · H · W).
  public static func globalAveragePool2DBackward(
    _ outputGradient: Tensor, inputShape: [Int]
  ) -> Tensor {
    precondition(
      inputShape.count == 4 && inputShape[2] * inputShape[3] > 0
        && outputGradient.shape == [inputShape[0], inputShape[1]],
      "The output gradient of a global average pooling of \(inputShape) must be "
        + "[\(inputShape.first ?? 0), \(inputShape.dropFirst().first ?? 0)], not "
        + "\(outputGradient.shape).")
    let size = inputShape[2] * inputShape[3]
    return outputGradient.withUnsafeBufferPointer { dy in
      mapPlanes(shape: inputShape) { index, dx in
        guard let dy = dy.baseAddress else { return }
        dx.update(repeating: dy[index] / Float(size), count: size)
      }
    }
  }
}
