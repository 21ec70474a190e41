import Foundation
import Models
import Tensor

/// Integrated Gradients (Sundararajan, Taly & Yan 2017):
///
///     a = (x − x') ⊙ ∫₀¹ ∂f_c(x' + α(x − x'))/∂x dα  ≈  (x − x') ⊙ Σₖ wₖ ∂f_c(x' + αₖ(x − x'))/∂x,
///
/// with baseline `x'` (black by default) and a quadrature rule `(αₖ, wₖ)` of `stepCount` nodes.
/// Completeness: `Σ a = f_c(x) − f_c(x')` up to the quadrature error, reported by
/// `attributeWithCompleteness`. Defaults match Captum (`n_steps = 50`, `method = "gausslegendre"`,
/// zero baseline); Captum's Riemann rules are available too.
public struct IntegratedGradients: Attribution, Sendable {
  /// The reference input the path starts from.
  public enum Baseline: Sendable, Equatable {
    /// All-zero (black) image.
    case zero
    /// A caller-provided image `[3, H, W]`.
    case custom(Tensor)
  }

  /// A quadrature of `[0, 1]`.
  public enum Rule: Sendable, Hashable, CaseIterable {
    /// `αₖ = k/n`, `k = 0..<n`, `wₖ = 1/n`.
    case riemannLeft
    /// `αₖ = k/n`, `k = 1...n`, `wₖ = 1/n`.
    case riemannRight
    /// `αₖ = (k + ½)/n`, `wₖ = 1/n`.
    case riemannMiddle
    /// `αₖ = k/(n−1)`, `k = 0..<n`, end weights `1/(2(n−1))`, inner `1/(n−1)` (needs n ≥ 2).
    case riemannTrapezoid
    /// Gauss–Legendre nodes and weights mapped to `[0, 1]`: exact for polynomials of degree 2n−1.
    case gaussLegendre

    /// The nodes `αₖ` and weights `wₖ` (summing to 1) of `count` points.
    ///
    /// - Complexity: O(count²) for Gauss–Legendre (Newton on the Legendre recurrence), else
    ///   O(count).
    public func nodesAndWeights(count n: Int) -> (alphas: [Double], weights: [Double]) {
      precondition(n >= 1 && (self != .riemannTrapezoid || n >= 2),
        "A quadrature needs at least 1 node (2 for the trapezoid rule), not \(n).")
      let uniform = [Double](repeating: 1 / Double(n), count: n)
      switch self {
      case .riemannLeft: return ((0..<n).map { Double($0) / Double(n) }, uniform)
      case .riemannRight: return ((1...n).map { Double($0) / Double(n) }, uniform)
      case .riemannMiddle: return ((0..<n).map { (Double($0) + 0.5) / Double(n) }, uniform)
      case .riemannTrapezoid:
        let h = 1 / Double(n - 1)
        let weights = (0..<n).map { $0 == 0 || $0 == n - 1 ? h / 2 : h }
        return ((0..<n).map { Double($0) * h }, weights)
      case .gaussLegendre:
        var alphas = [Double](repeating: 0, count: n)
        var weights = [Double](repeating: 0, count: n)
        for i in 0..<n {
          // Initial guess for the i-th root of P_n on [−1, 1], refined by Newton.
          var x = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
          var derivative = 0.0
          for _ in 0..<100 {
            var p0 = 1.0
            var p1 = x
            for k in stride(from: 2, through: n, by: 1) {
              let order = Double(k)
              let rising: Double = (2 * order - 1) * x * p1
              let falling: Double = (order - 1) * p0
              let p2: Double = (rising - falling) / order
              p0 = p1
              p1 = p2
            }
            // p1 = P_n(x), p0 = P_{n−1}(x) (for n = 1: P_1 = x, P_0 = 1).
            let numerator: Double = x * p1 - p0
            derivative = Double(n) * numerator / (x * x - 1)
            let step = p1 / derivative
            x -= step
            if Swift.abs(step) < 1e-15 { break }
          }
          alphas[n - 1 - i] = (x + 1) / 2
          let denominator: Double = (1 - x * x) * derivative * derivative
          weights[n - 1 - i] = 1 / denominator
        }
        return (alphas, weights)
      }
    }
  }

