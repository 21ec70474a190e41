import Tensor

/// Chooses representative (or unrepresentative) examples among the rows of a feature matrix:
/// the seam through which prototype and criticism methods plug into the probe.
///
/// MMD-critic's ``MMDPrototypes`` and ``MMDCriticisms`` conform; so can any other method
/// (k-medoids, an adversarial-robustness ranking, …). A selector is configured at
/// initialisation (counts, kernel, regulariser) and given data in ``select(from:labels:)``.
public protocol ExampleSelector: Sendable {
  /// Selects examples among the rows of `features` `[n, d]`.
  ///
  /// - Parameters:
  ///   - features: one example per row, `[n, d]`.
  ///   - labels: the class of each row (length `n`), for selectors that use classes (the
  ///     local kernel); `nil` when there are none.
  /// - Returns: row indices in selection order (most important first) with their scores.
  /// - Throws: ``SelectionError`` for features that are not a finite matrix, labels of the wrong
  ///   length, or a configuration the data cannot satisfy.
  func select(from features: Tensor, labels: [Int]?) throws -> Selection
}

/// Indices chosen by an ``ExampleSelector``, in selection order, with the score each had when
/// it was chosen (for MMD prototypes the greedy
/// `score(c)` of `mmd.py`, for criticisms the objective `|w(c)| + r(c)`).
public struct Selection: Sendable, Equatable, Codable {
  /// Row indices into the features, in selection order.
  public var indices: [Int]
  /// `scores[k]` belongs to `indices[k]`.
  public var scores: [Double]

  /// - Precondition: as many scores as indices.
  public init(indices: [Int], scores: [Double]) {
    precondition(
      indices.count == scores.count,
      "A selection needs one score per index (\(indices.count) indices, \(scores.count) scores).")
    self.indices = indices
    self.scores = scores
  }
}

/// Why a selection could not run on the given data.
public enum SelectionError: Error, Equatable, CustomStringConvertible {
  /// Features must be a matrix `[n, d]`.
  case featuresNotMatrix(shape: [Int])
  /// A feature is NaN or infinite.
  case nonFiniteFeature(row: Int, column: Int)
  /// The labels do not have one entry per row of the features.
  case labelCountMismatch(rows: Int, labels: Int)
  /// The local (per-class) kernel was requested without labels.
  case localKernelNeedsLabels
  /// `γ` must be positive and finite.
  case invalidGamma(Double)
  /// The median heuristic found a zero median squared distance (most pairs are duplicates).
  case zeroMedianDistance
  /// Two feature sets (data and prototypes, or queries) have different dimensions.
  case dimensionMismatch(expected: Int, found: Int)

  public var description: String {
    switch self {
    case .featuresNotMatrix(let shape):
      return "Features must be a matrix [n, d], not an array of shape \(shape)."
    case .nonFiniteFeature(let row, let column):
      return "Feature [\(row), \(column)] is not finite."
    case .labelCountMismatch(let rows, let labels):
      return "There are \(rows) feature rows but \(labels) labels."
    case .localKernelNeedsLabels:
      return "The local (per-class) kernel needs labels."
    case .invalidGamma(let gamma):
      return "The RBF gamma must be positive and finite, not \(gamma)."
    case .zeroMedianDistance:
      return "The median squared distance between points is 0 (mostly duplicates); give gamma explicitly."
    case .dimensionMismatch(let expected, let found):
      return "Feature sets have different dimensions: \(expected) and \(found)."
    }
  }
}

extension SelectionError {
  /// Checks that `features` is a finite matrix and `labels` (if any) has one entry per row.
  static func validate(_ features: Tensor, labels: [Int]?) throws {
    guard features.rank == 2 else { throw SelectionError.featuresNotMatrix(shape: features.shape) }
    let d = features.shape[1]
    try features.contiguous().withUnsafeBufferPointer { x in
      for (index, value) in x.enumerated() where !value.isFinite {
        throw SelectionError.nonFiniteFeature(row: index / max(d, 1), column: index % max(d, 1))
      }
    }
    if let labels, labels.count != features.shape[0] {
      throw SelectionError.labelCountMismatch(rows: features.shape[0], labels: labels.count)
    }
  }
}
