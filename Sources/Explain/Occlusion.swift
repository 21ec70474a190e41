import Models
import Tensor

/// Occlusion sensitivity (Zeiler & Fergus, ECCV 2014), defined as Captum's `Occlusion`.
///
/// A window of `patch.height × patch.width` pixels, spanning all three channels, slides over the
/// image with `stride`; windows start at `0, s, 2s, …` while they fit, so there are
/// `⌊(H − ph) / sh⌋ + 1` rows and `⌊(W − pw) / sw⌋ + 1` columns of windows. For each window `w`,
/// the image with the window's pixels set to `baseline` is scored, and the drop
/// `d_w = f_c(x) − f_c(x with w replaced)` (logits) is credited to every pixel of the window:
///
///     a[k, i, j] = (Σ_{w ∋ (i, j)} d_w) / #{w ∋ (i, j)}
///
/// Pixels covered by no window (when the stride skips the image's last rows or columns) get 0,
/// where Captum would return NaN (0 / 0).
///
/// - Complexity: `1 + rows · columns` forward passes, in batches of `batchSize`.
public struct Occlusion: Attribution, Sendable {
  /// The classifier explained.
  public let classifier: any ImageClassifier
  /// The window size in pixels.
  public let patch: (height: Int, width: Int)
  /// The step between window origins.
  public let stride: (height: Int, width: Int)
  /// The value the occluded pixels take.
  public let baseline: Float
  /// How many occluded images go through the classifier at once.
  public let batchSize: Int

  /// - Throws: `AttributionError.invalidParameter` for a non-positive patch, stride or batch size,
  ///   or a non-finite baseline.
  public init(
    classifier: any ImageClassifier, patch: (height: Int, width: Int),
    stride: (height: Int, width: Int), baseline: Float = 0, batchSize: Int = 16
  ) throws {
    guard patch.height > 0, patch.width > 0 else {
      throw AttributionError.invalidParameter(
        "The occlusion patch must be positive, not \(patch.height)×\(patch.width).")
    }
    guard stride.height > 0, stride.width > 0 else {
      throw AttributionError.invalidParameter(
        "The occlusion stride must be positive, not \(stride.height)×\(stride.width).")
    }
    guard batchSize > 0 else {
      throw AttributionError.invalidParameter("batchSize must be positive, not \(batchSize).")
    }
    guard baseline.isFinite else {
      throw AttributionError.invalidParameter("The baseline must be finite, not \(baseline).")
    }
    self.classifier = classifier
    self.patch = patch
    self.stride = stride
    self.baseline = baseline
    self.batchSize = batchSize
  }

  /// The occlusion map, `[3, H, W]` (the same plane in every channel, since windows span all
  /// channels).
  ///
  /// - Throws: `AttributionError` for a wrong shape, target or non-finite pixels, and
  ///   `invalidParameter` when the patch is larger than the image.
  public func attribute(_ image: Tensor, target: Int) throws -> Tensor {
    try AttributionInput.validate(image, target: target, classifier: classifier)
    let (height, width) = (image.shape[1], image.shape[2])
    guard patch.height <= height, patch.width <= width else {
      throw AttributionError.invalidParameter(
        "The occlusion patch \(patch.height)×\(patch.width) is larger than the image "
          + "\(height)×\(width).")
    }
    let pixels = image.contiguous().scalars
    let plane = height * width
    var origins: [(row: Int, column: Int)] = []
    for row in Swift.stride(from: 0, through: height - patch.height, by: stride.height) {
      for column in Swift.stride(from: 0, through: width - patch.width, by: stride.width) {
        origins.append((row, column))
      }
    }
    let reference = classifier.logits(image.expandingShape(at: 0))
    let classCount = reference.shape[1]
    let original = reference.contiguous().scalars[target]
    var total = [Float](repeating: 0, count: plane)
    var count = [Float](repeating: 0, count: plane)
    var start = 0
    while start < origins.count {
      let batch = origins[start..<Swift.min(start + batchSize, origins.count)]
      var scalars = [Float]()
      scalars.reserveCapacity(batch.count * 3 * plane)
      for origin in batch {
        var occluded = pixels
        for channel in 0..<3 {
          for i in origin.row..<(origin.row + patch.height) {
            let rowBase = channel * plane + i * width
            for j in origin.column..<(origin.column + patch.width) {
              occluded[rowBase + j] = baseline
            }
          }
        }
        scalars.append(contentsOf: occluded)
      }
      let logits = classifier.logits(
        Tensor(shape: [batch.count, 3, height, width], scalars: scalars)
      ).contiguous().scalars
      for (offset, origin) in batch.enumerated() {
        let difference = original - logits[offset * classCount + target]
        for i in origin.row..<(origin.row + patch.height) {
          for j in origin.column..<(origin.column + patch.width) {
            total[i * width + j] += difference
            count[i * width + j] += 1
          }
        }
      }
      start += batch.count
    }
    let map = zip(total, count).map { $1 > 0 ? $0 / $1 : 0 }
    return Tensor(shape: [3, height, width], scalars: map + map + map)
  }
}
