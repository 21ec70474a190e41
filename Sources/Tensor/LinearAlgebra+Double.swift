import COpenBLAS
import Foundation

extension LinearAlgebra {
  /// The solution `x` of `A x = b` for a symmetric positive-definite `A` given in Double
  /// precision, by Cholesky factorisation (`dpotrf` + `dpotrs`). Only the lower triangle of `A`
  /// is read.
  ///
  /// The Double-in, Double-out twin of `solvePositiveDefinite(_:_:)`, for callers that build
  /// their normal equations in Double (LIME's weighted ridge regression) and want no rounding to
  /// `Float` on the way.
  ///
  /// - Parameters:
  ///   - a: `N × N` elements, row-major.
  ///   - b: `N × R` elements, row-major (`R = b.count / N` right-hand sides).
  ///   - order: `N`.
  /// - Returns: `x`, `N × R` elements, row-major.
  /// - Throws: `LinearAlgebraError.notPositiveDefinite` when the factorisation fails;
  ///   `.nonFiniteInput` when an input holds NaN or infinity.
  /// - Complexity: O(N³ + N²R).
  public static func solvePositiveDefinite(
    _ a: [Double], _ b: [Double], order: Int
  ) throws -> [Double] {
    precondition(order >= 0 && a.count == order * order, "A must hold \(order)² elements, not \(a.count).")
    precondition(
      order == 0 ? b.isEmpty : b.count % order == 0,
      "The right-hand sides of an order-\(order) system must hold a multiple of \(order) elements, "
        + "not \(b.count).")
    guard a.allSatisfy(\.isFinite) else { throw LinearAlgebraError.nonFiniteInput(argument: "matrix") }
    guard b.allSatisfy(\.isFinite) else {
      throw LinearAlgebraError.nonFiniteInput(argument: "right-hand side")
    }
    if order == 0 || b.isEmpty { return b }
    let columns = b.count / order
    var matrix = a
    let factored = LAPACKE_dpotrf(
      LAPACK_ROW_MAJOR, lowerTriangle, lapackInt(order), &matrix, lapackInt(order))
    if factored > 0 {
      throw LinearAlgebraError.notPositiveDefinite(order: order, minor: Int(factored))
    }
    try check(factored, "dpotrf")
    var rhs = b
    try check(
      LAPACKE_dpotrs(
        LAPACK_ROW_MAJOR, lowerTriangle, lapackInt(order), lapackInt(columns), matrix,
        lapackInt(order), &rhs, lapackInt(columns)),
      "dpotrs")
    return rhs
  }

  /// The minimum-norm least-squares solution `x = argmin ‖A x − b‖₂` in Double precision, through
  /// the SVD (`dgelsd`; singular values below machine precision times the largest count as zero).
  ///
  /// - Parameters:
  ///   - a: `M × N` elements, row-major.
  ///   - b: `M` elements (one right-hand side).
  ///   - rows: `M`.
  ///   - columns: `N`.
  /// - Returns: `x`, `N` elements.
  /// - Throws: `LinearAlgebraError.singularValueDecompositionDidNotConverge` or `.nonFiniteInput`.
  /// - Complexity: O(M·N·min(M, N)).
  public static func leastSquares(
    _ a: [Double], _ b: [Double], rows: Int, columns: Int
  ) throws -> [Double] {
    precondition(
      rows >= 0 && columns >= 0 && a.count == rows * columns && b.count == rows,
      "Least squares needs \(rows)×\(columns) matrix elements and \(rows) right-hand-side "
        + "elements, not \(a.count) and \(b.count).")
    guard a.allSatisfy(\.isFinite) else { throw LinearAlgebraError.nonFiniteInput(argument: "matrix") }
    guard b.allSatisfy(\.isFinite) else {
      throw LinearAlgebraError.nonFiniteInput(argument: "right-hand side")
    }
    if rows == 0 || columns == 0 { return [Double](repeating: 0, count: columns) }
    var matrix = a
    var rhs = [Double](repeating: 0, count: Swift.max(rows, columns))
    rhs.replaceSubrange(0..<rows, with: b)
    var singularValues = [Double](repeating: 0, count: Swift.min(rows, columns))
    var rank: Int32 = 0
    let info = LAPACKE_dgelsd(
      LAPACK_ROW_MAJOR, lapackInt(rows), lapackInt(columns), 1, &matrix, lapackInt(columns),
      &rhs, 1, &singularValues, -1, &rank)
    if info > 0 {
      throw LinearAlgebraError.singularValueDecompositionDidNotConverge(info: Int(info))
    }
    try check(info, "dgelsd")
    return Array(rhs[0..<columns])
  }
}
