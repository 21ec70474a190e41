import Tensor

/// A linear model `ŷ = intercept + Σⱼ coefficients[j] · x[j]` fitted by ridge regression with an
/// intercept and sample weights, exactly as scikit-learn's
/// `Ridge(alpha=α, fit_intercept=True).fit(X, y, sample_weight=w)` (LIME's explanation model).
///
/// With weighted means `x̄ = Σᵢ wᵢ xᵢ / Σᵢ wᵢ` and `ȳ = Σᵢ wᵢ yᵢ / Σᵢ wᵢ` (the intercept is not
/// penalised), the coefficients solve the normal equations of the centred data
///
///     (Σᵢ wᵢ (xᵢ − x̄)(xᵢ − x̄)ᵀ + α I) β = Σᵢ wᵢ (xᵢ − x̄)(yᵢ − ȳ)
///
/// and `intercept = ȳ − x̄ · β`. The weights are not normalised (as in scikit-learn, `α` is
/// compared with the total weight). Everything runs in Double; the system is solved by Cholesky
/// (`LAPACKE_dpotrf`), or, when `α = 0` and the system is singular, by the minimum-norm least
/// squares solution (`dgelsd`), as scikit-learn falls back from `cholesky` to `svd`.
public struct WeightedRidge: Sendable, Hashable {
  /// One coefficient per column of the design matrix.
  public var coefficients: [Double]
  /// The unpenalised constant term.
  public var intercept: Double

  /// A model with the given parameters.
  public init(coefficients: [Double], intercept: Double) {
    self.coefficients = coefficients
    self.intercept = intercept
  }

  /// The prediction for one row `x` (`coefficients.count` values): `intercept + β · x`.
  public func predict(_ row: some Collection<Double>) -> Double {
    precondition(row.count == coefficients.count, "A row needs \(coefficients.count) values, not \(row.count).")
    var total = intercept
    for (coefficient, value) in zip(coefficients, row) { total += coefficient * value }
    return total
  }

  /// The weighted coefficient of determination on `data`, scikit-learn's
  /// `score(X, y, sample_weight=w)`: `R² = 1 − Σ wᵢ (yᵢ − ŷᵢ)² / Σ wᵢ (yᵢ − ȳ)²` with `ȳ` the
  /// weighted mean. When the targets are constant, 1 for a perfect fit and 0 otherwise
  /// (scikit-learn's `force_finite`).
  ///
  /// - Complexity: O(rows · columns).
  public func score(_ data: RegressionData, targets: [Double]) -> Double {
    precondition(targets.count == data.rows, "One target per row: \(data.rows), not \(targets.count).")
    precondition(data.columns == coefficients.count, "The model has \(coefficients.count) columns, the data \(data.columns).")
    let mean = data.weightedMean(of: targets)
    var residual = 0.0
    var total = 0.0
    for row in 0..<data.rows {
      let weight = data.weights[row]
      let error = targets[row] - predict(data.row(row))
      residual += weight * error * error
      let spread = targets[row] - mean
      total += weight * spread * spread
    }
    if total == 0 { return residual == 0 ? 1 : 0 }
    return 1 - residual / total
  }

  /// Fits one model per target vector, sharing the factorisation of the normal equations.
  ///
  /// - Parameters:
  ///   - data: the design matrix and sample weights.
  ///   - targets: one array of `data.rows` values per model.
  ///   - alpha: the ridge penalty `α ≥ 0`.
  /// - Returns: one model per target, in order.
  /// - Throws: `LinearAlgebraError` when the system cannot be solved (non-finite values).
  /// - Complexity: O(rows · columns² + columns³ + rows · columns · targets).
  public static func fit(
    _ data: RegressionData, targets: [[Double]], alpha: Double
  ) throws -> [WeightedRidge] {
    precondition(alpha >= 0 && alpha.isFinite, "The ridge penalty must be finite and ≥ 0, not \(alpha).")
    precondition(
      targets.allSatisfy { $0.count == data.rows },
      "Every target vector needs one value per row (\(data.rows)).")
    let (n, p) = (data.rows, data.columns)
    let columnMeans = data.weightedColumnMeans()
    let targetMeans = targets.map { data.weightedMean(of: $0) }
    // Centred, weighted Gram matrix and right-hand sides, in Double.
    var gram = [Double](repeating: 0, count: p * p)
    var rhs = [Double](repeating: 0, count: p * targets.count)
    var centred = [Double](repeating: 0, count: p)
    for row in 0..<n {
      let weight = data.weights[row]
      if weight == 0 { continue }
      let base = row * p
      for j in 0..<p { centred[j] = data.values[base + j] - columnMeans[j] }
      for j in 0..<p {
        let scaled = weight * centred[j]
        if scaled == 0 { continue }
        for k in 0...j { gram[j * p + k] += scaled * centred[k] }
        for (t, target) in targets.enumerated() {
          rhs[j * targets.count + t] += scaled * (target[row] - targetMeans[t])
        }
      }
    }
    for j in 0..<p {
      gram[j * p + j] += alpha
      for k in 0..<j { gram[k * p + j] = gram[j * p + k] }
    }
    var solution: [Double]
    do {
      solution = try LinearAlgebra.solvePositiveDefinite(gram, rhs, order: p)
    } catch LinearAlgebraError.notPositiveDefinite where alpha == 0 {
      solution = try minimumNormSolution(data, targets: targets, columnMeans: columnMeans, targetMeans: targetMeans)
    }
    return targets.indices.map { t in
      let coefficients = (0..<p).map { solution[$0 * targets.count + t] }
      var intercept = targetMeans[t]
      for j in 0..<p { intercept -= columnMeans[j] * coefficients[j] }
      return WeightedRidge(coefficients: coefficients, intercept: intercept)
    }
  }

