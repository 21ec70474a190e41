import Foundation
import TestSupport
import XCTest

@testable import Tensor

/// Matrix products are bit-identical on one and on two threads (OpenBLAS's own threading is not:
/// its threaded SGEMM blocks K differently), and the panels they are cut into still give the
/// product.
final class DeterministicBLASTests: XCTestCase {
  private var savedThreadCount = 1

  override func setUp() { savedThreadCount = ComputeThreads.count }
  override func tearDown() { ComputeThreads.set(savedThreadCount) }

  private func random(_ shape: [Int], seed: UInt64) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    return Tensor.uniform(shape, low: -1, high: 1, using: &generator)
  }

  private func onOneAndTwoThreads(_ work: () -> Tensor) -> (Tensor, Tensor) {
    ComputeThreads.set(1)
    let one = work()
    ComputeThreads.set(2)
    return (one, work())
  }

  /// `a · b` by the definition, in Double.
  private func reference(_ a: Tensor, _ b: Tensor) -> [Float] {
    let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
    let (x, y) = (a.contiguous().scalars, b.contiguous().scalars)
    var result = [Float](repeating: 0, count: m * n)
    for i in 0..<m {
      for j in 0..<n {
        var sum = 0.0
        for p in 0..<k { sum += Double(x[i * k + p]) * Double(y[p * n + j]) }
        result[i * n + j] = Float(sum)
      }
    }
    return result
  }

  func testPanelsDependOnTheShapeAlone() {
    XCTAssertEqual(ProductPanels(m: 8, n: 8, k: 8).count, 1)  // small: one call
    XCTAssertEqual(ProductPanels(m: 2, n: 1280, k: 1000), ProductPanels(m: 2, n: 1280, k: 1000))
    let wide = ProductPanels(m: 2, n: 1280, k: 1000)
    XCTAssertFalse(wide.byRows)
    XCTAssertEqual(wide.count, 8)
    // A block of rows of a large Gram matrix is cut by columns: cutting its 256 rows would
    // re-pack the 10,000 × 1280 operand once per panel.
    let block = ProductPanels(m: 256, n: 10_000, k: 1280)
    XCTAssertFalse(block.byRows)
    XCTAssertEqual(block.count, 8)
    let tall = ProductPanels(m: 1797, n: 1797, k: 64)
    XCTAssertTrue(tall.byRows)
    XCTAssertEqual(tall.count, 8)
    XCTAssertEqual((0..<tall.count).map { tall.range($0, of: 1797).count }.reduce(0, +), 1797)
  }

  func testProductsWithALongInnerDimensionAreBitIdenticalOnOneAndTwoThreads() {
    // [2, 1000] · [1000, 1280]: Lite0's classifier input gradient, the shape where OpenBLAS's
    // threaded SGEMM changed 70 % of the entries; then a tall product, transposed operands,
    // a batch and a matrix-vector product (OpenBLAS's threaded SGEMV changed 2 of 1797).
    let cases: [(String, () -> Tensor)] = [
      ("wide", { [self] in matmul(random([2, 1000], seed: 1), random([1000, 1280], seed: 2)) }),
      ("tall", { [self] in matmul(random([300, 1000], seed: 3), random([1000, 200], seed: 4)) }),
      ("transposed", { [self] in
        matmul(random([1000, 64], seed: 5), transposed: true, random([700, 1000], seed: 6), transposed: true)
      }),
      ("batched", { [self] in matmul(random([3, 40, 400], seed: 7), random([3, 400, 300], seed: 8)) }),
      ("matrix-vector", { [self] in matmul(random([1797, 64], seed: 9), random([64], seed: 10)) }),
      ("vector-matrix", { [self] in matmul(random([2000], seed: 11), random([2000, 900], seed: 12)) }),
    ]
    for (name, product) in cases {
      let (one, two) = onOneAndTwoThreads(product)
      XCTAssertEqual(one.shape, two.shape, name)
      let differing = zip(one.scalars, two.scalars).filter { $0.bitPattern != $1.bitPattern }.count
      XCTAssertEqual(differing, 0, "\(name): \(differing) of \(one.count) entries differ")
    }
  }

  func testPanelledProductsMatchTheDefinition() {
    ComputeThreads.set(2)
    for (m, k, n) in [(2, 1000, 1280), (300, 500, 70), (130, 64, 9)] {
      let a = random([m, k], seed: UInt64(m))
      let b = random([k, n], seed: UInt64(n))
      let expected = Tensor(shape: [m, n], scalars: reference(a, b))
      assertAllClose(matmul(a, b), expected, absoluteTolerance: 1e-4)
      var c = Tensor(zeros: [m, n])
      gemm(a, b, alpha: 2, beta: 0, accumulatingInto: &c)
      assertAllClose(c, expected * Tensor(2), absoluteTolerance: 2e-4)
    }
    let matrix = random([1797, 64], seed: 13)
    let vector = random([64], seed: 14)
    assertAllClose(
      matmul(matrix, vector),
      Tensor(shape: [1797], scalars: reference(matrix, vector.reshaped(to: [64, 1]))),
      absoluteTolerance: 1e-4)
  }
}
