import Models
import Tensor

/// Checks shared by every attack, and the pieces they are built from (internal).
enum AttackInput {
  /// How far outside [0, 1] a pixel may lie and still count as inside: resizing a photograph
  /// can round a white pixel to 1.0000001. Such pixels are clamped before the attack.
  static let rangeTolerance: Float = 1e-5

  /// Checks `images` is `[N, 3, H, W]` at the classifier's input size with finite pixels in
  /// [0, 1] (up to `rangeTolerance`), that there is one label (and one target) per image and
  /// that all are classes.
  ///
  /// - Returns: the image count, the number of values per image and the pixels, clamped to
  ///   [0, 1].
  static func validate(
    _ images: Tensor, labels: [Int], target: AttackTarget, classifier: any ImageClassifier
  ) throws -> (count: Int, size: Int, pixels: [Float]) {
    let (height, width) = classifier.inputSize
    guard images.rank == 4, images.shape[0] >= 1,
      Array(images.shape.dropFirst()) == [3, height, width]
    else {
      throw AttackError.wrongImageShape(
        expected: [images.rank == 4 ? Swift.max(images.shape[0], 1) : 1, 3, height, width],
        found: images.shape)
    }
    let count = images.shape[0]
    var pixels = images.contiguous().scalars
    var nonFinite = 0
    var minimum = Float.infinity
    var maximum = -Float.infinity
    for value in pixels {
      if !value.isFinite {
        nonFinite += 1
        continue
      }
      minimum = Swift.min(minimum, value)
      maximum = Swift.max(maximum, value)
    }
    guard nonFinite == 0 else { throw AttackError.nonFiniteInput(count: nonFinite) }
    guard minimum >= -rangeTolerance, maximum <= 1 + rangeTolerance else {
      throw AttackError.pixelsOutOfRange(minimum: minimum, maximum: maximum)
    }
    if minimum < 0 || maximum > 1 {
      for i in pixels.indices { pixels[i] = Swift.min(Swift.max(pixels[i], 0), 1) }
    }
    let classCount = classifier.classNames.count
    guard labels.count == count else {
      throw AttackError.countMismatch(what: "labels", images: count, found: labels.count)
    }
    for label in labels where !(0..<classCount).contains(label) {
      throw AttackError.classOutOfRange(what: "label", value: label, classCount: classCount)
    }
    if case .targeted(let targets) = target {
      guard targets.count == count else {
        throw AttackError.countMismatch(what: "targets", images: count, found: targets.count)
      }
      for goal in targets where !(0..<classCount).contains(goal) {
        throw AttackError.classOutOfRange(what: "target", value: goal, classCount: classCount)
      }
    }
    return (count, 3 * height * width, pixels)
  }

  /// Checks that ε is in (0, 1] for L∞ or (0, √(3HW)] (the diameter of the pixel cube) for L2.
  static func validateEpsilon(
    _ epsilon: Float, norm: AttackNorm, classifier: any ImageClassifier
  ) throws {
    let (height, width) = classifier.inputSize
    let maximum: Float = norm == .linf ? 1 : Float(3 * height * width).squareRoot()
    guard epsilon.isFinite, epsilon > 0, epsilon <= maximum else {
      throw AttackError.epsilonOutOfRange(epsilon: epsilon, norm: norm, maximum: maximum)
    }
  }

  /// Throws `invalidParameter` unless `condition` holds.
  static func require(
    _ condition: Bool, _ name: String, _ value: CustomStringConvertible, _ requirement: String
  ) throws {
    guard condition else {
      throw AttackError.invalidParameter(
        name: name, value: value.description, requirement: requirement)
    }
  }
}

/// Gradients and bookkeeping shared by the attacks (internal).
enum AttackMath {
  /// The index of the largest value (the first one on ties, as `topPredictions`).
  static func argmax(_ values: ArraySlice<Float>) -> Int {
    var best = values.startIndex
    for index in values.indices where values[index] > values[best] { best = index }
    return best - values.startIndex
  }

  /// The gradient `∂L/∂logits` of the summed cross-entropy `Σₙ −log softmax(zₙ)[cₙ]`, times
  /// `signs[n]`: `signs[n] · (softmax(zₙ) − onehot(cₙ))`, a `[N, K]` seed for a pullback.
  static func crossEntropySeed(logits: Tensor, classes: [Int], signs: [Float]) -> Tensor {
    let probabilities = logits.softmax(alongAxis: 1).contiguous()
    let classCount = logits.shape[1]
    var seed = probabilities.scalars
    for row in 0..<logits.shape[0] {
      seed[row * classCount + classes[row]] -= 1
      for column in 0..<classCount { seed[row * classCount + column] *= signs[row] }
    }
    return Tensor(shape: logits.shape, scalars: seed)
  }

  /// `√(Σ vᵢ²)` accumulated in Double.
  static func norm(_ values: ArraySlice<Float>) -> Double {
    var sum = 0.0
    for value in values { sum += Double(value) * Double(value) }
    return sum.squareRoot()
  }

  /// Builds the results of a chunk of images from their pixels and logits before and after.
  static func results(
    classifier: any ImageClassifier, originals: [Float], adversarials: [Float],
    originalLogits: Tensor, adversarialLogits: Tensor, labels: ArraySlice<Int>,
    targets: [Int?], iterations: [Int]
  ) -> [AdversarialResult] {
    let (height, width) = classifier.inputSize
    let size = 3 * height * width
    let before = classifier.topPredictions(logits: originalLogits, k: 1)
    let after = classifier.topPredictions(logits: adversarialLogits, k: 1)
    return labels.indices.enumerated().map { row, labelIndex in
      let range = row * size..<(row + 1) * size
      let norms = PerturbationNorms(original: originals[range], adversarial: adversarials[range])
      let label = labels[labelIndex]
      let adversarial = after[row][0]
      let success = targets[row].map { adversarial.index == $0 } ?? (adversarial.index != label)
      return AdversarialResult(
        image: Tensor(shape: [3, height, width], scalars: adversarials[range]), label: label,
        target: targets[row], original: before[row][0], adversarial: adversarial,
        isSuccessful: success, l2: norms.l2, linf: norms.linf, rho: norms.rho,
        iterations: iterations[row])
    }
  }
}
