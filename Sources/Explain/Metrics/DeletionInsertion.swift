import Models
import Tensor

/// The deletion and insertion games of Petsiuk et al. (RISE, BMVC 2018): a faithfulness score of
/// an attribution map that needs no ground truth.
///
/// Pixels are ranked by the map, most important first. *Deletion* starts from the image and
/// replaces the ranked pixels, a fraction at a time, by the `deletionBaseline` (black by
/// default); a faithful map makes the target's probability fall fast, so a **low** area under the
/// curve is good. *Insertion* starts from the `insertionBaseline` (a Gaussian blur of the image
/// with σ = 5 pixels by default, as RISE's reference code) and puts the ranked pixels back; a
/// faithful map makes the probability rise fast, so a **high** area is good. A pixel is the
/// three channels of one position.
///
/// ```swift
/// let metric = DeletionInsertion(classifier: classifier, steps: 56)
/// let map = try GradCAM(classifier: classifier).map(image, target: 967)
/// let deletion = try metric.deletion(image, map: map, target: 967)    // deletion.areaUnderCurve
/// let insertion = try metric.insertion(image, map: map, target: 967)
/// ```
///
/// The probabilities are the softmax of the classifier's logits. The `steps + 1` images of one
/// curve are classified in batches of `batchSize`, which bounds the memory.
public struct DeletionInsertion: Sendable {
  /// What replaces deleted pixels, or what the insertion starts from.
  public enum Baseline: Sendable, Hashable {
    /// Every channel set to this value (0 is black).
    case constant(Float)
    /// The image blurred by a Gaussian of this standard deviation in pixels (kernel radius 3σ,
    /// edges clamped).
    case blurred(sigma: Float)
  }

  /// The classifier whose probabilities are measured.
  public let classifier: any ImageClassifier
  /// The number of increments: pixels change in `steps` equal groups (the last may be smaller).
  public let steps: Int
  /// Images per forward pass.
  public let batchSize: Int
  /// What deleted pixels become.
  public let deletionBaseline: Baseline
  /// What the insertion starts from.
  public let insertionBaseline: Baseline

  /// - Parameters:
  ///   - steps: increments along the curve (RISE uses one row of pixels, 224, per step; 56
  ///     steps of 896 pixels change the area by less than 1% on Lite0 and cost a quarter).
  ///   - batchSize: images per forward pass, ≥ 1.
  public init(
    classifier: any ImageClassifier, steps: Int = 56, batchSize: Int = 16,
    deletionBaseline: Baseline = .constant(0), insertionBaseline: Baseline = .blurred(sigma: 5)
  ) {
    self.classifier = classifier
    self.steps = steps
    self.batchSize = batchSize
    self.deletionBaseline = deletionBaseline
    self.insertionBaseline = insertionBaseline
  }

  /// The deletion curve of `map` `[H, W]` for `image` `[3, H, W]` and class `target`.
  ///
  /// - Throws: `AttributionError` for a wrong shape, target, non-finite values or bad parameters.
  /// - Complexity: `steps + 1` forward passes.
  public func deletion(
    _ image: Tensor, map: Tensor, target: Int, progress: ProgressHandler = WorkProgress.ignore
  ) throws -> FaithfulnessCurve {
    try curve(
      image, order: try PixelRanking.descending(map, image: image), target: target,
      start: image, end: try baseline(deletionBaseline, for: image), stage: "deletion",
      progress: progress)
  }

  /// The insertion curve of `map` `[H, W]` for `image` `[3, H, W]` and class `target`.
  ///
  /// - Throws: `AttributionError` for a wrong shape, target, non-finite values or bad parameters.
  /// - Complexity: `steps + 1` forward passes.
  public func insertion(
    _ image: Tensor, map: Tensor, target: Int, progress: ProgressHandler = WorkProgress.ignore
  ) throws -> FaithfulnessCurve {
    try curve(
      image, order: try PixelRanking.descending(map, image: image), target: target,
      start: try baseline(insertionBaseline, for: image), end: image, stage: "insertion",
      progress: progress)
  }

