import Tensor
import XCTest

@testable import BiasProbe

final class KernelSourceTests: XCTestCase {
  func testKernelMatrixExposesRowSumsDiagonalAndRows() {
    let kernel = KernelMatrix(count: 3, entries: [1, 0.5, 0, 0.5, 2, 0.25, 0, 0.25, 3])
    XCTAssertEqual(kernel.rowSums, [1.5, 2.75, 3.25])
    XCTAssertEqual(kernel.diagonal, [1, 2, 3])
    XCTAssertEqual(kernel.rows([2, 0]), [[0, 0.25, 3], [1, 0.5, 0]])
    XCTAssertEqual(kernel[1, 2], 0.25)
  }

  func testDenseCopyOfAnRBFKernelEqualsItsRows() throws {
    let (features, _) = CriticismTestData.blobs(centres: [[0, 0], [3, 1]], count: 5, spread: 0.5, seed: 1)
    let kernel = try RBFKernel(features: features, options: .init(bandwidth: .gamma(0.7)))
    let dense = KernelMatrix(kernel)
    XCTAssertEqual(dense.count, 10)
    XCTAssertEqual(dense.rows([4])[0], kernel.rows([4])[0])
    for (a, b) in zip(dense.rowSums, kernel.rowSums) { XCTAssertEqual(a, b, accuracy: 1e-5) }
  }
}
