import Tensor

/// A segmentation of an `H × W` image into superpixels: one label per pixel, the labels being
/// exactly `0..<count` (every label used). LIME hides and shows these regions; Captum calls the
/// same thing a `feature_mask`.
public struct SuperpixelMap: Sendable, Hashable {
  /// Image height in pixels.
  public let height: Int
  /// Image width in pixels.
  public let width: Int
  /// The label of each pixel, row-major, in `0..<count`.
  public let labels: [Int32]
  /// The number of superpixels.
  public let count: Int

  /// A map from labels that may be any integers (e.g. a `.npy` from scikit-image, possibly not
  /// starting at 0 or with gaps): they are renumbered to `0..<count` in order of first appearance
  /// in row-major order.
  ///
  /// - Throws: `SegmentationError.wrongLabelCount` when `labels.count != height · width`,
  ///   `SegmentationError.emptyImage` when either side is 0.
  public init(height: Int, width: Int, labels: [Int]) throws {
    guard height > 0, width > 0 else { throw SegmentationError.emptyImage }
    guard labels.count == height * width else {
      throw SegmentationError.wrongLabelCount(expected: height * width, found: labels.count)
    }
    var renumbered = [Int: Int32]()
    var result = [Int32](repeating: 0, count: labels.count)
    for (index, label) in labels.enumerated() {
      if let existing = renumbered[label] {
        result[index] = existing
      } else {
        let next = Int32(renumbered.count)
        renumbered[label] = next
        result[index] = next
      }
    }
    self.height = height
    self.width = width
    self.labels = result
    self.count = renumbered.count
  }

  /// A map from an integer-valued tensor `[H, W]` (as read from a `.npy` segmentation).
  ///
  /// - Throws: `SegmentationError.wrongShape` unless rank 2, `.nonIntegerLabel` for a value that
  ///   is not a finite integer.
  public init(_ tensor: Tensor) throws {
    guard tensor.rank == 2 else { throw SegmentationError.wrongShape(tensor.shape) }
    var labels = [Int]()
    labels.reserveCapacity(tensor.count)
    for value in tensor.contiguous().scalars {
      guard value.isFinite, value == value.rounded(), Swift.abs(value) < 16_777_216 else {
        throw SegmentationError.nonIntegerLabel(value)
      }
      labels.append(Int(value))
    }
    try self.init(height: tensor.shape[0], width: tensor.shape[1], labels: labels)
  }

  /// The labels as a `[H, W]` float tensor (for saving as `.npy` or drawing).
  public var tensor: Tensor {
    Tensor(shape: [height, width], scalars: labels.map { Float($0) })
  }

  /// The number of pixels of each superpixel.
  public var sizes: [Int] {
    var sizes = [Int](repeating: 0, count: count)
    for label in labels { sizes[Int(label)] += 1 }
    return sizes
  }

  /// `true` where a pixel's right or lower neighbour has another label (scikit-image's
  /// `find_boundaries(mode: "thick")` restricted to one side): the outline drawn over LIME pictures.
  public var boundaries: [Bool] {
    var result = [Bool](repeating: false, count: labels.count)
    for row in 0..<height {
      for column in 0..<width {
        let index = row * width + column
        let label = labels[index]
        if column + 1 < width, labels[index + 1] != label {
          result[index] = true
          result[index + 1] = true
        }
        if row + 1 < height, labels[index + width] != label {
          result[index] = true
          result[index + width] = true
        }
      }
    }
    return result
  }
}

/// Splits an image into superpixels (quickshift, SLIC, a regular grid, ...).
public protocol Segmenter: Sendable {
  /// The superpixels of `image` `[3, H, W]` with values in [0, 1].
  ///
  /// - Throws: `SegmentationError` for a wrong shape, non-finite values or bad parameters.
  func segment(_ image: Tensor) throws -> SuperpixelMap
}

/// Errors from building or computing a segmentation.
public enum SegmentationError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The image has no pixels.
  case emptyImage
  /// The label array does not have one entry per pixel.
  case wrongLabelCount(expected: Int, found: Int)
  /// A tensor of the wrong rank or channel count was given.
  case wrongShape([Int])
  /// A segmentation value that is not an integer.
  case nonIntegerLabel(Float)
  /// The image holds NaN or infinite values.
  case nonFiniteInput
  /// A parameter is outside its valid range.
  case invalidParameter(String)
  /// The segmentation's size differs from the image's.
  case sizeMismatch(segmentation: [Int], image: [Int])

  public var description: String {
    switch self {
    case .emptyImage: return "The image has no pixels."
    case .wrongLabelCount(let expected, let found):
      return "A segmentation needs one label per pixel: \(expected) expected, \(found) given."
    case .wrongShape(let shape): return "A segmentation must be [H, W], not \(shape)."
    case .nonIntegerLabel(let value): return "Segmentation label \(value) is not an integer."
    case .nonFiniteInput: return "The image holds NaN or infinite values."
    case .invalidParameter(let message): return "Invalid parameter: \(message)"
    case .sizeMismatch(let segmentation, let image):
      return "The segmentation is \(segmentation) but the image is \(image)."
    }
  }
}

extension SuperpixelMap {
  /// A map from labels that are indices in `0..<height·width` (e.g. quickshift roots), renumbered
  /// to `0..<count` in row-major order of first appearance, in O(H·W).
  init(height: Int, width: Int, compactLabels labels: [Int32]) {
    precondition(labels.count == height * width, "One label per pixel is needed.")
    var renumbered = [Int32](repeating: -1, count: labels.count)
    var result = [Int32](repeating: 0, count: labels.count)
    var next: Int32 = 0
    for (index, label) in labels.enumerated() {
      let key = Int(label)
      if renumbered[key] < 0 {
        renumbered[key] = next
        next += 1
      }
      result[index] = renumbered[key]
    }
    self.init(uncheckedHeight: height, width: width, labels: result, count: Int(next))
  }

  /// A map whose labels are already exactly `0..<count`, row-major first appearance.
  init(uncheckedHeight height: Int, width: Int, labels: [Int32], count: Int) {
    self.height = height
    self.width = width
    self.labels = labels
    self.count = count
  }
}
