import Foundation
import Models
import Tensor

/// The loop FGSM, BIM and PGD share (internal): optional random start in the ε-ball, then
/// `steps` steps along the cross-entropy gradient, each projected back to the ε-ball around the
/// original image and clipped to [0, 1].
///
/// Untargeted, a step ascends `L(f(x), label)`; targeted, it descends `L(f(x), target)`.
/// L∞ steps are `α · sign(∇)`, L2 steps `α · ∇ / ‖∇‖₂` (per image). Projection: L∞ clamps each
/// `δᵢ` to [−ε, ε]; L2 scales `δ` by `min(1, ε / ‖δ‖₂)`. Clipping to [0, 1] afterwards moves every
/// pixel towards the original one, so it never leaves the ball.
struct ProjectedGradientSteps: Sendable {
  /// How the first iterate is drawn.
  enum Start: Sendable, Hashable {
    /// The original image.
    case original
    /// Uniform in the L∞ cube (`δᵢ ~ U[−ε, ε]`) or in the L2 ball, from
    /// `SeededGenerator(seed:).split(imageIndex)`, so a result does not depend on the batch size.
    case random(seed: UInt64)
  }

  var name: String
  var classifier: any ImageClassifier
  var norm: AttackNorm
  var epsilon: Float
  var stepSize: Float
  var steps: Int
  var start: Start
  var batchSize: Int

  func run(
    _ images: Tensor, labels: [Int], target: AttackTarget, progress: ProgressHandler
  ) throws -> [AdversarialResult] {
    let (count, size, pixels) = try AttackInput.validate(
      images, labels: labels, target: target, classifier: classifier)
    let imageShape = Array(images.shape.dropFirst())
    var results: [AdversarialResult] = []
    results.reserveCapacity(count)
    for first in stride(from: 0, to: count, by: batchSize) {
      let rows = first..<Swift.min(first + batchSize, count)
      let original = Array(pixels[rows.lowerBound * size..<rows.upperBound * size])
      let targets = rows.map { target.target(of: $0) }
      let classes = rows.map { targets[$0 - first] ?? labels[$0] }
      let signs: [Float] = targets.map { $0 == nil ? 1 : -1 }
      var current = original
      if case .random(let seed) = start {
        for (row, index) in rows.enumerated() {
          var base = SeededGenerator(seed: seed)
          var generator = base.split(index)
          randomStart(&current, row: row, size: size, original: original, using: &generator)
        }
      }
      var originalLogits: Tensor? = nil
      for step in 0..<steps {
        let batch = Tensor(shape: [rows.count] + imageShape, scalars: current)
        let (logits, pullback) = classifier.logitsWithPullback(batch)
        if step == 0, start == .original { originalLogits = logits }
        let seed = AttackMath.crossEntropySeed(logits: logits, classes: classes, signs: signs)
        let gradient = pullback(seed).contiguous().scalars
        for row in 0..<rows.count {
          update(&current, row: row, size: size, gradient: gradient, original: original)
        }
        progress(
          WorkProgress(
            stage: name, completed: first * steps + rows.count * (step + 1),
            total: count * steps))
      }
      let before =
        originalLogits
        ?? classifier.logits(Tensor(shape: [rows.count] + imageShape, scalars: original))
      let after = classifier.logits(Tensor(shape: [rows.count] + imageShape, scalars: current))
      results += AttackMath.results(
        classifier: classifier, originals: original, adversarials: current,
        originalLogits: before, adversarialLogits: after, labels: labels[rows], targets: targets,
        iterations: Array(repeating: steps, count: rows.count))
    }
    return results
  }

  /// One step for image `row` of the chunk, then projection and clipping.
  private func update(
    _ current: inout [Float], row: Int, size: Int, gradient: [Float], original: [Float]
  ) {
    let range = row * size..<(row + 1) * size
    switch norm {
    case .linf:
      for i in range {
        let g = gradient[i]
        let moved = current[i] + (g > 0 ? stepSize : (g < 0 ? -stepSize : 0))
        let delta = Swift.min(Swift.max(moved - original[i], -epsilon), epsilon)
        current[i] = Swift.min(Swift.max(original[i] + delta, 0), 1)
      }
    case .l2:
      let gradientNorm = AttackMath.norm(gradient[range])
      guard gradientNorm > 0 else { return }
      let scale = Float(Double(stepSize) / gradientNorm)
      for i in range { current[i] += scale * gradient[i] }
      projectL2(&current, range: range, original: original)
    }
  }

  /// Scales `current − original` on `range` into the L2 ball of radius ε, then clips to [0, 1].
  private func projectL2(_ current: inout [Float], range: Range<Int>, original: [Float]) {
    var squared = 0.0
    for i in range {
      let d = Double(current[i] - original[i])
      squared += d * d
    }
    let length = squared.squareRoot()
    let factor = length > Double(epsilon) ? Float(Double(epsilon) / length) : 1
    for i in range {
      let delta = (current[i] - original[i]) * factor
      current[i] = Swift.min(Swift.max(original[i] + delta, 0), 1)
    }
  }

  /// Moves image `row` to a uniform random point of the ε-ball (clipped to [0, 1]).
  private func randomStart(
    _ current: inout [Float], row: Int, size: Int, original: [Float],
    using generator: inout SeededGenerator
  ) {
    let range = row * size..<(row + 1) * size
    switch norm {
    case .linf:
      for i in range {
        let delta = epsilon * (2 * generator.nextUnitFloat() - 1)
        current[i] = Swift.min(Swift.max(original[i] + delta, 0), 1)
      }
    case .l2:
      // A Gaussian direction, normalised, times a radius ε·u^(1/d): uniform in the ball's volume.
      var direction = [Float](repeating: 0, count: size)
      for j in 0..<size { direction[j] = generator.nextGaussian() }
      let length = AttackMath.norm(direction[...])
      let u = Double(generator.nextUnitFloat())
      let radius = Double(epsilon) * Foundation.exp(Foundation.log(Swift.max(u, 1e-300)) / Double(size))
      let scale = length > 0 ? Float(radius / length) : 0
      for (j, i) in range.enumerated() {
        current[i] = Swift.min(Swift.max(original[i] + scale * direction[j], 0), 1)
      }
    }
  }
}
