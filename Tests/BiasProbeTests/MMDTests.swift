import Tensor
import XCTest

@testable import BiasProbe

final class MMDTests: XCTestCase {
  func testSquaredMMDMatchesThePaperFormula() throws {
    var rng = SeededGenerator(seed: 8)
    let x = Tensor.normal([20, 3], using: &rng)
    let z = Tensor.normal([7, 3], mean: 0.5, standardDeviation: 1, using: &rng)
    // Brute force: mean K(z,z') − 2 mean K(z,x) + mean K(x,x') over all pairs.
    let both = Tensor.concatenate([x, z], axis: 0)
    let k = CriticismTestData.bruteForceKernel(both, gamma: 0.2)
    var (zz, zx, xx) = (0.0, 0.0, 0.0)
    for i in 20..<27 { for j in 20..<27 { zz += k[i, j] } }
    for i in 20..<27 { for j in 0..<20 { zx += k[i, j] } }
    for i in 0..<20 { for j in 0..<20 { xx += k[i, j] } }
    let expected = zz / 49 - 2 * zx / 140 + xx / 400
    XCTAssertEqual(try MMD.squared(x, z, gamma: 0.2, blockRows: 3), expected, accuracy: 1e-6)
    XCTAssertEqual(try MMD.squared(x, x, gamma: 0.2), 0, accuracy: 1e-6)
  }

  func testWitnessIsPositiveWhereThePrototypesMissMass() throws {
    let x = Tensor(shape: [4, 1], scalars: [0, 0.1, 5, 5.1])
    let z = Tensor(shape: [1, 1], scalars: [0])
    let w = try MMD.witness(at: Tensor(shape: [2, 1], scalars: [0, 5]), data: x, prototypes: z, gamma: 1)
    XCTAssertLessThan(w[0], 0)
    XCTAssertGreaterThan(w[1], 0)
    let expected1 = (exp(-0.0) * 0 + exp(-25.0) + exp(-24.01) + 1 + exp(-0.01)) / 4 - exp(-25.0)
    XCTAssertEqual(w[1], expected1, accuracy: 1e-6)
  }

  func testMismatchedDimensionsThrow() {
    XCTAssertThrowsError(try MMD.squared(Tensor(zeros: [2, 3]), Tensor(zeros: [2, 4]), gamma: 1)) {
      XCTAssertEqual($0 as? SelectionError, .dimensionMismatch(expected: 4, found: 3))
    }
  }
}
