import Models
import Tensor

/// SmoothGrad (Smilkov et al. 2017): the gradient averaged over noisy copies of the image,
///
///     plain:   a = (1/n) Σᵢ ∂f_c(x + εᵢ)/∂x,        εᵢ ~ N(0, σ²),
///     squared: a = (1/n) Σᵢ (∂f_c(x + εᵢ)/∂x)²,
///
/// with `σ = noiseLevel · (max(x) − min(x))`. Defaults: `noiseLevel` 0.15 (the paper's 10–20 %
/// range) and `sampleCount` 50, the paper's choice; Captum's `NoiseTunnel` defaults to
/// `nt_samples = 5` and an absolute `stdevs = 1.0`, which is noisier and less smooth.
/// Noise is drawn in sample order from one `SeededGenerator(seed:)`, so the result does not depend
/// on `batchSize` and the same seed gives a bit-identical result.
public struct SmoothGrad: Attribution, Sendable {
  /// How the noisy gradients are combined.
  public enum Variant: Sendable, Hashable {
    /// The mean gradient.
    case plain
    /// The mean squared gradient (Captum's `smoothgrad_sq`).
    case squared
  }

  /// The classifier explained.
  public let classifier: any ImageClassifier
  /// The noise standard deviation as a fraction of the image's value range.
  public let noiseLevel: Float
  /// How many noisy copies are averaged.
  public let sampleCount: Int
  /// How many noisy copies go through the network at once (bounds memory).
  public let batchSize: Int
  /// The seed of the noise.
  public let seed: UInt64
  /// Mean gradient or mean squared gradient.
  public let variant: Variant

  /// - Throws: `AttributionError.invalidParameter` when `noiseLevel` is negative or not finite,
  ///   or `sampleCount` or `batchSize` is below 1.
  public init(
    classifier: any ImageClassifier, noiseLevel: Float = 0.15, sampleCount: Int = 50,
    batchSize: Int = 10, seed: UInt64 = 0, variant: Variant = .plain
  ) throws {
    guard noiseLevel.isFinite, noiseLevel >= 0 else {
      throw AttributionError.invalidParameter(
        "noiseLevel must be finite and ≥ 0, not \(noiseLevel).")
    }
    guard sampleCount >= 1 else {
      throw AttributionError.invalidParameter("sampleCount must be ≥ 1, not \(sampleCount).")
    }
    guard batchSize >= 1 else {
      throw AttributionError.invalidParameter("batchSize must be ≥ 1, not \(batchSize).")
    }
    self.classifier = classifier
    self.noiseLevel = noiseLevel
    self.sampleCount = sampleCount
    self.batchSize = batchSize
    self.seed = seed
    self.variant = variant
  }

  /// The smoothed gradient `[3, H, W]` of logit `target` at `image` `[3, H, W]`.
  ///
  /// - Complexity: `sampleCount` forward and backward passes, in batches of `batchSize`.
  /// - Throws: `AttributionError` for a wrong shape, a target out of range or non-finite pixels.
  public func attribute(_ image: Tensor, target: Int) throws -> Tensor {
    try AttributionInput.validate(image, target: target, classifier: classifier)
    let pixels = image.contiguous().scalars
    let size = pixels.count
    let range = (pixels.max() ?? 0) - (pixels.min() ?? 0)
    let sigma = noiseLevel * range
    var generator = SeededGenerator(seed: seed)
    var total = [Double](repeating: 0, count: size)
    var done = 0
    while done < sampleCount {
      let rows = min(batchSize, sampleCount - done)
      var noisy = [Float](repeating: 0, count: rows * size)
      for row in 0..<rows {
        for index in 0..<size {
          noisy[row * size + index] = pixels[index] + sigma * generator.nextGaussian()
        }
      }
      let batch = Tensor(shape: [rows] + image.shape, scalars: noisy)
      let (_, gradients) = AttributionInput.targetGradients(
        of: classifier, images: batch, target: target)
      for row in 0..<rows {
        for index in 0..<size {
          let g = Double(gradients[row * size + index])
          total[index] += variant == .plain ? g : g * g
        }
      }
      done += rows
    }
    let scale = 1 / Double(sampleCount)
    return Tensor(shape: image.shape, scalars: total.map { Float($0 * scale) })
  }
}
