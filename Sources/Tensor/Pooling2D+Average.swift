import CKernels

extension Tensor {
  /// 2-D average pooling (PyTorch's `avg_pool2d`): `y[n, c, i, j] = Σ x / divisor` over window
  /// `(i, j)`, padding reading as zero.
  ///
  /// With `countsPadding` (PyTorch's `count_include_pad=True`, its default) the divisor is the
  /// window's area clipped to the padded input — so a window that `ceilMode` lets run past the
  /// padding is divided by less than `KH·KW`; otherwise it is the number of real input elements
  /// in the window (TensorFlow's `"SAME"` average pooling).
  ///
  /// - Parameters:
  ///   - input: `[N, C, H, W]`.
  ///   - configuration: kernel size, stride, padding, ceil mode.
  /// - Returns: `[N, C, Ho, Wo]`.
  /// - Complexity: O(N · C · Ho · Wo · KH · KW), spread over the planes.
  public static func averagePool2D(
    _ input: Tensor, configuration: Pooling2DConfiguration, countsPadding: Bool = true
  ) -> Tensor {
    let window = configuration.window(inputShape: input.shape, operation: "average pooling")
    let inputPlane = input.shape[2] * input.shape[3]
    return input.withUnsafeBufferPointer { x in
      mapPlanes(shape: configuration.outputShape(inputShape: input.shape)) { index, y in
        guard let x = x.baseAddress else { return }
        withUnsafePointer(to: window.raw) {
          ck_average_pool_forward(x + index * inputPlane, $0, countsPadding ? 1 : 0, y)
        }
      }
    }
  }

  /// The input gradient of `averagePool2D`: each output gradient, divided by its window's
  /// divisor, is added to every input element of the window.
  ///
  /// - Parameters:
  ///   - outputGradient: `[N, C, Ho, Wo]`.
  ///   - inputShape: `[N, C, H, W]` of the forward input.
  /// - Returns: `[N, C, H, W]`.
  /// - Complexity: O(N · C · Ho · Wo · KH · KW).
  public static func averagePool2DBackward(
    _ outputGradient: Tensor, inputShape: [Int], configuration: Pooling2DConfiguration,
    countsPadding: Bool = true
  ) -> Tensor {
    let window = configuration.window(inputShape: inputShape, operation: "average pooling")
    let outputShape = configuration.outputShape(inputShape: inputShape)
    precondition(
      outputGradient.shape == outputShape,
      "The output gradient \(outputGradient.shape) of an average pooling of \(inputShape) must "
        + "be \(outputShape).")
    let outputPlane = window.outputHeight * window.outputWidth
    return outputGradient.withUnsafeBufferPointer { dy in
      mapPlanes(shape: inputShape) { index, dx in
        guard let dy = dy.baseAddress else { return }
        withUnsafePointer(to: window.raw) {
          ck_average_pool_backward(dy + index * outputPlane, $0, countsPadding ? 1 : 0, dx)
        }
      }
    }
  }
}
