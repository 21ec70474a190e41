import Models
import Tensor

/// DeepFool (Moosavi-Dezfooli, Fawzi & Frossard, CVPR 2016, arXiv 1511.04599), L2: the smallest
/// perturbation that crosses the nearest decision boundary of the locally linearised network.
///
/// With `k̂` the image's label and `c₁…c_{k−1}` the other `candidates − 1` classes of largest
/// logit at the original image, at each iterate `xᵢ`:
///
///     w_c = ∇f_c(xᵢ) − ∇f_k̂(xᵢ),   f'_c = f_c(xᵢ) − f_k̂(xᵢ)
///     l   = argmin_c |f'_c| / ‖w_c‖₂
///     rᵢ  = (|f'_l| / ‖w_l‖₂ + 10⁻⁴) · w_l / ‖w_l‖₂
///     xᵢ₊₁ = clip(x + (1 + overshoot) · Σⱼ≤ᵢ rⱼ, 0, 1)
///
/// The step is the projection onto the nearest linearised boundary, lengthened by
/// `distanceMargin` = 10⁻⁴ (in L2 pixel units) as in the authors' reference code and Foolbox 3
/// ("for numerical stability"), so that a step lands just past the hyperplane, not on it.
/// until the prediction leaves `k̂` or after `maxIterations` steps. The overshoot multiplies the
/// accumulated perturbation, as in the authors' reference code and Foolbox (torchattacks instead
/// multiplies each step and adds it to the previous clipped iterate). An image the model already
/// misclassifies is returned unchanged, successful, after 0 iterations (Foolbox's convention).
///
/// The `k − 1` gradients of one step come from ONE batched pullback: the iterate is stacked
/// `k − 1` times and the pullback gets the `[k − 1, K]` seed whose row `j` is `e_{c_j} − e_k̂`,
/// so each row returns `w_{c_j}` directly. The cost of a step is one forward and backward pass at
/// batch `k − 1` (about `k − 1` single gradients) plus one forward pass to test the label,
/// instead of torchattacks' one backward pass per class of the model (1000 for ImageNet).
/// Rows of several images share passes of up to `batchSize` rows.
public struct DeepFool: Attack {
  public let classifier: any ImageClassifier
  /// How many classes of largest logit are considered, the label included (10 in the paper).
  public let candidates: Int
  /// The factor `1 + overshoot` on the accumulated perturbation (0.02 in the paper).
  public let overshoot: Float
  /// The most steps per image (50 in the paper).
  public let maxIterations: Int
  /// The most stacked rows per forward and backward pass (bounds memory).
  public let batchSize: Int

  /// The length added to each step beyond the linearised boundary (the reference's `1e-4`).
  public static let distanceMargin: Double = 1e-4

  /// - Throws: `AttackError.invalidParameter` when `candidates` < 2, `overshoot` is negative or
  ///   not finite, `maxIterations` < 1 or `batchSize` < 1.
  public init(
    classifier: any ImageClassifier, candidates: Int = 10, overshoot: Float = 0.02,
    maxIterations: Int = 50, batchSize: Int = 18
  ) throws {
    try AttackInput.require(candidates >= 2, "candidates", candidates, "at least 2")
    try AttackInput.require(
      overshoot.isFinite && overshoot >= 0, "overshoot", overshoot, "finite and ≥ 0")
    try AttackInput.require(maxIterations >= 1, "maxIterations", maxIterations, "at least 1")
    try AttackInput.require(batchSize >= 1, "batchSize", batchSize, "at least 1")
    self.classifier = classifier
    self.candidates = candidates
    self.overshoot = overshoot
    self.maxIterations = maxIterations
    self.batchSize = batchSize
  }

