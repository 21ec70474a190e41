import XCTest

@testable import Tensor

final class TensorViewTests: XCTestCase {
  private let x = Tensor(shape: [2, 3, 4], scalars: (0..<24).map(Float.init))

  func testPermuteThenContiguousMatchesManualTranspose() {
    let m = Tensor(shape: [2, 3], scalars: (0..<6).map(Float.init))
    XCTAssertEqual(m.transposed().scalars, [0, 3, 1, 4, 2, 5])
  }

  func testReshapeOfContiguousDataIsAViewWithAnInferredAxis() {
    let reshaped = x.reshaped(to: [4, -1])

    XCTAssertEqual(reshaped.shape, [4, 6])
    XCTAssertTrue(reshaped.storage === x.storage)
    XCTAssertEqual(reshaped[3, 5], 23)
    XCTAssertEqual(x.reshaped(to: [-1]).shape, [24])
    XCTAssertEqual(x.reshaped(to: [2, 12]).scalars, x.scalars)
  }

  func testReshapeOfAStridedViewCopiesInRowMajorOrder() {
    let transposed = x.permuted([2, 1, 0])  // [4, 3, 2]

    let flat = transposed.reshaped(to: [24])

    XCTAssertFalse(flat.storage === x.storage)
    XCTAssertEqual(Array(flat.scalars.prefix(6)), [0, 12, 4, 16, 8, 20])
  }

  func testReshapeKeepsTheOffsetOfAContiguousSlice() {
    let lastBlock = x.sliced(axis: 0, 1..<2)

    let flat = lastBlock.reshaped(to: [12])

    XCTAssertTrue(flat.storage === x.storage)
    XCTAssertEqual(flat.scalars, (12..<24).map(Float.init))
  }

  func testPermuteReordersShapeAndStrides() {
    let p = x.permuted([1, 2, 0])

    XCTAssertEqual(p.shape, [3, 4, 2])
    XCTAssertEqual(p.strides, [4, 1, 12])
    XCTAssertFalse(p.isContiguous)
    XCTAssertEqual(p[2, 3, 1], x[1, 2, 3])
    XCTAssertEqual(p.permuted([2, 0, 1]), x)
    XCTAssertEqual(x.transposed().transposed(), x)
    XCTAssertEqual(x.transposed().shape, [2, 4, 3])
  }

  func testSlicesComposeTheirOffsets() {
    let s = x.sliced(axis: 1, 1..<3).sliced(axis: 2, 1..<4).sliced(axis: 1, 1..<2)

    XCTAssertEqual(s.shape, [2, 1, 3])
    XCTAssertEqual(s.scalars, [9, 10, 11, 21, 22, 23])
    XCTAssertEqual(x.sliced(axis: -1, 0..<0).shape, [2, 3, 0])
    XCTAssertEqual(x.sliced(axis: -1, 0..<0).scalars, [])
  }

  func testSelectingRemovesTheAxis() {
    XCTAssertEqual(x.selecting(axis: 1, index: 2).shape, [2, 4])
    XCTAssertEqual(x.selecting(axis: 1, index: 2).scalars, [8, 9, 10, 11, 20, 21, 22, 23])
    XCTAssertEqual(x[index: 1].scalars, (12..<24).map(Float.init))
    XCTAssertEqual(x[index: 1][index: 2][index: 3].scalar, 23)
    XCTAssertEqual(x.selecting(axis: -1, index: 0).scalars, [0, 4, 8, 12, 16, 20])
  }

  func testExpandingAndSqueezingAxesKeepTheElements() {
    for axis in 0...3 {
      let expanded = x.expandingShape(at: axis)
      var expectedShape = x.shape
      expectedShape.insert(1, at: axis)
      XCTAssertEqual(expanded.shape, expectedShape)
      XCTAssertTrue(expanded.isContiguous)
      XCTAssertEqual(expanded.scalars, x.scalars)
      XCTAssertEqual(expanded.squeezingShape(), x)
      XCTAssertEqual(expanded.squeezingShape(at: [axis]), x)
    }
    let ones = Tensor(zeros: [1, 3, 1, 1])
    XCTAssertEqual(ones.squeezingShape().shape, [3])
    XCTAssertEqual(ones.squeezingShape(at: [-1]).shape, [1, 3, 1])
    XCTAssertEqual(ones.squeezingShape(at: [0, 2]).shape, [3, 1])
  }

