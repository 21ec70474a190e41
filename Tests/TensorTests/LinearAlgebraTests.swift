import Foundation
import Tensor
import TestSupport
import XCTest

/// `A · x` in Double, for residual checks independent of BLAS.
private func naiveProduct(_ a: Tensor, _ x: Tensor) -> [Double] {
  let (m, n) = (a.shape[0], a.shape[1])
  let columns = x.rank == 1 ? 1 : x.shape[1]
  let (va, vx) = (a.scalars, x.scalars)
  var result = [Double](repeating: 0, count: m * columns)
  for i in 0..<m {
    for j in 0..<columns {
      for p in 0..<n {
        result[i * columns + j] += Double(va[i * n + p]) * Double(vx[p * columns + j])
      }
    }
  }
  return result
}

/// A random symmetric positive-definite matrix `B Bᵀ + shift·I`.
private func positiveDefinite(_ n: Int, shift: Float, using rng: inout SeededGenerator) -> Tensor {
  let b = Tensor.normal([n, n], using: &rng)
  return matmul(b, b.transposed()) + shift * identity(n)
}

private func identity(_ n: Int) -> Tensor {
  Tensor(shape: [n, n]) { buffer in
    for i in 0..<(n * n) { buffer[i] = i % (n + 1) == 0 ? 1 : 0 }
  }
}

/// `log |det A|` by Gaussian elimination with partial pivoting in Double.
private func naiveLogAbsDeterminant(_ a: Tensor) -> Double {
  let n = a.shape[0]
  var m = a.scalars.map(Double.init)
  var total = 0.0
  for column in 0..<n {
    let pivot = (column..<n).max { Swift.abs(m[$0 * n + column]) < Swift.abs(m[$1 * n + column]) }!
    for j in 0..<n { m.swapAt(column * n + j, pivot * n + j) }
    total += Foundation.log(Swift.abs(m[column * n + column]))
    for row in (column + 1)..<n {
      let factor = m[row * n + column] / m[column * n + column]
      for j in column..<n { m[row * n + j] -= factor * m[column * n + j] }
    }
  }
  return total
}

final class LinearAlgebraTests: XCTestCase {
  func testSolveReturnsASolutionWithTinyResidual() throws {
    var rng = SeededGenerator(seed: 50)
    let a = Tensor.normal([7, 7], using: &rng) + 3 * identity(7)
    let b = Tensor.normal([7], using: &rng)
    let bMatrix = Tensor.normal([7, 3], using: &rng)

    let x = try LinearAlgebra.solve(a, b)
    let xMatrix = try LinearAlgebra.solve(a.transposed(), bMatrix)

    XCTAssertEqual(x.shape, [7])
    XCTAssertEqual(xMatrix.shape, [7, 3])
    for (residual, expected) in zip(naiveProduct(a, x), b.scalars) {
      XCTAssertEqual(residual, Double(expected), accuracy: 1e-5)
    }
    for (residual, expected) in zip(
      naiveProduct(a.transposed().contiguous(), xMatrix), bMatrix.scalars)
    {
      XCTAssertEqual(residual, Double(expected), accuracy: 1e-5)
    }
  }

  func testSolveMatchesAKnownSystem() throws {
    // 2x + y = 5, x + 3y = 10 → x = 1, y = 3.
    let a = Tensor(shape: [2, 2], scalars: [2, 1, 1, 3])

    let x = try LinearAlgebra.solve(a, Tensor(shape: [2], scalars: [5, 10]))

    assertAllClose(x, Tensor(shape: [2], scalars: [1, 3]))
  }

