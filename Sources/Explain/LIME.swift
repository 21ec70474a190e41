import Foundation
import Models
import Tensor

/// LIME for images (Ribeiro, Singh & Guestrin, "Why Should I Trust You?", KDD 2016), with the
/// defaults of the reference `lime` package (`lime_image.LimeImageExplainer.explain_instance`
/// and `lime_base.LimeBase.explain_instance_with_data`).
///
/// 1. Split the image into superpixels (a given `SuperpixelMap`, or a `Segmenter` such as
///    quickshift).
/// 2. Draw `sampleCount` binary masks over the superpixels, i.i.d. Bernoulli(0.5), the first all
///    ones. A hidden superpixel takes its mean colour (or a given colour).
/// 3. Score every perturbed image: softmax probabilities, in batches of `batchSize`.
/// 4. Weight sample `i` by `√exp(−dᵢ² / width²)`, `dᵢ` the cosine distance between its mask and
///    the all-ones mask (`1 − √(kᵢ / n)` for `kᵢ` of `n` superpixels shown).
/// 5. For each explained class, select features (`LIMEFeatureSelection`, all of them by default)
///    and fit a weighted ridge regression (`α = 1`, intercept; `WeightedRidge`) of the class
///    probability on the masks: one coefficient per superpixel, the intercept, the weighted R²
///    and the local prediction for the unperturbed image.
///
/// ```swift
/// let lime = try LIME(classifier: classifier, segmentation: .map(superpixels), seed: 7)
/// let explanation = try lime.explain(image)              // the top 5 classes
/// let best = explanation.labels[0].topPositive(5)        // superpixels to keep in the picture
/// ```
///
/// The same seed gives bit-identical results on any number of threads: the masks are drawn on the
/// calling thread before any parallel work, and the perturbed images of a batch are independent.
///
/// - Complexity: `sampleCount` forward passes (in `⌈sampleCount / batchSize⌉` batches) plus one
///   ridge fit, O(sampleCount · n² + n³) for `n` superpixels, shared by all classes.
public struct LIME: Attribution, Sendable {
  /// Where the superpixels come from.
  public enum Segmentation: Sendable {
    /// A fixed segmentation (Captum's `feature_mask`); it must match the image's size.
    case map(SuperpixelMap)
    /// A segmentation computed from each explained image.
    case segmenter(any Segmenter)
  }

  /// What a hidden superpixel shows.
  public enum Fill: Sendable, Hashable {
    /// The superpixel's mean colour (lime_image's `hide_color=None`).
    case meanColor
    /// One colour for every hidden pixel, components in the image's value range (`hide_color`).
    case color(red: Float, green: Float, blue: Float)
  }

  /// Which classes get a local model.
  public enum Labels: Sendable, Hashable {
    /// The `k` most probable classes of the unperturbed image, most probable first
    /// (lime_image's `top_labels`, default 5).
    case top(Int)
    /// These classes, in this order.
    case given([Int])
  }

  /// The classifier explained.
  public let classifier: any ImageClassifier
  /// The superpixels.
  public let segmentation: Segmentation
  /// What hidden superpixels show.
  public let fill: Fill
  /// The number of perturbation samples, the first being the unperturbed image.
  public let sampleCount: Int
  /// The width of the exponential kernel on cosine distances.
  public let kernelWidth: Double
  /// The ridge penalty `α` of the explanation model.
  public let regularization: Double
  /// Which superpixels enter the explanation model.
  public let featureSelection: LIMEFeatureSelection
  /// How many perturbed images go through the classifier at once (bounds memory to
  /// `batchSize · 3 · H · W` floats).
  public let batchSize: Int
  /// The seed of the masks.
  public let seed: UInt64

