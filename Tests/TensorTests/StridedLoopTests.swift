import XCTest

@testable import Tensor

final class StridedLoopTests: XCTestCase {
  func testBiasBroadcastOverAnImageBatchBecomesRunsOfWholePlanes() {
    // [N, C, H, W] + [C, 1, 1]: output and input dense, bias walked with stride 0 inside a plane.
    let shape = [2, 3, 4, 5]
    let dense = Tensor.contiguousStrides(for: shape)

    let loop = StridedLoop(shape: shape, dense, dense, [0, 1, 0, 0])

    XCTAssertEqual(loop.shape, [2, 3, 20])
    XCTAssertEqual(loop.innerCount, 20)
    XCTAssertTrue(loop.innerStrides == (1, 1, 0))
    XCTAssertEqual(loop.runCount, 6)
  }

  func testDenseOperandsMergeIntoOneRun() {
    let shape = [3, 1, 4, 5]
    let dense = Tensor.contiguousStrides(for: shape)

    let loop = StridedLoop(shape: shape, dense, dense, dense)

    XCTAssertEqual(loop.shape, [60])
    XCTAssertEqual(loop.runCount, 1)
  }

  func testRunsVisitEveryElementOnceInRowMajorOrder() {
    let shape = [2, 3, 4]
    let transposed = [1, 2, 6]  // strides of a [4, 3, 2] tensor permuted by [2, 1, 0]
    let loop = StridedLoop(
      shape: shape, Tensor.contiguousStrides(for: shape), transposed, [0, 0, 0])
    var visited = [(Int, Int)]()

    loop.forEachRun(0, 0, 0) { o, i, _ in
      for k in 0..<loop.innerCount {
        visited.append((o + k * loop.innerStrides.0, i + k * loop.innerStrides.1))
      }
    }

    XCTAssertEqual(visited.map(\.0), Array(0..<24))
    var expected = [Int]()
    for a in 0..<2 { for b in 0..<3 { for c in 0..<4 { expected.append(a + 2 * b + 6 * c) } } }
    XCTAssertEqual(visited.map(\.1), expected)
  }

  func testEmptyAndScalarShapes() {
    let empty = StridedLoop(shape: [3, 0], [0, 1], [0, 1], [0, 1])
    let scalar = StridedLoop(shape: [], [], [], [])
    var runs = 0

    empty.forEachRun(0, 0, 0) { _, _, _ in runs += 1 }
    XCTAssertEqual(runs, 0)
    XCTAssertEqual(empty.runCount, 0)
    scalar.forEachRun(5, 6, 7) { o, i, j in
      XCTAssertEqual([o, i, j], [5, 6, 7])
      runs += 1
    }
    XCTAssertEqual(runs, 1)
    XCTAssertEqual(scalar.innerCount, 1)
  }
}
