import Tensor

/// The per-channel affine map from [0, 1] pixels to the network's input: `y = scale·x + shift`.
///
/// Covers torchvision's `(x − mean) / std` and TensorFlow's `(255·x − 127) / 128`.
public struct Normalization: Sendable, Hashable {
  /// Per-channel multipliers.
  public var scale: [Float]
  /// Per-channel offsets.
  public var shift: [Float]

  /// `y = scale·x + shift`, one entry per channel.
  public init(scale: [Float], shift: [Float]) {
    precondition(scale.count == shift.count, "Scale and shift must have one entry per channel.")
    self.scale = scale
    self.shift = shift
  }

  /// `(x − mean) / std` per channel.
  public init(mean: [Float], standardDeviation: [Float]) {
    precondition(mean.count == standardDeviation.count, "Mean and std must match.")
    self.init(
      scale: standardDeviation.map { 1 / $0 },
      shift: zip(mean, standardDeviation).map { -$0 / $1 })
  }

  /// torchvision's ImageNet statistics: mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).
  public static let imageNet = Normalization(
    mean: [0.485, 0.456, 0.406], standardDeviation: [0.229, 0.224, 0.225])

  /// TensorFlow EfficientNet-Lite's `(255·x − 127) / 128`.
  public static let efficientNetLite = Normalization(
    scale: [255.0 / 128, 255.0 / 128, 255.0 / 128], shift: [-127.0 / 128, -127.0 / 128, -127.0 / 128])

  /// The identity (a network that takes [0, 1] pixels as they are).
  public static let identity = Normalization(scale: [1, 1, 1], shift: [0, 0, 0])

  /// Applies the map to `[N, C, H, W]` images: one pass, `(x · scale) + shift` rounded after
  /// the product as two separate tensor operations would be, in parallel over the images.
  ///
  /// - Complexity: O(N·C·H·W).
  public func callAsFunction(_ images: Tensor) -> Tensor {
    let channels = images.shape[1]
    precondition(channels == scale.count, "Normalisation has \(scale.count) channels, images \(channels).")
    let (scale, shift) = (self.scale, self.shift)
    let plane = images.shape.dropFirst(2).reduce(1, *)
    let planes = images.count / Swift.max(plane, 1)
    return images.withUnsafeBufferPointer { source in
      Tensor(shape: images.shape) { target in
        guard let x = source.baseAddress, let y = target.baseAddress else { return }
        let output = NormalizationTarget(y)
        ComputeThreads.parallelFor(images.shape[0]) { n in
          for p in (n * channels)..<Swift.min((n + 1) * channels, planes) {
            let (a, b) = (scale[p % channels], shift[p % channels])
            let (from, to) = (x + p * plane, output.pointer + p * plane)
            for k in 0..<plane {
              let product = from[k] * a
              to[k] = product + b
            }
          }
        }
      }
    }
  }

  /// The gradient with respect to the pixels given the gradient with respect to the output.
  public func backward(_ outputGradient: Tensor) -> Tensor {
    outputGradient * Tensor(shape: [1, scale.count, 1, 1], scalars: scale)
  }
}

/// The output of a parallel normalisation, whose iterations write disjoint images.
private struct NormalizationTarget: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Float>
  init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}
