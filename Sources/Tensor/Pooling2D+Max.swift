import CKernels

extension Tensor {
  /// 2-D max pooling: `y[n, c, i, j]` is the maximum of `x[n, c]` over window `(i, j)`, padding
  /// acting as −∞ (PyTorch's `max_pool2d`). A NaN in a window propagates to its output.
  ///
  /// - Parameters:
  ///   - input: `[N, C, H, W]`.
  ///   - configuration: kernel size, stride, padding, ceil mode.
  /// - Returns: `[N, C, Ho, Wo]`.
  /// - Complexity: O(N · C · Ho · Wo · KH · KW), spread over the planes.
  public static func maxPool2D(_ input: Tensor, configuration: Pooling2DConfiguration) -> Tensor {
    let window = configuration.window(inputShape: input.shape, operation: "max pooling")
    let inputPlane = input.shape[2] * input.shape[3]
    return input.withUnsafeBufferPointer { x in
      mapPlanes(shape: configuration.outputShape(inputShape: input.shape)) { index, y in
        guard let x = x.baseAddress else { return }
        withUnsafePointer(to: window.raw) { ck_max_pool_forward(x + index * inputPlane, $0, y) }
      }
    }
  }

  /// The input gradient of `maxPool2D`: each output gradient goes to the position of its
  /// window's maximum (the first in row-major window order when several are equal, as in
  /// PyTorch); overlapping windows add up.
  ///
  /// - Parameters:
  ///   - outputGradient: `[N, C, Ho, Wo]`.
  ///   - input: the forward input `[N, C, H, W]` (the maxima are found again).
  /// - Returns: `[N, C, H, W]`.
  /// - Complexity: O(N · C · Ho · Wo · KH · KW).
  public static func maxPool2DBackward(
    _ outputGradient: Tensor, input: Tensor, configuration: Pooling2DConfiguration
  ) -> Tensor {
    let window = configuration.window(inputShape: input.shape, operation: "max pooling")
    let outputShape = configuration.outputShape(inputShape: input.shape)
    precondition(
      outputGradient.shape == outputShape,
      "The output gradient \(outputGradient.shape) of a max pooling of \(input.shape) must be "
        + "\(outputShape).")
    let (inputPlane, outputPlane) = (
      input.shape[2] * input.shape[3],
      window.outputHeight
        * window.outputWidth
    )
    return input.withUnsafeBufferPointer { x in
      outputGradient.withUnsafeBufferPointer { dy in
        mapPlanes(shape: input.shape) { index, dx in
          guard let x = x.baseAddress, let dy = dy.baseAddress else { return }
          withUnsafePointer(to: window.raw) {
            ck_max_pool_backward(x + index * inputPlane, dy + index * outputPlane, $0, dx)
          }
        }
      }
    }
  }
}