  func testBroadcastRepeatsAxesOfExtentOneWithStrideZero() {
    let column = Tensor(shape: [3, 1], scalars: [1, 2, 3])

    let grid = column.broadcast(to: [2, 3, 4])

    XCTAssertEqual(grid.strides, [0, 1, 0])
    XCTAssertTrue(grid.storage === column.storage)
    XCTAssertFalse(grid.isContiguous)
    XCTAssertEqual(grid[1, 2, 3], 3)
    XCTAssertEqual(grid.scalars, (0..<24).map { Float(($0 / 4) % 3 + 1) })
  }

  func testWritingToABroadcastViewMaterialisesIt() {
    let row = Tensor(shape: [3], scalars: [1, 2, 3])
    var grid = row.broadcast(to: [2, 3])

    grid[0, 1] = 20

    XCTAssertEqual(grid.scalars, [1, 20, 3, 1, 2, 3])
    XCTAssertEqual(grid.strides, [3, 1])
    XCTAssertEqual(row.scalars, [1, 2, 3])
  }

  func testBroadcastShapeFollowsNumPyRules() {
    XCTAssertEqual(Tensor.broadcastShape([2, 1, 4], [3, 1]), [2, 3, 4])
    XCTAssertEqual(Tensor.broadcastShape([], [5]), [5])
    XCTAssertEqual(Tensor.broadcastShape([0, 3], [1, 3]), [0, 3])
    XCTAssertEqual(Tensor.broadcastShape([1], [0]), [0])
    XCTAssertEqual(Tensor.broadcastShape([7, 1, 1], [1, 6, 5]), [7, 6, 5])
  }

  func testContiguityIgnoresAxesOfExtentOne() {
    XCTAssertFalse(x.sliced(axis: 1, 2..<3).isContiguous, "rows 8–11 and 20–23 leave a gap")
    XCTAssertTrue(x.sliced(axis: 0, 1..<2).sliced(axis: 1, 2..<3).isContiguous)
    XCTAssertTrue(x.sliced(axis: 0, 1..<2).isContiguous)
    XCTAssertFalse(x.sliced(axis: 2, 1..<3).isContiguous)
    XCTAssertTrue(
      x.sliced(axis: 2, 1..<2).sliced(axis: 1, 0..<1).sliced(axis: 0, 0..<1).isContiguous)
    XCTAssertTrue(Tensor(3).isContiguous)
  }

  func testConcatenateJoinsAlongAMiddleAxis() {
    let a = Tensor(shape: [2, 1, 2], scalars: [1, 2, 3, 4])
    let b = x.sliced(axis: 1, 0..<2).sliced(axis: 2, 0..<2)  // [2, 2, 2], strided

    let joined = Tensor.concatenate([a, b], axis: 1)

    XCTAssertEqual(joined.shape, [2, 3, 2])
    XCTAssertEqual(joined.scalars, [1, 2, 0, 1, 4, 5, 3, 4, 12, 13, 16, 17])
    XCTAssertEqual(Tensor.concatenate([a], axis: -1), a)
  }

  func testStackAddsALeadingAxis() {
    let a = Tensor(shape: [2], scalars: [1, 2])
    let b = Tensor(shape: [2], scalars: [3, 4])

    let stacked = Tensor.stack([a, b, a])

    XCTAssertEqual(stacked.shape, [3, 2])
    XCTAssertEqual(stacked.scalars, [1, 2, 3, 4, 1, 2])
  }

  func testAssignWritesASliceAndLeavesCopiesAlone() {
    var target = Tensor(zeros: [3, 4])
    let copy = target
    let source = Tensor(shape: [4, 2], scalars: (1...8).map(Float.init)).transposed()  // [2, 4]

    target.assign(source, axis: 0, at: 1)

    XCTAssertEqual(target.scalars, [0, 0, 0, 0, 1, 3, 5, 7, 2, 4, 6, 8])
    XCTAssertEqual(copy.scalars, [Float](repeating: 0, count: 12))
  }

  func testAssignFromItsOwnStorageReadsTheOldValues() {
    var t = Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])

    t.assign(t.sliced(axis: 0, 0..<2), axis: 0, at: 1)

    XCTAssertEqual(t.scalars, [1, 2, 1, 2, 3, 4])
  }
}