  /// `argmin ‖√W (Xc β − yc)‖` of minimum norm for each target (the unpenalised singular case),
  /// laid out like the Cholesky path's solution (`columns × targets`, row-major).
  private static func minimumNormSolution(
    _ data: RegressionData, targets: [[Double]], columnMeans: [Double], targetMeans: [Double]
  ) throws -> [Double] {
    let (n, p) = (data.rows, data.columns)
    var matrix = [Double](repeating: 0, count: n * p)
    for row in 0..<n {
      let root = data.weights[row].squareRoot()
      for j in 0..<p { matrix[row * p + j] = root * (data.values[row * p + j] - columnMeans[j]) }
    }
    var solution = [Double](repeating: 0, count: p * targets.count)
    for (t, target) in targets.enumerated() {
      let rhs = (0..<n).map { data.weights[$0].squareRoot() * (target[$0] - targetMeans[t]) }
      let beta = try LinearAlgebra.leastSquares(matrix, rhs, rows: n, columns: p)
      for j in 0..<p { solution[j * targets.count + t] = beta[j] }
    }
    return solution
  }
}

/// A design matrix with one weight per row: the input of `WeightedRidge.fit`.
public struct RegressionData: Sendable, Hashable {
  /// The number of rows (samples).
  public let rows: Int
  /// The number of columns (features).
  public let columns: Int
  /// `rows × columns` values, row-major.
  public let values: [Double]
  /// One non-negative weight per row.
  public let weights: [Double]

  /// - Precondition: `values.count == rows · columns`, `weights.count == rows`, weights ≥ 0 and
  ///   finite.
  public init(rows: Int, columns: Int, values: [Double], weights: [Double]) {
    precondition(rows >= 0 && columns >= 0, "A design matrix cannot have negative size.")
    precondition(values.count == rows * columns, "A \(rows)×\(columns) design needs \(rows * columns) values, not \(values.count).")
    precondition(weights.count == rows, "One weight per row: \(rows), not \(weights.count).")
    precondition(weights.allSatisfy { $0 >= 0 && $0.isFinite }, "Sample weights must be finite and ≥ 0.")
    self.rows = rows
    self.columns = columns
    self.values = values
    self.weights = weights
  }

  /// Row `index` (a slice of `values`).
  public func row(_ index: Int) -> ArraySlice<Double> {
    values[(index * columns)..<((index + 1) * columns)]
  }

  /// The same rows and weights restricted to `selected` columns, in that order.
  public func selectingColumns(_ selected: [Int]) -> RegressionData {
    var result = [Double]()
    result.reserveCapacity(rows * selected.count)
    for row in 0..<rows {
      for column in selected { result.append(values[row * columns + column]) }
    }
    return RegressionData(rows: rows, columns: selected.count, values: result, weights: weights)
  }

  /// `Σᵢ wᵢ vᵢ / Σᵢ wᵢ` (numpy's `average(v, weights=w)`); the plain mean when every weight is 0.
  func weightedMean(of vector: [Double]) -> Double {
    let total = weights.reduce(0, +)
    if total == 0 { return vector.isEmpty ? 0 : vector.reduce(0, +) / Double(vector.count) }
    var sum = 0.0
    for (value, weight) in zip(vector, weights) { sum += weight * value }
    return sum / total
  }

  /// The weighted mean of every column.
  func weightedColumnMeans() -> [Double] {
    var sums = [Double](repeating: 0, count: columns)
    let total = weights.reduce(0, +)
    for row in 0..<rows {
      let weight = total == 0 ? 1 : weights[row]
      for column in 0..<columns { sums[column] += weight * values[row * columns + column] }
    }
    let divisor = total == 0 ? Double(Swift.max(rows, 1)) : total
    return sums.map { $0 / divisor }
  }
}
