import Foundation
import TestSupport
import XCTest

@testable import Tensor

/// `a · b` for matrices by the definition, in Double.
private func naiveMatmul(_ a: Tensor, _ b: Tensor) -> Tensor {
  let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
  precondition(b.shape[0] == k)
  let (va, vb) = (a.scalars, b.scalars)
  var result = [Float](repeating: 0, count: m * n)
  for i in 0..<m {
    for j in 0..<n {
      var sum = 0.0
      for p in 0..<k { sum += Double(va[i * k + p]) * Double(vb[p * n + j]) }
      result[i * n + j] = Float(sum)
    }
  }
  return Tensor(shape: [m, n], scalars: result)
}

final class BLASTests: XCTestCase {
  func testMatrixProductMatchesTheDefinitionForEveryTransposeFlag() {
    var rng = SeededGenerator(seed: 40)
    let (m, k, n) = (5, 7, 3)
    for transposeA in [false, true] {
      for transposeB in [false, true] {
        let a = Tensor.normal(transposeA ? [k, m] : [m, k], using: &rng)
        let b = Tensor.normal(transposeB ? [n, k] : [k, n], using: &rng)

        let product = matmul(a, transposed: transposeA, b, transposed: transposeB)

        let expected = naiveMatmul(
          transposeA ? a.transposed().contiguous() : a, transposeB ? b.transposed().contiguous() : b
        )
        assertAllClose(product, expected, "transposes \(transposeA), \(transposeB)")
      }
    }
  }

  func testStridedViewsGiveTheSameProductAsTheirCopies() {
    var rng = SeededGenerator(seed: 41)
    let big = Tensor.normal([9, 11], using: &rng)
    let views: [(String, Tensor)] = [
      ("transposed", big.transposed()),
      ("row slice", big.sliced(axis: 0, 2..<7)),
      ("column slice", big.sliced(axis: 1, 3..<10)),
      ("block", big.sliced(axis: 0, 1..<8).sliced(axis: 1, 2..<6)),
      ("transposed block", big.sliced(axis: 0, 1..<8).sliced(axis: 1, 2..<6).transposed()),
      ("column", big.sliced(axis: 1, 4..<5)),
      ("row", big.sliced(axis: 0, 4..<5)),
    ]
    for (name, view) in views {
      let right = Tensor.normal([view.shape[1], 4], using: &rng)
      let left = Tensor.normal([3, view.shape[0]], using: &rng)

      assertAllClose(matmul(view, right), naiveMatmul(view.contiguous(), right), name)
      assertAllClose(matmul(left, view), naiveMatmul(left, view.contiguous()), name)
    }
  }

  func testViewsMapToBLASLayoutsWithoutCopying() {
    let big = Tensor(zeros: [6, 10])

    let rowSlice = big.sliced(axis: 0, 1..<4).blasReadable()
    let columnSlice = big.sliced(axis: 1, 2..<5).blasReadable()
    let transposed = big.sliced(axis: 1, 2..<5).transposed().blasReadable()
    let everyOther = Tensor(zeros: [6, 6, 2]).selecting(axis: 2, index: 0).blasReadable()

    XCTAssertTrue(rowSlice.tensor.storage === big.storage)
    XCTAssertEqual(rowSlice.layout, BLASMatrixLayout(transposed: false, leadingDimension: 10))
    XCTAssertTrue(columnSlice.tensor.storage === big.storage)
    XCTAssertEqual(columnSlice.layout, BLASMatrixLayout(transposed: false, leadingDimension: 10))
    XCTAssertTrue(transposed.tensor.storage === big.storage)
    XCTAssertEqual(transposed.layout, BLASMatrixLayout(transposed: true, leadingDimension: 10))
    // Neither axis has unit stride: copied into a dense matrix.
    XCTAssertEqual(everyOther.layout, BLASMatrixLayout(transposed: false, leadingDimension: 6))
    XCTAssertTrue(everyOther.tensor.isContiguous)
  }

  func testBroadcastRowsAreCopiedBeforeBLASReadsThem() {
    let row = Tensor(shape: [1, 3], scalars: [1, 2, 3])
    let repeated = row.broadcast(to: [4, 3])
    let identity = Tensor(shape: [3, 3], scalars: [1, 0, 0, 0, 1, 0, 0, 0, 1])

    XCTAssertEqual(matmul(repeated, identity), repeated.contiguous())
    XCTAssertEqual(matmul(identity, repeated.transposed()), repeated.transposed().contiguous())
  }

  func testBatchedProductMatchesPerMatrixProducts() {
    var rng = SeededGenerator(seed: 42)
    let a = Tensor.normal([3, 4, 5], using: &rng)
    let b = Tensor.normal([3, 5, 2], using: &rng)
    let shared = Tensor.normal([5, 2], using: &rng)
    let sharedLeft = Tensor.normal([4, 5], using: &rng)

    let batched = matmul(a, b)
    let broadcastRight = matmul(a, shared)
    let broadcastLeft = matmul(sharedLeft, b)
    let batchOfOne = matmul(a, shared.expandingShape(at: 0))
    let transposedBatch = matmul(b, transposed: true, a, transposed: true)

    XCTAssertEqual(batched.shape, [3, 4, 2])
    for i in 0..<3 {
      assertAllClose(batched[index: i], naiveMatmul(a[index: i], b[index: i]))
      assertAllClose(broadcastRight[index: i], naiveMatmul(a[index: i], shared))
      assertAllClose(broadcastLeft[index: i], naiveMatmul(sharedLeft, b[index: i]))
      assertAllClose(batchOfOne[index: i], broadcastRight[index: i])
      assertAllClose(transposedBatch[index: i], batched[index: i].transposed())
    }
  }