  /// The curve obtained by moving the pixels of `order` (flat indices `row · W + column`, most
  /// important first, each at most once) from `start` to `end`, `steps` groups at a time: point
  /// `t` is the target's probability after the first `⌈t · HW / steps⌉` pixels moved. Deletion is
  /// `start = image, end = baseline`; insertion the reverse. Pixels not in `order` never move.
  ///
  /// - Throws: `AttributionError` for wrong shapes, a target out of range, non-finite values,
  ///   or an `order` holding an index twice or outside the image.
  public func curve(
    _ image: Tensor, order: [Int], target: Int, start: Tensor, end: Tensor,
    stage: String = "curve", progress: ProgressHandler = WorkProgress.ignore
  ) throws -> FaithfulnessCurve {
    try AttributionInput.validate(image, target: target, classifier: classifier)
    guard steps >= 1, batchSize >= 1 else {
      throw AttributionError.invalidParameter(
        "steps (\(steps)) and batchSize (\(batchSize)) must be at least 1.")
    }
    for other in [start, end] {
      guard other.shape == image.shape else {
        throw AttributionError.wrongImageShape(expected: image.shape, found: other.shape)
      }
      guard other.contiguous().scalars.allSatisfy(\.isFinite) else {
        throw AttributionError.nonFiniteInput
      }
    }
    let (height, width) = (image.shape[1], image.shape[2])
    let plane = height * width
    var seen = [Bool](repeating: false, count: plane)
    for index in order {
      guard (0..<plane).contains(index), !seen[index] else {
        throw AttributionError.invalidParameter(
          "pixel order must list distinct indices in 0..<\(plane); \(index) is not valid.")
      }
      seen[index] = true
    }

    let startValues = start.contiguous().scalars
    let endValues = end.contiguous().scalars
    // Pixels moved before point t: counts[t], t = 0...steps.
    let counts = (0...steps).map { min(order.count, ($0 * plane + steps - 1) / steps) }
    var probabilities = [Float]()
    probabilities.reserveCapacity(steps + 1)
    var current = startValues
    var moved = 0
    var point = 0
    while point <= steps {
      let rows = min(batchSize, steps + 1 - point)
      var batch = [Float]()
      batch.reserveCapacity(rows * 3 * plane)
      for t in point..<(point + rows) {
        while moved < counts[t] {
          let pixel = order[moved]
          for channel in 0..<3 { current[channel * plane + pixel] = endValues[channel * plane + pixel] }
          moved += 1
        }
        batch += current
      }
      let logits = classifier.logits(Tensor(shape: [rows, 3, height, width], scalars: batch))
      let softmax = logits.softmax(alongAxis: 1).contiguous().scalars
      let classCount = logits.shape[1]
      for row in 0..<rows { probabilities.append(softmax[row * classCount + target]) }
      point += rows
      progress(WorkProgress(stage: stage, completed: point, total: steps + 1))
    }
    let fractions = counts.map { Double($0) / Double(plane) }
    return FaithfulnessCurve(fractions: fractions, probabilities: probabilities)
  }

  /// The baseline image for `image`.
  func baseline(_ baseline: Baseline, for image: Tensor) throws -> Tensor {
    switch baseline {
    case .constant(let value):
      guard value.isFinite else { throw AttributionError.nonFiniteInput }
      return Tensor(shape: image.shape, repeating: value)
    case .blurred(let sigma):
      guard sigma > 0, sigma.isFinite else {
        throw AttributionError.invalidParameter("blur sigma must be positive, not \(sigma).")
      }
      return GaussianBlur(sigma: sigma).apply(image)
    }
  }
}

/// A deletion or insertion curve: the target probability after each increment.
public struct FaithfulnessCurve: Sendable, Hashable, Codable {
  /// The fraction of pixels moved at each point, from 0 to 1.
  public let fractions: [Double]
  /// The target's softmax probability at each point.
  public let probabilities: [Float]

  /// The area under the curve by the trapezoidal rule over the fractions (in [0, 1]).
  public var areaUnderCurve: Double {
    var area = 0.0
    for index in 1..<fractions.count {
      let width = fractions[index] - fractions[index - 1]
      area += width * Double(probabilities[index] + probabilities[index - 1]) / 2
    }
    return area
  }
}

/// Orders of pixels for the deletion and insertion games.
public enum PixelRanking {
  /// Flat pixel indices of `map` `[H, W]` from the largest value to the smallest; ties keep the
  /// row-major order, so the ranking is deterministic.
  ///
  /// - Throws: `AttributionError` when `map` is not `[H, W]` with the image's size, or not finite.
  public static func descending(_ map: Tensor, image: Tensor) throws -> [Int] {
    let expected = Array(image.shape.suffix(2))
    guard map.shape == expected else {
      throw AttributionError.wrongImageShape(expected: expected, found: map.shape)
    }
    let values = map.contiguous().scalars
    guard values.allSatisfy(\.isFinite) else { throw AttributionError.nonFiniteInput }
    return values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
  }

  /// A uniformly random permutation of the `count` pixels (the chance-level control).
  public static func random<G: RandomNumberGenerator>(count: Int, using generator: inout G) -> [Int] {
    Array(0..<count).shuffled(using: &generator)
  }
}