  func testSingularMatricesThrowInsteadOfCrashing() {
    let exactlySingular = Tensor(shape: [2, 2], scalars: [1, 2, 2, 4])
    let numericallySingular = Tensor(shape: [3, 3], scalars: (1...9).map(Float.init))
    let zero = Tensor(zeros: [3, 3])

    for matrix in [exactlySingular, numericallySingular, zero] {
      XCTAssertThrowsError(try LinearAlgebra.solve(matrix, Tensor(zeros: [matrix.shape[0]]))) {
        guard case .singular(let order, let rcond)? = $0 as? LinearAlgebraError else {
          return XCTFail("Expected a singular-matrix error, got \($0).")
        }
        XCTAssertEqual(order, matrix.shape[0])
        XCTAssertLessThan(rcond, Double.ulpOfOne)
      }
    }
  }

  func testNonFiniteInputsThrow() {
    let a = Tensor(shape: [2, 2], scalars: [1, 0, 0, .nan])
    let b = Tensor(shape: [2], scalars: [1, .infinity])
    let good = Tensor(shape: [2, 2], scalars: [2, 0, 0, 2])

    XCTAssertThrowsError(try LinearAlgebra.solve(a, Tensor(zeros: [2]))) {
      XCTAssertEqual($0 as? LinearAlgebraError, .nonFiniteInput(argument: "matrix"))
    }
    XCTAssertThrowsError(try LinearAlgebra.solve(good, b)) {
      XCTAssertEqual($0 as? LinearAlgebraError, .nonFiniteInput(argument: "right-hand side"))
    }
    XCTAssertThrowsError(try LinearAlgebra.solvePositiveDefinite(good, b))
    XCTAssertThrowsError(try LinearAlgebra.logDeterminant(ofPositiveDefinite: a))
    XCTAssertThrowsError(try LinearAlgebra.leastSquares(a, Tensor(zeros: [2])))
  }

  func testPositiveDefiniteSolveReadsOnlyTheLowerTriangle() throws {
    var rng = SeededGenerator(seed: 51)
    let a = positiveDefinite(6, shift: 0.5, using: &rng)
    let b = Tensor.normal([6, 2], using: &rng)
    // Garbage strictly above the diagonal must not matter.
    let garbled = Tensor(shape: [6, 6]) { buffer in
      let values = a.scalars
      for i in 0..<6 {
        for j in 0..<6 { buffer[i * 6 + j] = j > i ? 1e6 : values[i * 6 + j] }
      }
    }

    let x = try LinearAlgebra.solvePositiveDefinite(garbled, b)

    for (residual, expected) in zip(naiveProduct(a, x), b.scalars) {
      XCTAssertEqual(residual, Double(expected), accuracy: 1e-4)
    }
    assertAllClose(
      x, try LinearAlgebra.solve(a, b), absoluteTolerance: 1e-4, relativeTolerance: 1e-4)
  }

  func testIndefiniteMatricesThrowNotPositiveDefinite() {
    let indefinite = Tensor(shape: [3, 3], scalars: [4, 0, 0, 0, 1, 0, 0, 0, -1])

    XCTAssertThrowsError(try LinearAlgebra.solvePositiveDefinite(indefinite, Tensor(zeros: [3]))) {
      XCTAssertEqual($0 as? LinearAlgebraError, .notPositiveDefinite(order: 3, minor: 3))
    }
    XCTAssertThrowsError(try CholeskyFactorization(Tensor(zeros: [2, 2]))) {
      XCTAssertEqual($0 as? LinearAlgebraError, .notPositiveDefinite(order: 2, minor: 1))
    }
  }

  func testLogDeterminantMatchesGaussianElimination() throws {
    var rng = SeededGenerator(seed: 52)
    let a = positiveDefinite(9, shift: 0.1, using: &rng)

    let logDet = try LinearAlgebra.logDeterminant(ofPositiveDefinite: a)

    XCTAssertEqual(logDet, naiveLogAbsDeterminant(a), accuracy: 1e-4)
    XCTAssertEqual(
      try LinearAlgebra.logDeterminant(
        ofPositiveDefinite: Tensor(shape: [2, 2], scalars: [4, 2, 2, 5])),
      Foundation.log(16.0), accuracy: 1e-6)
    XCTAssertEqual(try LinearAlgebra.logDeterminant(ofPositiveDefinite: Tensor(zeros: [0, 0])), 0)
  }

