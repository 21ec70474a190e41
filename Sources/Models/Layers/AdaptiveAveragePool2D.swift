import Tensor

/// Adaptive average pooling to a fixed output size (PyTorch's `nn.AdaptiveAvgPool2d`).
///
/// Output row `i` of `Ho` averages input rows `⌊i·H/Ho⌋ ..< ⌈(i+1)·H/Ho⌉` (likewise columns), so
/// neighbouring bins may overlap when `H` is not a multiple of `Ho`, and an output larger than
/// the input repeats rows. When the sizes already match the layer is the identity (the VGG head on
/// a 224-pixel input). The pullback spreads each output gradient, divided by its bin's area,
/// over its bin.
///
/// - Input: `[N, C, H, W]` with `H, W ≥ 1`. Output: `[N, C, Ho, Wo]`.
/// - Complexity: O(N · C · Σ bin areas) ≤ O(N · C · (H + Ho) · (W + Wo)) forward and backward.
public struct AdaptiveAveragePool2D: Layer {
  /// `(Ho, Wo)`.
  public var outputSize: (height: Int, width: Int)

  /// A pooling to `outputSize`.
  ///
  /// - Precondition: both sizes are at least 1.
  public init(outputSize: (height: Int, width: Int)) {
    precondition(
      outputSize.height >= 1 && outputSize.width >= 1,
      "An adaptive pooling needs an output size of at least 1×1, not \(outputSize).")
    self.outputSize = outputSize
  }

  /// A pooling to a square `outputSize × outputSize`.
  public init(outputSize: Int) {
    self.init(outputSize: (outputSize, outputSize))
  }

  /// The input rows (or columns) `start ..< end` averaged by output index `index`:
  /// `start = ⌊index·input/output⌋`, `end = ⌈(index+1)·input/output⌉`.
  ///
  /// - Complexity: O(1).
  public static func bin(_ index: Int, inputSize: Int, outputSize: Int) -> Range<Int> {
    let start = index * inputSize / outputSize
    let end = ((index + 1) * inputSize + outputSize - 1) / outputSize
    return start..<end
  }

  public func callAsFunction(_ input: Tensor) -> Tensor {
    let (height, width) = checkedSize(input.shape)
    if (height, width) == outputSize { return input }
    let rows = (0..<outputSize.height).map {
      Self.bin($0, inputSize: height, outputSize: outputSize.height)
    }
    let columns = (0..<outputSize.width).map {
      Self.bin($0, inputSize: width, outputSize: outputSize.width)
    }
    let outputPlane = outputSize.height * outputSize.width
    return input.contiguous().withUnsafeBufferPointer { x in
      Tensor(shape: [input.shape[0], input.shape[1], outputSize.height, outputSize.width]) { y in
        guard let x = x.baseAddress, let y = y.baseAddress else { return }
        ComputeThreads.parallelFor(input.shape[0] * input.shape[1]) { plane in
          let source = x + plane * height * width
          let target = y + plane * outputPlane
          for (i, rowBin) in rows.enumerated() {
            for (j, columnBin) in columns.enumerated() {
              var sum: Float = 0
              for r in rowBin {
                for c in columnBin { sum += source[r * width + c] }
              }
              target[i * columns.count + j] = sum / Float(rowBin.count * columnBin.count)
            }
          }
        }
      }
    }
  }

  /// The pooled input and a pullback spreading `∂L/∂y` over the bins.
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    let (height, width) = checkedSize(input.shape)
    let (shape, outputSize) = (input.shape, self.outputSize)
    let outputShape = [shape[0], shape[1], outputSize.height, outputSize.width]
    if (height, width) == outputSize { return (input, { ($0, ParameterGradients()) }) }
    return (
      self(input),
      { outputGradient in
        precondition(
          outputGradient.shape == outputShape,
          "The output gradient of an adaptive pooling of \(shape) must be \(outputShape), not "
            + "\(outputGradient.shape).")
        let rows = (0..<outputSize.height).map {
          Self.bin($0, inputSize: height, outputSize: outputSize.height)
        }
        let columns = (0..<outputSize.width).map {
          Self.bin($0, inputSize: width, outputSize: outputSize.width)
        }
        let outputPlane = outputSize.height * outputSize.width
        let inputGradient = outputGradient.contiguous().withUnsafeBufferPointer { dy in
          Tensor(shape: shape) { dx in
            guard let dy = dy.baseAddress, let dx = dx.baseAddress else { return }
            dx.initialize(repeating: 0, count: shape.reduce(1, *))
            ComputeThreads.parallelFor(shape[0] * shape[1]) { plane in
              let source = dy + plane * outputPlane
              let target = dx + plane * height * width
              for (i, rowBin) in rows.enumerated() {
                for (j, columnBin) in columns.enumerated() {
                  let share =
                    source[i * columns.count + j]
                    / Float(rowBin.count * columnBin.count)
                  for r in rowBin {
                    for c in columnBin { target[r * width + c] += share }
                  }
                }
              }
            }
          }
        }
        return (inputGradient, ParameterGradients())
      }
    )
  }

  private func checkedSize(_ shape: [Int]) -> (Int, Int) {
    precondition(
      shape.count == 4 && shape[2] >= 1 && shape[3] >= 1,
      "Adaptive average pooling needs an input [N, C, H, W] with H, W ≥ 1, not \(shape).")
    return (shape[2], shape[3])
  }
}
