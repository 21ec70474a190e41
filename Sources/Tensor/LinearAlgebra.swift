import COpenBLAS
import Foundation

/// Why a linear-algebra routine could not produce an answer.
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible {
  /// The `order × order` matrix is singular to working precision: LU factorisation met an exactly
  /// zero pivot, or the estimated reciprocal condition number `1 / (‖A‖₁ ‖A⁻¹‖₁)` is below
  /// `Double.ulpOfOne` (2.2e-16).
  case singular(order: Int, reciprocalConditionNumber: Double)
  /// The `order × order` matrix is not (numerically) positive definite: the Cholesky
  /// factorisation failed on the leading minor of order `minor` (1-based).
  case notPositiveDefinite(order: Int, minor: Int)
  /// An input (`"matrix"` or `"right-hand side"`) holds NaN or infinity.
  case nonFiniteInput(argument: String)
  /// The SVD behind a least-squares solve did not converge (`info` off-diagonal elements of an
  /// intermediate bidiagonal form did not converge to zero).
  case singularValueDecompositionDidNotConverge(info: Int)
  /// LAPACK reported an error it should never report for the library's arguments (for example
  /// a failed workspace allocation, `info = -1010`).
  case lapackFailure(routine: String, info: Int)

  public var description: String {
    switch self {
    case .singular(let order, let rcond):
      return "The \(order)×\(order) matrix is singular (reciprocal condition number \(rcond))."
    case .notPositiveDefinite(let order, let minor):
      return "The \(order)×\(order) matrix is not positive definite (leading minor \(minor))."
    case .nonFiniteInput(let argument):
      return "The \(argument) holds NaN or infinite values."
    case .singularValueDecompositionDidNotConverge(let info):
      return "The SVD did not converge (\(info) off-diagonal elements)."
    case .lapackFailure(let routine, let info):
      return "LAPACK \(routine) failed with info = \(info)."
    }
  }
}

/// Small dense linear systems through LAPACKE, computed in `Double`.
///
/// Inputs and outputs are `Float` tensors, but every factorisation runs in Double precision
/// (`dgetrf`, `dpotrf`, `dgelsd`): the matrices these routines see in the library (ridge-regression
/// normal equations in LIME, kernel matrices in MMD-critic) are small (up to a few hundred rows)
/// and often badly conditioned, so the extra precision costs little and keeps the answers at
/// Float accuracy where single precision would lose several digits.
///
/// Matrices are `[N, N]` (or `[M, N]` for least squares); right-hand sides are vectors `[N]` or
/// matrices `[N, R]` of `R` columns, and solutions have the same rank as the right-hand side.
/// Shape mismatches break a precondition; singular or indefinite matrices and non-finite values
/// throw `LinearAlgebraError`.
public enum LinearAlgebra {
  /// The solution `x` of `A x = b` for a general square `A`, by LU factorisation with partial
  /// pivoting (`dgetrf` + `dgetrs`), after checking the condition number (`dgecon`).
  ///
  /// - Parameters:
  ///   - a: `[N, N]`.
  ///   - b: `[N]` or `[N, R]`.
  /// - Returns: `x`, shaped like `b`.
  /// - Throws: `LinearAlgebraError.singular` when `A` is singular to working precision;
  ///   `.nonFiniteInput` when an input holds NaN or infinity.
  /// - Complexity: O(N³ + N²R).
  public static func solve(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    let n = checkSquare(a, rightHandSide: b)
    var matrix = try doubles(a, "matrix")
    var rhs = try doubles(b, "right-hand side")
    let columns = b.rank == 1 ? 1 : b.shape[1]
    if n == 0 { return b }
    let layout = LAPACK_ROW_MAJOR
    let norm = LAPACKE_dlange(layout, oneNorm, lapackInt(n), lapackInt(n), matrix, lapackInt(n))
    var pivots = [Int32](repeating: 0, count: n)
    let factored = LAPACKE_dgetrf(
      layout, lapackInt(n), lapackInt(n), &matrix, lapackInt(n), &pivots)
    if factored > 0 { throw LinearAlgebraError.singular(order: n, reciprocalConditionNumber: 0) }
    try check(factored, "dgetrf")
    var rcond = 0.0
    try check(
      LAPACKE_dgecon(layout, oneNorm, lapackInt(n), matrix, lapackInt(n), norm, &rcond), "dgecon")
    if !(rcond >= Double.ulpOfOne) {
      throw LinearAlgebraError.singular(order: n, reciprocalConditionNumber: rcond)
    }
    try check(
      LAPACKE_dgetrs(
        layout, noTranspose, lapackInt(n), lapackInt(columns), matrix, lapackInt(n), pivots, &rhs,
        lapackInt(columns)),
      "dgetrs")
    return Tensor(shape: b.shape, scalars: rhs.lazy.map { Float($0) })
  }