  func testLogDeterminantIsFiniteWhereTheDeterminantUnderflows() throws {
    // det(0.01 · I₂₀₀) = 10⁻⁴⁰⁰ underflows even in Double; its logarithm does not.
    let a = 0.01 * identity(200)

    let logDet = try LinearAlgebra.logDeterminant(ofPositiveDefinite: a)

    XCTAssertEqual(logDet, 200 * Foundation.log(Double(Float(0.01))), accuracy: 1e-6)
  }

  func testCholeskyFactorReproducesTheMatrixAndSolvesRepeatedly() throws {
    var rng = SeededGenerator(seed: 53)
    let a = positiveDefinite(5, shift: 1, using: &rng)

    let factorization = try CholeskyFactorization(a)
    let lower = factorization.lower

    XCTAssertEqual(factorization.order, 5)
    assertAllClose(matmul(lower, lower.transposed()), a, absoluteTolerance: 1e-4)
    for i in 0..<5 {
      for j in (i + 1)..<5 { XCTAssertEqual(lower[i, j], 0) }
    }
    for _ in 0..<2 {
      let b = Tensor.normal([5], using: &rng)
      assertAllClose(
        factorization.solve(b), try LinearAlgebra.solve(a, b), absoluteTolerance: 1e-4,
        relativeTolerance: 1e-4)
    }
  }

  func testLeastSquaresRecoversAConsistentOverdeterminedSystem() throws {
    var rng = SeededGenerator(seed: 54)
    let a = Tensor.normal([9, 4], using: &rng)
    let truth = Tensor(shape: [4, 2], scalars: [1, -2, 0.5, 3, -1, 0, 2, 1])
    let b = matmul(a, truth)

    let x = try LinearAlgebra.leastSquares(a, b)

    assertAllClose(x, truth, absoluteTolerance: 1e-4)
  }

  func testLeastSquaresResidualIsOrthogonalToTheColumns() throws {
    var rng = SeededGenerator(seed: 55)
    let a = Tensor.normal([8, 3], using: &rng)
    let b = Tensor.normal([8], using: &rng)

    let x = try LinearAlgebra.leastSquares(a, b)

    // Normal equations: Aᵀ (A x − b) = 0.
    let residual = Tensor(shape: [8], scalars: naiveProduct(a, x).map { Float($0) }) - b
    assertAllClose(matmul(residual, a), Tensor(zeros: [3]), absoluteTolerance: 1e-4)
  }

  func testLeastSquaresGivesTheMinimumNormSolutionOfRankDeficientSystems() throws {
    // x₁ + x₂ = 2 has infinitely many solutions; the shortest is (1, 1).
    let underdetermined = Tensor(shape: [1, 2], scalars: [1, 1])
    // Two identical columns: rank 1.
    let deficient = Tensor(shape: [3, 2], scalars: [1, 1, 2, 2, 3, 3])

    let x = try LinearAlgebra.leastSquares(underdetermined, Tensor(shape: [1], scalars: [2]))
    let y = try LinearAlgebra.leastSquares(deficient, Tensor(shape: [3], scalars: [2, 4, 6]))

    assertAllClose(x, Tensor(shape: [2], scalars: [1, 1]), absoluteTolerance: 1e-5)
    assertAllClose(y, Tensor(shape: [2], scalars: [1, 1]), absoluteTolerance: 1e-5)
  }

  func testErrorsDescribeThemselves() {
    XCTAssertEqual(
      LinearAlgebraError.notPositiveDefinite(order: 4, minor: 2).description,
      "The 4×4 matrix is not positive definite (leading minor 2).")
    XCTAssertTrue(
      LinearAlgebraError.singular(order: 3, reciprocalConditionNumber: 0).description
        .contains("3×3 matrix is singular"))
  }
}