  /// - Parameters:
  ///   - classifier: the network explained.
  ///   - segmentation: a fixed `SuperpixelMap` or a `Segmenter`.
  ///   - fill: `.meanColor` (default) or a constant colour.
  ///   - sampleCount: perturbation samples, default 1000.
  ///   - kernelWidth: default 0.25.
  ///   - regularization: the ridge `α`, default 1.
  ///   - featureSelection: default `.auto(maxFeatures: 100_000)` (every superpixel).
  ///   - batchSize: default 32.
  ///   - seed: default 0.
  /// - Throws: `AttributionError.invalidParameter` for a non-positive sample count, batch size or
  ///   kernel width, a negative or non-finite penalty, or a non-finite fill colour.
  public init(
    classifier: any ImageClassifier, segmentation: Segmentation, fill: Fill = .meanColor,
    sampleCount: Int = 1000, kernelWidth: Double = 0.25, regularization: Double = 1,
    featureSelection: LIMEFeatureSelection = .limeImageDefault, batchSize: Int = 32,
    seed: UInt64 = 0
  ) throws {
    guard sampleCount > 0 else {
      throw AttributionError.invalidParameter("sampleCount must be positive, not \(sampleCount).")
    }
    guard batchSize > 0 else {
      throw AttributionError.invalidParameter("batchSize must be positive, not \(batchSize).")
    }
    guard kernelWidth > 0, kernelWidth.isFinite else {
      throw AttributionError.invalidParameter(
        "The kernel width must be positive and finite, not \(kernelWidth).")
    }
    guard regularization >= 0, regularization.isFinite else {
      throw AttributionError.invalidParameter(
        "The ridge penalty must be finite and ≥ 0, not \(regularization).")
    }
    if case .color(let red, let green, let blue) = fill {
      guard red.isFinite, green.isFinite, blue.isFinite else {
        throw AttributionError.invalidParameter("The fill colour must be finite.")
      }
    }
    self.classifier = classifier
    self.segmentation = segmentation
    self.fill = fill
    self.sampleCount = sampleCount
    self.kernelWidth = kernelWidth
    self.regularization = regularization
    self.featureSelection = featureSelection
    self.batchSize = batchSize
    self.seed = seed
  }

  /// Explains the classifier's answer for `image` `[3, H, W]` in [0, 1].
  ///
  /// - Parameters:
  ///   - labels: the classes to explain; default the top 5.
  ///   - progress: receives `"LIME samples"` after every batch, from the calling thread.
  /// - Throws: `AttributionError` for a wrong image shape, non-finite pixels or a class out of
  ///   range; `SegmentationError` from the segmenter or for a map of another size;
  ///   `LinearAlgebraError` if the regression cannot be solved.
  public func explain(
    _ image: Tensor, labels: Labels = .top(5), progress: ProgressHandler = WorkProgress.ignore
  ) throws -> LIMEExplanation {
    let expected = [3, classifier.inputSize.height, classifier.inputSize.width]
    guard image.shape == expected else {
      throw AttributionError.wrongImageShape(expected: expected, found: image.shape)
    }
    let pixels = image.scalars
    guard pixels.allSatisfy({ $0.isFinite }) else { throw AttributionError.nonFiniteInput }
    let classCount = classifier.classNames.count
    if case .given(let given) = labels {
      for label in given where !(0..<classCount).contains(label) {
        throw AttributionError.targetOutOfRange(target: label, classCount: classCount)
      }
    }
    let superpixels = try superpixels(of: image)
    let featureCount = superpixels.count
    let masks = LIME.masks(sampleCount: sampleCount, featureCount: featureCount, seed: seed)
    let probabilities = perturbedProbabilities(
      pixels, superpixels: superpixels, masks: masks, progress: progress)
    let classes = probabilities.count / sampleCount
    let original = Array(probabilities[0..<classes])
    let explained: [Int]
    switch labels {
    case .given(let given): explained = given
    case .top(let k):
      explained = Array(
        original.indices.sorted { original[$0] > original[$1] || (original[$0] == original[$1] && $0 < $1) }
          .prefix(Swift.max(0, k)))
    }
    let distances = LIME.cosineDistances(masks: masks, featureCount: featureCount)
    let weights = LIME.kernelWeights(distances: distances, width: kernelWidth)
    let targets = explained.map { label in
      (0..<sampleCount).map { Double(probabilities[$0 * classes + label]) }
    }
    let models = try LIME.fit(
      masks: masks, featureCount: featureCount, weights: weights, targets: targets,
      labels: explained, featureSelection: featureSelection, regularization: regularization)
    return LIMEExplanation(
      segmentation: superpixels, masks: masks, distances: distances, weights: weights,
      probabilities: original, labels: models)
  }

  /// The LIME coefficient map for `target`, `[3, H, W]`: every pixel (in all three channels)
  /// holds its superpixel's coefficient. Only `target` is fitted; for the same seed its
  /// coefficients equal those of `explain(image, labels: .given([target]))`.
  ///
  /// - Throws: as `explain`.
  public func attribute(_ image: Tensor, target: Int) throws -> Tensor {
    let map = try explain(image, labels: .given([target])).coefficientMap(for: target)
    return Tensor.stack([map, map, map])
  }