  /// The solution `x` of `A x = b` for a symmetric positive-definite `A`, by Cholesky
  /// factorisation `A = L Lᵀ` (`dpotrf` + `dpotrs`). Only the lower triangle of `A` is read.
  ///
  /// This is the solver for ridge-regression normal equations `(XᵀWX + λI) β = XᵀWy`.
  ///
  /// - Parameters:
  ///   - a: `[N, N]`, symmetric positive definite.
  ///   - b: `[N]` or `[N, R]`.
  /// - Returns: `x`, shaped like `b`.
  /// - Throws: `LinearAlgebraError.notPositiveDefinite` when the factorisation fails;
  ///   `.nonFiniteInput` when an input holds NaN or infinity.
  /// - Complexity: O(N³ + N²R).
  public static func solvePositiveDefinite(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    _ = checkSquare(a, rightHandSide: b)
    let factorization = try CholeskyFactorization(a)
    _ = try doubles(b, "right-hand side")
    return factorization.solve(b)
  }

  /// `log det A` for a symmetric positive-definite `A`, as `2 Σᵢ log Lᵢᵢ` from its Cholesky
  /// factor (finite even when `det A` itself under- or overflows). Only the lower triangle of `A`
  /// is read; the log-determinant of the empty matrix is 0.
  ///
  /// - Throws: `LinearAlgebraError.notPositiveDefinite` or `.nonFiniteInput`.
  /// - Complexity: O(N³).
  public static func logDeterminant(ofPositiveDefinite a: Tensor) throws -> Double {
    try CholeskyFactorization(a).logDeterminant
  }

  /// The least-squares solution `x = argmin ‖A x − b‖₂` of minimum norm `‖x‖₂`, through the SVD
  /// (`dgelsd`), so rank-deficient and under-determined systems are fine.
  ///
  /// Singular values below `relativeCutoff · σ_max` are treated as zero; the default (`nil`)
  /// uses machine precision.
  ///
  /// - Parameters:
  ///   - a: `[M, N]`.
  ///   - b: `[M]` or `[M, R]`.
  /// - Returns: `x`, `[N]` or `[N, R]`.
  /// - Throws: `LinearAlgebraError.singularValueDecompositionDidNotConverge` (rare) or
  ///   `.nonFiniteInput`.
  /// - Complexity: O(M·N·min(M, N) + max(M, N)·R·min(M, N)).
  public static func leastSquares(
    _ a: Tensor, _ b: Tensor, relativeCutoff: Double? = nil
  ) throws -> Tensor {
    precondition(a.rank == 2, "Least squares needs a matrix [M, N], not \(a.shape).")
    let (m, n) = (a.shape[0], a.shape[1])
    precondition(
      (b.rank == 1 || b.rank == 2) && b.shape[0] == m,
      "The right-hand side of least squares with a \(a.shape) matrix must be [\(m)] or "
        + "[\(m), R], not \(b.shape).")
    let columns = b.rank == 1 ? 1 : b.shape[1]
    let solutionShape = b.rank == 1 ? [n] : [n, columns]
    var matrix = try doubles(a, "matrix")
    let given = try doubles(b, "right-hand side")
    if m == 0 || n == 0 || columns == 0 { return Tensor(zeros: solutionShape) }
    // dgelsd overwrites b (max(M, N) rows) with the solution in its first N rows.
    var rhs = [Double](repeating: 0, count: Swift.max(m, n) * columns)
    rhs.replaceSubrange(0..<(m * columns), with: given)
    var singularValues = [Double](repeating: 0, count: Swift.min(m, n))
    var rank: Int32 = 0
    let info = LAPACKE_dgelsd(
      LAPACK_ROW_MAJOR, lapackInt(m), lapackInt(n), lapackInt(columns), &matrix, lapackInt(n),
      &rhs, lapackInt(columns), &singularValues, relativeCutoff ?? -1, &rank)
    if info > 0 {
      throw LinearAlgebraError.singularValueDecompositionDidNotConverge(info: Int(info))
    }
    try check(info, "dgelsd")
    return Tensor(shape: solutionShape, scalars: rhs[0..<(n * columns)].lazy.map { Float($0) })
  }

  // MARK: Helpers

  static let oneNorm = CChar(UInt8(ascii: "1"))
  static let noTranspose = CChar(UInt8(ascii: "N"))
  static let lowerTriangle = CChar(UInt8(ascii: "L"))

