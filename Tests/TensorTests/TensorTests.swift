import XCTest

@testable import Tensor

final class TensorTests: XCTestCase {
  func testInitialisersLayOutElementsInRowMajorOrder() {
    let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])

    XCTAssertEqual(x.rank, 2)
    XCTAssertEqual(x.count, 6)
    XCTAssertEqual(x.strides, [3, 1])
    XCTAssertEqual(x.offset, 0)
    XCTAssertEqual(x[1, 0], 4)
    XCTAssertEqual(x[0, 2], 3)
    XCTAssertTrue(x.isContiguous)
    XCTAssertEqual(Tensor(shape: [2, 2], repeating: 7).scalars, [7, 7, 7, 7])
    XCTAssertEqual(Tensor(zeros: [3]).scalars, [0, 0, 0])
    XCTAssertEqual(
      Tensor(shape: [3]) { buffer in
        for i in buffer.indices { buffer[i] = Float(i * i) }
      }.scalars, [0, 1, 4])
  }

  func testScalarsAndEmptyTensors() {
    let scalar = Tensor(2.5)
    let empty = Tensor(zeros: [2, 0, 3])

    XCTAssertEqual(scalar.rank, 0)
    XCTAssertEqual(scalar.count, 1)
    XCTAssertEqual(scalar.scalar, 2.5)
    XCTAssertEqual(scalar[], 2.5)
    XCTAssertEqual(scalar.scalars, [2.5])
    XCTAssertEqual(empty.count, 0)
    XCTAssertEqual(empty.scalars, [])
    XCTAssertEqual(empty.materialized().shape, [2, 0, 3])
    XCTAssertEqual(empty.reshaped(to: [0, 7]).shape, [0, 7])
    XCTAssertEqual(Tensor(shape: [1, 1], scalars: [4]).scalar, 4)
  }

  func testContiguousStridesAreRowMajor() {
    XCTAssertEqual(Tensor.contiguousStrides(for: [2, 3, 4]), [12, 4, 1])
    XCTAssertEqual(Tensor.contiguousStrides(for: []), [])
    XCTAssertEqual(Tensor.contiguousStrides(for: [5, 0, 2]), [0, 2, 1])
  }

  func testCopiesShareStorageUntilOneIsWritten() {
    let original = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
    var copy = original

    XCTAssertTrue(copy.storage === original.storage)
    copy[0, 1] = 20

    XCTAssertFalse(copy.storage === original.storage)
    XCTAssertEqual(original.scalars, [1, 2, 3, 4])
    XCTAssertEqual(copy.scalars, [1, 20, 3, 4])
  }

  func testWritingToAUniqueTensorDoesNotCopy() {
    var x = Tensor(zeros: [3])
    let address = x.storage.pointer  // holds no reference to the storage

    x[1] = 5
    x.withUnsafeMutableBufferPointer { $0[2] = 7 }
    x += 1
    x *= Tensor(shape: [3], repeating: 2)

    XCTAssertEqual(x.storage.pointer, address)
    XCTAssertEqual(x.scalars, [2, 12, 16])
  }

  func testWritingThroughAViewLeavesTheParentAlone() {
    let parent = Tensor(shape: [3, 3], scalars: (0..<9).map(Float.init))
    var column = parent.selecting(axis: 1, index: 1)

    column[2] = -1
    column.withUnsafeMutableBufferPointer { $0[0] = -2 }

    XCTAssertEqual(column.scalars, [-2, 4, -1])
    XCTAssertEqual(parent.scalars, (0..<9).map(Float.init))
  }

  func testMutableBufferOfAViewIsDenseAndInRowMajorOrder() {
    let parent = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    var transposed = parent.transposed()

    let seen = transposed.withUnsafeMutableBufferPointer { Array($0) }

    XCTAssertEqual(seen, [1, 4, 2, 5, 3, 6])
    XCTAssertTrue(transposed.isContiguous)
    XCTAssertEqual(transposed.shape, [3, 2])
  }

  func testReadOnlyBufferOfAViewSeesItsElementsInOrder() {
    let parent = Tensor(shape: [3, 4], scalars: (0..<12).map(Float.init))

    let seen = parent.sliced(axis: 1, 1..<3).withUnsafeBufferPointer { Array($0) }

    XCTAssertEqual(seen, [1, 2, 5, 6, 9, 10])
  }

  func testContiguousReturnsItselfWhenAlreadyDense() {
    let x = Tensor(shape: [4, 5], scalars: (0..<20).map(Float.init))
    let rows = x.sliced(axis: 0, 1..<3)

    XCTAssertTrue(x.contiguous().storage === x.storage)
    XCTAssertTrue(rows.isContiguous, "a block of whole rows is contiguous")
    XCTAssertTrue(rows.contiguous().storage === x.storage)
    XCTAssertFalse(x.transposed().contiguous().storage === x.storage)
    XCTAssertEqual(x.transposed().contiguous().strides, [4, 1])
  }

  func testElementAccessFollowsStridesAndOffset() {
    let x = Tensor(shape: [2, 3, 4], scalars: (0..<24).map(Float.init))
    let view = x.permuted([2, 0, 1]).sliced(axis: 2, 1..<3)  // [4, 2, 2]

    for i in 0..<4 {
      for j in 0..<2 {
        for k in 0..<2 { XCTAssertEqual(view[i, j, k], x[j, k + 1, i]) }
      }
    }
  }

  func testEqualityComparesValuesNotLayout() {
    let x = Tensor(shape: [2, 2], scalars: [1, 3, 2, 4])
    let y = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]).transposed()

    XCTAssertEqual(x, y)
    XCTAssertNotEqual(x, x.reshaped(to: [4]))
    XCTAssertNotEqual(Tensor(shape: [1], scalars: [.nan]), Tensor(shape: [1], scalars: [.nan]))
  }

  func testDescriptionShowsShapeAndLeadingValues() {
    XCTAssertEqual(
      Tensor(shape: [2], scalars: [1, 2]).description, "Tensor(shape: [2], [1.0, 2.0])")
    XCTAssertTrue(Tensor(zeros: [3, 3]).description.hasSuffix(", …])"))
  }

  func testStorageIsSixtyFourByteAligned() {
    for count in [0, 1, 3, 1000] {
      let x = Tensor(zeros: [count])
      XCTAssertEqual(Int(bitPattern: x.storage.pointer) % 64, 0)
    }
  }
}