  func testBatchedProductOfStridedBatchesMatchesTheDefinition() {
    var rng = SeededGenerator(seed: 43)
    // A batch whose matrices are not evenly spaced rows (sliced along M) cannot be fused.
    let a = Tensor.normal([3, 6, 5], using: &rng).sliced(axis: 1, 1..<5)
    // A batch taken along the last axis: every matrix is a strided view.
    let b = Tensor.normal([5, 2, 3], using: &rng).permuted([2, 0, 1])
    let shared = Tensor.normal([5, 2], using: &rng)

    let product = matmul(a, b)
    let sharedProduct = matmul(a, shared)

    for i in 0..<3 {
      assertAllClose(
        product[index: i], naiveMatmul(a[index: i].contiguous(), b[index: i].contiguous()))
      assertAllClose(sharedProduct[index: i], naiveMatmul(a[index: i].contiguous(), shared))
    }
  }

  func testMatrixVectorProducts() {
    var rng = SeededGenerator(seed: 44)
    let a = Tensor.normal([4, 6], using: &rng)
    let v = Tensor.normal([6], using: &rng)
    let u = Tensor.normal([4], using: &rng)
    let strided = Tensor.normal([6, 2], using: &rng).selecting(axis: 1, index: 1)

    let av = matmul(a, v)
    let ua = matmul(u, a)
    let atu = matmul(a, transposed: true, u)
    let aStrided = matmul(a, strided)
    let transposedView = matmul(a.transposed(), u)

    assertAllClose(av, naiveMatmul(a, v.reshaped(to: [6, 1])).reshaped(to: [4]))
    assertAllClose(ua, naiveMatmul(u.reshaped(to: [1, 4]), a).reshaped(to: [6]))
    assertAllClose(atu, ua)
    assertAllClose(transposedView, ua)
    assertAllClose(
      aStrided, naiveMatmul(a, strided.contiguous().reshaped(to: [6, 1])).reshaped(to: [4]))
    XCTAssertEqual(matmul(v, v).shape, [])
    XCTAssertEqual(matmul(v, v).scalar, Float(dot(v, v)), accuracy: 1e-5)
  }

  func testVectorsPromoteAgainstBatches() {
    var rng = SeededGenerator(seed: 45)
    let batch = Tensor.normal([2, 3, 4], using: &rng)
    let v = Tensor.normal([4], using: &rng)
    let u = Tensor.normal([3], using: &rng)

    let right = matmul(batch, v)
    let left = matmul(u, batch)

    XCTAssertEqual(right.shape, [2, 3])
    XCTAssertEqual(left.shape, [2, 4])
    for i in 0..<2 {
      assertAllClose(right[index: i], matmul(batch[index: i], v))
      assertAllClose(left[index: i], matmul(u, batch[index: i]))
    }
  }

  func testGemmAccumulatesScaledProducts() {
    var rng = SeededGenerator(seed: 46)
    let a = Tensor.normal([5, 3], using: &rng)
    let b = Tensor.normal([4, 5], using: &rng)
    let c0 = Tensor.normal([3, 4], using: &rng)
    var c = c0

    gemm(a, transposed: true, b, transposed: true, alpha: 0.5, beta: -2, accumulatingInto: &c)

    let expected =
      0.5 * naiveMatmul(a.transposed().contiguous(), b.transposed().contiguous())
      - 2 * c0
    assertAllClose(c, expected)
    XCTAssertEqual(c0.shape, [3, 4])
    XCTAssertNotEqual(c0, c, "the copy keeps its value")
  }

  func testGemmWritesIntoAViewOfItsOwnStorage() {
    var rng = SeededGenerator(seed: 47)
    let a = Tensor.normal([2, 3], using: &rng)
    let b = Tensor.normal([3, 4], using: &rng)
    var c = Tensor(zeros: [5, 6]).sliced(axis: 0, 1..<3).sliced(axis: 1, 1..<5)  // [2, 4]
    var transposedC = Tensor(zeros: [4, 2]).transposed()

    gemm(a, b, beta: 1, accumulatingInto: &c)
    gemm(a, b, accumulatingInto: &transposedC)

    assertAllClose(c, naiveMatmul(a, b))
    assertAllClose(transposedC, naiveMatmul(a, b))
  }

  func testGemmWithZeroBetaIgnoresNaNInTheOutput() {
    let a = Tensor(shape: [1, 1], scalars: [2])
    var c = Tensor(shape: [1, 1], scalars: [.nan])

    gemm(a, a, beta: 0, accumulatingInto: &c)

    XCTAssertEqual(c.scalars, [4])
  }

  func testEmptyExtentsGiveZeroProducts() {
    XCTAssertEqual(matmul(Tensor(zeros: [3, 0]), Tensor(zeros: [0, 2])), Tensor(zeros: [3, 2]))
    XCTAssertEqual(matmul(Tensor(zeros: [0, 4]), Tensor(zeros: [4, 2])).shape, [0, 2])
    XCTAssertEqual(matmul(Tensor(zeros: [2, 0]), Tensor(zeros: [0])), Tensor(zeros: [2]))
    var c = Tensor(shape: [2, 2], repeating: 3)
    gemm(Tensor(zeros: [2, 0]), Tensor(zeros: [0, 2]), beta: 0.5, accumulatingInto: &c)
    XCTAssertEqual(c, Tensor(shape: [2, 2], repeating: 1.5))
  }
}