  /// The order `N` of a square matrix `a`, after checking that `b` is `[N]` or `[N, R]`.
  static func checkSquare(_ a: Tensor, rightHandSide b: Tensor) -> Int {
    precondition(
      a.rank == 2 && a.shape[0] == a.shape[1], "Cannot solve with a non-square matrix \(a.shape).")
    let n = a.shape[0]
    precondition(
      (b.rank == 1 || b.rank == 2) && b.shape[0] == n,
      "The right-hand side for a \(a.shape) matrix must be [\(n)] or [\(n), R], not \(b.shape).")
    return n
  }

  /// The elements of `x` in row-major order, widened to Double.
  ///
  /// - Throws: `LinearAlgebraError.nonFiniteInput(argument:)` if one is NaN or infinite.
  static func doubles(_ x: Tensor, _ argument: String) throws -> [Double] {
    let values = x.scalars
    guard values.allSatisfy(\.isFinite) else {
      throw LinearAlgebraError.nonFiniteInput(argument: argument)
    }
    return values.map(Double.init)
  }

  /// `lapack_int` is a C macro (invisible to Swift) for `int32_t` in Debian's LP64 LAPACKE.
  static func lapackInt(_ value: Int) -> Int32 {
    precondition(value <= Int(Int32.max), "\(value) exceeds LAPACK's integer range.")
    return Int32(value)
  }

  /// Throws for a negative `info` (an argument or workspace error).
  static func check(_ info: Int32, _ routine: String) throws {
    if info < 0 { throw LinearAlgebraError.lapackFailure(routine: routine, info: Int(info)) }
  }
}

/// The Cholesky factorisation `A = L Lᵀ` of a symmetric positive-definite matrix, kept in Double
/// to solve several right-hand sides and read the log-determinant without refactoring.
///
/// Only the lower triangle of `A` is read.
public struct CholeskyFactorization: Sendable {
  /// `N`, the number of rows and columns of `A`.
  public let order: Int
  /// `L` in row-major order, zero above the diagonal.
  private let factor: [Double]

  /// Factors `a` (`[N, N]`, symmetric positive definite) with `dpotrf`.
  ///
  /// - Throws: `LinearAlgebraError.notPositiveDefinite` if a leading minor is not positive
  ///   definite; `.nonFiniteInput` if `a` holds NaN or infinity.
  /// - Complexity: O(N³).
  public init(_ a: Tensor) throws {
    precondition(
      a.rank == 2 && a.shape[0] == a.shape[1],
      "A Cholesky factorisation needs a square matrix, not \(a.shape).")
    let n = a.shape[0]
    var matrix = try LinearAlgebra.doubles(a, "matrix")
    if n > 0 {
      let info = LAPACKE_dpotrf(
        LAPACK_ROW_MAJOR, LinearAlgebra.lowerTriangle, LinearAlgebra.lapackInt(n), &matrix,
        LinearAlgebra.lapackInt(n))
      if info > 0 { throw LinearAlgebraError.notPositiveDefinite(order: n, minor: Int(info)) }
      try LinearAlgebra.check(info, "dpotrf")
    }
    for row in 0..<n {
      for column in (row + 1)..<n { matrix[row * n + column] = 0 }
    }
    self.order = n
    self.factor = matrix
  }

  /// The lower-triangular factor `L`, `[N, N]`.
  public var lower: Tensor {
    Tensor(shape: [order, order], scalars: factor.lazy.map { Float($0) })
  }

  /// `log det A = 2 Σᵢ log Lᵢᵢ`.
  ///
  /// - Complexity: O(N).
  public var logDeterminant: Double {
    var total = 0.0
    for i in 0..<order { total += Foundation.log(factor[i * order + i]) }
    return 2 * total
  }

  /// The solution `x` of `A x = b` (`dpotrs`: two triangular solves).
  ///
  /// - Parameter b: `[N]` or `[N, R]`.
  /// - Returns: `x`, shaped like `b`; NaN where `b` holds NaN or infinity.
  /// - Complexity: O(N²R).
  public func solve(_ b: Tensor) -> Tensor {
    precondition(
      (b.rank == 1 || b.rank == 2) && b.shape[0] == order,
      "The right-hand side for a \(order)×\(order) factorisation must be [\(order)] or "
        + "[\(order), R], not \(b.shape).")
    let columns = b.rank == 1 ? 1 : b.shape[1]
    if order == 0 || columns == 0 { return b }
    var rhs = b.scalars.map(Double.init)
    let info = LAPACKE_dpotrs(
      LAPACK_ROW_MAJOR, LinearAlgebra.lowerTriangle, LinearAlgebra.lapackInt(order),
      LinearAlgebra.lapackInt(columns), factor, LinearAlgebra.lapackInt(order), &rhs,
      LinearAlgebra.lapackInt(columns))
    precondition(info == 0, "dpotrs rejected its arguments (info \(info)).")
    return Tensor(shape: b.shape, scalars: rhs.lazy.map { Float($0) })
  }
}
