import Foundation
import Tensor

/// A separable Gaussian blur of each channel of `[C, H, W]` images, edges clamped (the insertion
/// game's baseline).
struct GaussianBlur: Sendable {
  /// The standard deviation in pixels.
  let sigma: Float

  /// The normalised 1-D kernel, radius `⌈3σ⌉`.
  var kernel: [Float] {
    let radius = Int((3 * sigma).rounded(.up))
    let weights = (-radius...radius).map { offset -> Float in
      let x = Float(offset)
      return Float(exp(Double(-(x * x) / (2 * sigma * sigma))))
    }
    let total = weights.reduce(0, +)
    return weights.map { $0 / total }
  }

  /// `image` `[C, H, W]` blurred along rows, then columns.
  ///
  /// - Complexity: O(C · H · W · σ).
  func apply(_ image: Tensor) -> Tensor {
    precondition(image.rank == 3, "GaussianBlur needs [C, H, W], not \(image.shape).")
    let (channels, height, width) = (image.shape[0], image.shape[1], image.shape[2])
    let weights = kernel
    let radius = weights.count / 2
    let input = image.contiguous().scalars
    var horizontal = [Float](repeating: 0, count: input.count)
    var output = [Float](repeating: 0, count: input.count)
    for channel in 0..<channels {
      let base = channel * height * width
      for row in 0..<height {
        for column in 0..<width {
          var sum: Float = 0
          for (k, weight) in weights.enumerated() {
            let source = min(max(column + k - radius, 0), width - 1)
            sum += weight * input[base + row * width + source]
          }
          horizontal[base + row * width + column] = sum
        }
      }
      for row in 0..<height {
        for column in 0..<width {
          var sum: Float = 0
          for (k, weight) in weights.enumerated() {
            let source = min(max(row + k - radius, 0), height - 1)
            sum += weight * horizontal[base + source * width + column]
          }
          output[base + row * width + column] = sum
        }
      }
    }
    return Tensor(shape: image.shape, scalars: output)
  }
}