  /// - Complexity: per image and step, about `candidates` forward and backward passes.
  /// - Throws: `AttackError` (see `Attack`); `AttackError.targetNotSupported` when targeted.
  public func attack(
    _ images: Tensor, labels: [Int], target: AttackTarget, progress: ProgressHandler
  ) throws -> [AdversarialResult] {
    guard !target.isTargeted else { throw AttackError.targetNotSupported(attack: "DeepFool") }
    let (count, size, original) = try AttackInput.validate(
      images, labels: labels, target: target, classifier: classifier)
    let imageShape = Array(images.shape.dropFirst())
    let classCount = classifier.classNames.count
    let originalLogits = logits(of: original, images: Array(0..<count), shape: imageShape)

    // The candidate classes of each image: the largest logits at x, the label left out.
    let others: [[Int]] = (0..<count).map { index in
      let row = originalLogits[index * classCount..<(index + 1) * classCount]
      let order = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
      return order.prefix(Swift.min(candidates, classCount)).map { $0 - row.startIndex }
        .filter { $0 != labels[index] }.prefix(candidates - 1).map { $0 }
    }

    var current = original
    var total = [Float](repeating: 0, count: original.count)
    var currentLogits = originalLogits
    var iterations = [Int](repeating: 0, count: count)
    var stuck = [Bool](repeating: false, count: count)
    let scale = 1 + overshoot
    for _ in 0..<maxIterations {
      let active = (0..<count).filter { index in
        !stuck[index]
          && AttackMath.argmax(currentLogits[index * classCount..<(index + 1) * classCount])
            == labels[index]
      }
      if active.isEmpty { break }
      progress(WorkProgress(stage: "DeepFool", completed: count - active.count, total: count))
      let steps = nearestBoundarySteps(
        active: active, others: others, labels: labels, current: current,
        currentLogits: currentLogits, shape: imageShape)
      for index in active {
        guard let step = steps[index] else {
          stuck[index] = true  // every candidate gradient vanished: no direction to move in
          continue
        }
        iterations[index] += 1
        let base = index * size
        for j in 0..<size {
          total[base + j] += step[j]
          current[base + j] = Swift.min(Swift.max(original[base + j] + scale * total[base + j], 0), 1)
        }
      }
      let moved = active.filter { !stuck[$0] }
      let updated = logits(of: current, images: moved, shape: imageShape)
      for (row, index) in moved.enumerated() {
        for k in 0..<classCount {
          currentLogits[index * classCount + k] = updated[row * classCount + k]
        }
      }
    }
    progress(WorkProgress(stage: "DeepFool", completed: count, total: count))
    return AttackMath.results(
      classifier: classifier, originals: original, adversarials: current,
      originalLogits: Tensor(shape: [count, classCount], scalars: originalLogits),
      adversarialLogits: Tensor(shape: [count, classCount], scalars: currentLogits),
      labels: labels[...], targets: Array(repeating: nil, count: count), iterations: iterations)
  }

  /// The DeepFool step `r = (|f'_l| / ‖w_l‖ + margin) · w_l / ‖w_l‖` of each active image (absent when every
  /// `w_c` is zero), from batched pullbacks of stacked copies: row `(image, c)` has seed `e_c − e_k̂`.
  private func nearestBoundarySteps(
    active: [Int], others: [[Int]], labels: [Int], current: [Float], currentLogits: [Float],
    shape: [Int]
  ) -> [Int: [Float]] {
    let size = shape.reduce(1, *)
    let classCount = classifier.classNames.count
    let rows = active.flatMap { index in others[index].map { (image: index, candidate: $0) } }
    // Per image: the best (distance, f', w) found so far.
    var best: [Int: (distance: Double, norm: Double, w: [Float])] = [:]
    for first in stride(from: 0, to: rows.count, by: batchSize) {
      let pass = rows[first..<Swift.min(first + batchSize, rows.count)]
      var stacked = [Float](repeating: 0, count: pass.count * size)
      var seed = [Float](repeating: 0, count: pass.count * classCount)
      for (row, item) in pass.enumerated() {
        let source = item.image * size
        for j in 0..<size { stacked[row * size + j] = current[source + j] }
        seed[row * classCount + item.candidate] = 1
        seed[row * classCount + labels[item.image]] = -1
      }
      let (_, pullback) = classifier.logitsWithPullback(
        Tensor(shape: [pass.count] + shape, scalars: stacked))
      let gradients = pullback(Tensor(shape: [pass.count, classCount], scalars: seed))
        .contiguous().scalars
      for (row, item) in pass.enumerated() {
        let w = gradients[row * size..<(row + 1) * size]
        let logitRow = item.image * classCount
        let difference = Double(
          currentLogits[logitRow + item.candidate] - currentLogits[logitRow + labels[item.image]])
        let norm = AttackMath.norm(w)
        guard norm > 0 else { continue }
        let distance = Swift.abs(difference) / norm
        if let previous = best[item.image], previous.distance <= distance { continue }
        best[item.image] = (distance, norm, Array(w))
      }
    }
    var steps: [Int: [Float]] = [:]
    for (index, chosen) in best {
      let factor = Float((chosen.distance + Self.distanceMargin) / chosen.norm)
      steps[index] = chosen.w.map { factor * $0 }
    }
    return steps
  }

  /// The logits `[images.count · K]` of the listed images of `pixels`, in passes of `batchSize`.
  private func logits(of pixels: [Float], images: [Int], shape: [Int]) -> [Float] {
    let size = shape.reduce(1, *)
    var result: [Float] = []
    for first in stride(from: 0, to: images.count, by: batchSize) {
      let pass = images[first..<Swift.min(first + batchSize, images.count)]
      var batch = [Float]()
      batch.reserveCapacity(pass.count * size)
      for index in pass { batch += pixels[index * size..<(index + 1) * size] }
      result += classifier.logits(Tensor(shape: [pass.count] + shape, scalars: batch))
        .contiguous().scalars
    }
    return result
  }
}