  // MARK: Stages

  /// The segmentation of `image`, checked against its size.
  func superpixels(of image: Tensor) throws -> SuperpixelMap {
    let map: SuperpixelMap
    switch segmentation {
    case .map(let given): map = given
    case .segmenter(let segmenter): map = try segmenter.segment(image)
    }
    guard map.height == image.shape[1], map.width == image.shape[2] else {
      throw SegmentationError.sizeMismatch(
        segmentation: [map.height, map.width], image: Array(image.shape.dropFirst()))
    }
    return map
  }

  /// `sampleCount × featureCount` indicators, row-major: row 0 all ones, every other entry the top
  /// bit of one draw of a `SeededGenerator(seed:)`, row by row (i.i.d. Bernoulli(0.5)).
  ///
  /// - Complexity: O(sampleCount · featureCount).
  public static func masks(sampleCount: Int, featureCount: Int, seed: UInt64) -> [UInt8] {
    precondition(sampleCount >= 0 && featureCount >= 0, "Mask counts cannot be negative.")
    var generator = SeededGenerator(seed: seed)
    var masks = [UInt8](repeating: 1, count: sampleCount * featureCount)
    for index in Swift.min(featureCount, masks.count)..<masks.count {
      masks[index] = UInt8(truncatingIfNeeded: generator.next() >> 63)
    }
    return masks
  }

  /// The cosine distance of each mask row to the all-ones row, `1 − k / (√k · √n)` for `k` ones
  /// of `n` (scikit-learn's `pairwise_distances(metric="cosine")`, which gives 1 for an empty
  /// mask).
  public static func cosineDistances(masks: [UInt8], featureCount: Int) -> [Double] {
    precondition(featureCount > 0 && masks.count % featureCount == 0, "The masks are not rows of \(featureCount).")
    let n = Double(featureCount)
    return stride(from: 0, to: masks.count, by: featureCount).map { start in
      var shown = 0
      for index in start..<(start + featureCount) where masks[index] != 0 { shown += 1 }
      if shown == 0 { return 1 }
      let k = Double(shown)
      return Swift.min(Swift.max(1 - k / (k.squareRoot() * n.squareRoot()), 0), 2)
    }
  }

  /// lime_image's kernel `√exp(−d² / width²)` of each distance.
  public static func kernelWeights(distances: [Double], width: Double) -> [Double] {
    distances.map { (Foundation.exp(-($0 * $0) / (width * width))).squareRoot() }
  }

  /// The regression stage (`LimeBase.explain_instance_with_data` for each label): feature
  /// selection, then a weighted ridge fit of each target on the masks.
  ///
  /// - Parameters:
  ///   - masks: `S × featureCount` indicators, row-major, row 0 the explained instance.
  ///   - weights: `S` sample weights (kernel of the distances).
  ///   - targets: per label, the `S` class probabilities of the samples.
  ///   - labels: the class index of each target.
  /// - Returns: one explanation per label; `probability` is the target of row 0.
  /// - Throws: `LinearAlgebraError` when a system cannot be solved.
  public static func fit(
    masks: [UInt8], featureCount: Int, weights: [Double], targets: [[Double]], labels: [Int],
    featureSelection: LIMEFeatureSelection = .limeImageDefault, regularization: Double = 1
  ) throws -> [LIMELabelExplanation] {
    precondition(targets.count == labels.count, "One label per target vector.")
    let data = RegressionData(
      rows: weights.count, columns: featureCount, values: masks.map(Double.init), weights: weights)
    // Selections differ per label; labels sharing a selection share one factorisation.
    let selections = try targets.map { try featureSelection.select(data, targets: $0) }
    var models = [WeightedRidge?](repeating: nil, count: targets.count)
    var done = Set<Int>()
    for index in targets.indices where !done.contains(index) {
      let group = targets.indices.filter { !done.contains($0) && selections[$0] == selections[index] }
      let columns = selections[index].sorted()
      let fitted = try WeightedRidge.fit(
        data.selectingColumns(columns), targets: group.map { targets[$0] }, alpha: regularization)
      for (member, model) in zip(group, fitted) {
        var full = [Double](repeating: 0, count: featureCount)
        for (column, coefficient) in zip(columns, model.coefficients) { full[column] = coefficient }
        models[member] = WeightedRidge(coefficients: full, intercept: model.intercept)
        done.insert(member)
      }
    }
    return targets.indices.map { index in
      let model = models[index]!
      let first = weights.isEmpty ? [] : Array(data.row(0))
      return LIMELabelExplanation(
        label: labels[index], coefficients: model.coefficients, selected: selections[index],
        intercept: model.intercept, score: model.score(data, targets: targets[index]),
        localPrediction: weights.isEmpty ? model.intercept : model.predict(first),
        probability: targets[index].first ?? 0)
    }
  }