  /// An attribution with its completeness check.
  public struct Result: Sendable {
    /// `[3, H, W]`.
    public var attribution: Tensor
    /// `f_c(x)`.
    public var targetAtInput: Float
    /// `f_c(x')`.
    public var targetAtBaseline: Float
    /// `|Σ attribution − (f_c(x) − f_c(x'))|`.
    public var completenessError: Float
  }

  /// The classifier explained.
  public let classifier: any ImageClassifier
  /// The path's start.
  public let baseline: Baseline
  /// The number of quadrature nodes.
  public let stepCount: Int
  /// The quadrature.
  public let rule: Rule
  /// How many path points go through the network at once (bounds memory).
  public let batchSize: Int

  /// - Throws: `AttributionError.invalidParameter` when `stepCount` is below 1 (2 for the
  ///   trapezoid rule) or `batchSize` below 1.
  public init(
    classifier: any ImageClassifier, baseline: Baseline = .zero, stepCount: Int = 50,
    rule: Rule = .gaussLegendre, batchSize: Int = 10
  ) throws {
    let minimum = rule == .riemannTrapezoid ? 2 : 1
    guard stepCount >= minimum else {
      throw AttributionError.invalidParameter(
        "stepCount must be ≥ \(minimum) for \(rule), not \(stepCount).")
    }
    guard batchSize >= 1 else {
      throw AttributionError.invalidParameter("batchSize must be ≥ 1, not \(batchSize).")
    }
    self.classifier = classifier
    self.baseline = baseline
    self.stepCount = stepCount
    self.rule = rule
    self.batchSize = batchSize
  }

  /// The attribution `[3, H, W]` of logit `target` at `image` `[3, H, W]`.
  ///
  /// - Complexity: `stepCount` forward and backward passes, in batches of `batchSize`.
  /// - Throws: `AttributionError` for a wrong shape (image or baseline), a target out of range or
  ///   non-finite pixels.
  public func attribute(_ image: Tensor, target: Int) throws -> Tensor {
    try attributeWithCompleteness(image, target: target).attribution
  }

  /// The attribution with `f_c(x)`, `f_c(x')` and the completeness error.
  ///
  /// - Complexity: `stepCount + 2` forward passes and `stepCount` backward passes.
  /// - Throws: `AttributionError` as `attribute`.
  public func attributeWithCompleteness(_ image: Tensor, target: Int) throws -> Result {
    try AttributionInput.validate(image, target: target, classifier: classifier)
    let pixels = image.contiguous().scalars
    let size = pixels.count
    let start: [Float]
    switch baseline {
    case .zero: start = [Float](repeating: 0, count: size)
    case .custom(let tensor):
      guard tensor.shape == image.shape else {
        throw AttributionError.wrongImageShape(expected: image.shape, found: tensor.shape)
      }
      start = tensor.contiguous().scalars
      guard start.allSatisfy({ $0.isFinite }) else { throw AttributionError.nonFiniteInput }
    }
    let delta = zip(pixels, start).map { $0 - $1 }
    let (alphas, weights) = rule.nodesAndWeights(count: stepCount)
    var integral = [Double](repeating: 0, count: size)
    var done = 0
    while done < stepCount {
      let rows = min(batchSize, stepCount - done)
      var path = [Float](repeating: 0, count: rows * size)
      for row in 0..<rows {
        let alpha = Float(alphas[done + row])
        for index in 0..<size { path[row * size + index] = start[index] + alpha * delta[index] }
      }
      let (_, gradients) = AttributionInput.targetGradients(
        of: classifier, images: Tensor(shape: [rows] + image.shape, scalars: path), target: target)
      for row in 0..<rows {
        let weight = weights[done + row]
        for index in 0..<size { integral[index] += weight * Double(gradients[row * size + index]) }
      }
      done += rows
    }
    var attribution = [Float](repeating: 0, count: size)
    var total = 0.0
    for index in 0..<size {
      let value = Double(delta[index]) * integral[index]
      attribution[index] = Float(value)
      total += value
    }
    let ends = classifier.logits(Tensor(shape: [2] + image.shape, scalars: pixels + start))
    let classCount = ends.shape[1]
    let endValues = ends.contiguous().scalars
    let atInput = endValues[target]
    let atBaseline = endValues[classCount + target]
    let error = Swift.abs(total - (Double(atInput) - Double(atBaseline)))
    return Result(
      attribution: Tensor(shape: image.shape, scalars: attribution), targetAtInput: atInput,
      targetAtBaseline: atBaseline, completenessError: Float(error))
  }
}