  /// The image every hidden pixel is taken from, `3 · H · W` values.
  func fillImage(_ pixels: [Float], superpixels: SuperpixelMap) -> [Float] {
    let plane = superpixels.height * superpixels.width
    switch fill {
    case .color(let red, let green, let blue):
      return [Float](repeating: red, count: plane) + [Float](repeating: green, count: plane)
        + [Float](repeating: blue, count: plane)
    case .meanColor:
      var sums = [Double](repeating: 0, count: 3 * superpixels.count)
      for index in 0..<plane {
        let label = Int(superpixels.labels[index])
        for channel in 0..<3 {
          sums[channel * superpixels.count + label] += Double(pixels[channel * plane + index])
        }
      }
      let sizes = superpixels.sizes
      var result = [Float](repeating: 0, count: 3 * plane)
      for index in 0..<plane {
        let label = Int(superpixels.labels[index])
        for channel in 0..<3 {
          result[channel * plane + index] =
            Float(sums[channel * superpixels.count + label] / Double(sizes[label]))
        }
      }
      return result
    }
  }

  /// Softmax probabilities of every perturbed image, `sampleCount × K` values, row-major.
  func perturbedProbabilities(
    _ pixels: [Float], superpixels: SuperpixelMap, masks: [UInt8], progress: ProgressHandler
  ) -> [Float] {
    let source = PerturbationSource(
      pixels: pixels, filled: fillImage(pixels, superpixels: superpixels),
      labels: superpixels.labels, masks: masks)
    let (height, width) = (superpixels.height, superpixels.width)
    let plane = height * width
    let featureCount = superpixels.count
    var probabilities = [Float]()
    var start = 0
    progress(WorkProgress(stage: "LIME samples", completed: 0, total: sampleCount))
    while start < sampleCount {
      let count = Swift.min(batchSize, sampleCount - start)
      let batch = Tensor(shape: [count, 3, height, width], unsafeUninitializedCapacity: { buffer in
        let output = UncheckedBuffer(buffer)
        ComputeThreads.parallelFor(count) { offset in
          let maskStart = (start + offset) * featureCount
          source.compose(
            into: output.buffer.baseAddress! + offset * 3 * plane,
            mask: maskStart..<(maskStart + featureCount))
        }
      })
      let logits = classifier.logits(batch)
      probabilities.append(contentsOf: logits.softmax(alongAxis: 1).scalars)
      start += count
      progress(WorkProgress(stage: "LIME samples", completed: start, total: sampleCount))
    }
    return probabilities
  }
}

/// What a perturbed image is made of, held as contiguous arrays that the workers of a
/// `parallelFor` only read (no reference counting inside the per-pixel loop).
private struct PerturbationSource: Sendable {
  let pixels: [Float]
  let filled: [Float]
  let labels: [Int32]
  let masks: [UInt8]

  /// Writes the image of the mask `masks[mask]` (`3 · H · W` values) to `target`.
  func compose(into target: UnsafeMutablePointer<Float>, mask: Range<Int>) {
    let plane = labels.count
    pixels.withUnsafeBufferPointer { shown in
      filled.withUnsafeBufferPointer { hidden in
        labels.withUnsafeBufferPointer { labels in
          masks.withUnsafeBufferPointer { masks in
            let row = masks.baseAddress! + mask.lowerBound
            for index in 0..<plane {
              let source = row[Int(labels[index])] != 0 ? shown : hidden
              target[index] = source[index]
              target[plane + index] = source[plane + index]
              target[2 * plane + index] = source[2 * plane + index]
            }
          }
        }
      }
    }
  }
}

/// A mutable buffer written at disjoint indices by the iterations of one `parallelFor`.
private struct UncheckedBuffer: @unchecked Sendable {
  let buffer: UnsafeMutableBufferPointer<Float>
  init(_ buffer: UnsafeMutableBufferPointer<Float>) { self.buffer = buffer }
}
