import Foundation
import Tensor
import TestSupport
import XCTest

/// Every multi-index of `shape` in row-major order.
private func allIndices(_ shape: [Int]) -> [[Int]] {
  var result: [[Int]] = [[]]
  for extent in shape {
    result = result.flatMap { prefix in (0..<extent).map { prefix + [$0] } }
  }
  return result
}

/// The element of `t` that NumPy broadcasting pairs with `index` of the broadcast shape,
/// computed from `t`'s row-major scalars without any of the library's stride logic.
private func broadcastElement(_ t: Tensor, _ values: [Float], _ index: [Int]) -> Float {
  let lead = index.count - t.rank
  var position = 0
  for axis in 0..<t.rank {
    let i = t.shape[axis] == 1 ? 0 : index[lead + axis]
    position = position * t.shape[axis] + i
  }
  return values[position]
}

/// `op` applied by the textbook definition of broadcasting.
private func naive(_ a: Tensor, _ b: Tensor, _ op: (Float, Float) -> Float) -> Tensor {
  let rank = Swift.max(a.rank, b.rank)
  let pa = [Int](repeating: 1, count: rank - a.rank) + a.shape
  let pb = [Int](repeating: 1, count: rank - b.rank) + b.shape
  let shape = zip(pa, pb).map { $0 == 1 ? $1 : $0 }
  let (va, vb) = (a.scalars, b.scalars)
  let values = allIndices(shape).map {
    op(broadcastElement(a, va, $0), broadcastElement(b, vb, $0))
  }
  return Tensor(shape: shape, scalars: values)
}

final class ArithmeticTests: XCTestCase {
  private let shapePairs: [([Int], [Int])] = [
    ([3, 5], [3, 5]),
    ([2, 3, 4], [4]),
    ([3, 1, 5], [4, 1]),
    ([1], [3, 5]),
    ([2, 1, 3, 1], [5, 1, 7]),
    ([], [2, 3]),
    ([4, 3, 5, 7], [3, 1, 1]),
    ([0, 3], [1, 3]),
  ]

  func testBinaryOperatorsBroadcastLikeNumPy() {
    var rng = SeededGenerator(seed: 10)
    for (sa, sb) in shapePairs {
      let a = Tensor.normal(sa, using: &rng)
      let b = Tensor.uniform(sb, low: 0.5, high: 2, using: &rng)

      assertAllClose(a + b, naive(a, b, +), "\(sa) + \(sb)")
      assertAllClose(b - a, naive(b, a, -), "\(sb) - \(sa)")
      assertAllClose(a * b, naive(a, b, *), "\(sa) * \(sb)")
      assertAllClose(a / b, naive(a, b, /), "\(sa) / \(sb)")
    }
  }

  func testStridedViewsGiveTheSameResultsAsTheirCopies() {
    var rng = SeededGenerator(seed: 11)
    let base = Tensor.normal([4, 6, 5], using: &rng)
    let transposed = base.permuted([2, 0, 1])  // [5, 4, 6]
    let sliced = base.sliced(axis: 1, 1..<5).sliced(axis: 2, 2..<5)  // [4, 4, 3]
    let other = Tensor.normal([5, 4, 6], using: &rng)
    let row = Tensor.normal([3], using: &rng)

    XCTAssertFalse(transposed.isContiguous)
    XCTAssertFalse(sliced.isContiguous)
    assertAllClose(transposed + other, transposed.contiguous() + other)
    assertAllClose(other * transposed, naive(other, transposed, *))
    assertAllClose(sliced - row, naive(sliced.contiguous(), row, -))
    assertAllClose(transposed - transposed, Tensor(zeros: [5, 4, 6]))
    assertAllClose(
      sliced.broadcast(to: [2, 4, 4, 3]) * row, naive(sliced.broadcast(to: [2, 4, 4, 3]), row, *))
  }

  func testScalarOperatorsApplyToEveryElement() {
    var rng = SeededGenerator(seed: 12)
    let x = Tensor.uniform([3, 4, 5], low: 0.5, high: 2, using: &rng).transposed()
    let values = x.scalars

    XCTAssertEqual((x + 2).scalars, values.map { $0 + 2 })
    XCTAssertEqual((2 + x).scalars, values.map { 2 + $0 })
    XCTAssertEqual((x - 3).scalars, values.map { $0 - 3 })
    XCTAssertEqual((3 - x).scalars, values.map { 3 - $0 })
    XCTAssertEqual((x * 1.5).scalars, values.map { $0 * 1.5 })
    XCTAssertEqual((1.5 * x).scalars, values.map { 1.5 * $0 })
    XCTAssertEqual((x / 4).scalars, values.map { $0 / 4 })
    XCTAssertEqual((4 / x).scalars, values.map { 4 / $0 })
    XCTAssertEqual((-x).scalars, values.map { -$0 })
    XCTAssertEqual((x + 2).shape, [3, 5, 4])
  }

  func testCompoundAssignmentBroadcastsTheRightOperand() {
    var rng = SeededGenerator(seed: 13)
    let original = Tensor.normal([2, 3, 4], using: &rng)
    let bias = Tensor.normal([3, 1], using: &rng)
    var x = original

    x += bias
    XCTAssertEqual(x, naive(original, bias, +))
    x -= bias
    assertAllClose(x, original)
    x = original
    x *= bias
    XCTAssertEqual(x, naive(original, bias, *))
    x /= bias
    assertAllClose(x, original)
    x += 1
    x -= 0.5
    x *= 2
    x /= 4
    assertAllClose(x, (original + 0.5) * 0.5)
  }

  func testCompoundAssignmentDoesNotChangeCopies() {
    let original = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
    var copy = original
    var view = original.transposed()

    copy += Tensor(shape: [2], scalars: [10, 20])
    view *= 2

    XCTAssertEqual(original.scalars, [1, 2, 3, 4])
    XCTAssertEqual(copy.scalars, [11, 22, 13, 24])
    XCTAssertEqual(view.scalars, [2, 6, 4, 8])
  }

  func testCompoundAssignmentOnASliceWritesOnlyThatSlice() {
    var x = Tensor(shape: [3, 4], scalars: (0..<12).map(Float.init))
    var row = x.sliced(axis: 0, 1..<2)
    x = Tensor(zeros: [1])  // drop the other owner so the slice owns its storage

    row += Tensor(shape: [4], scalars: [100, 200, 300, 400])

    XCTAssertEqual(row.shape, [1, 4])
    XCTAssertEqual(row.scalars, [104, 205, 306, 407])
  }

  func testCompoundAssignmentOnABroadcastViewMaterialisesIt() {
    let row = Tensor(shape: [3], scalars: [1, 2, 3])
    var grid = row.broadcast(to: [2, 3])

    grid += Tensor(shape: [2, 1], scalars: [10, 20])

    XCTAssertEqual(grid.scalars, [11, 12, 13, 21, 22, 23])
    XCTAssertEqual(row.scalars, [1, 2, 3])
  }

  func testUnaryFunctionsMatchTheScalarFunctions() {
    var rng = SeededGenerator(seed: 14)
    let x = Tensor.normal([3, 7], using: &rng).permuted([1, 0])
    let positive = abs(x) + 0.1
    let values = x.scalars

    assertAllClose(exp(x), Tensor(shape: [7, 3], scalars: values.map { Foundation.exp($0) }))
    assertAllClose(
      log(positive), Tensor(shape: [7, 3], scalars: positive.scalars.map { Foundation.log($0) }))
    assertAllClose(
      sqrt(positive), Tensor(shape: [7, 3], scalars: positive.scalars.map { $0.squareRoot() }))
    XCTAssertEqual(abs(x).scalars, values.map { Swift.abs($0) })
    XCTAssertEqual(relu(x).scalars, values.map { Swift.max($0, 0) })
    XCTAssertEqual(sign(x).scalars, values.map { $0 > 0 ? 1 : -1 })
    XCTAssertEqual(x.squared().scalars, values.map { $0 * $0 })
    XCTAssertEqual(
      x.clamped(min: -0.5, max: 0.25).scalars, values.map { Swift.min(Swift.max($0, -0.5), 0.25) })
    XCTAssertEqual(x.map { $0 * 3 + 1 }.scalars, values.map { $0 * 3 + 1 })
  }

  func testClampingToTensorBoundsProjectsOntoTheBall() {
    let x = Tensor(shape: [2, 3], scalars: [0, 0.5, 1, -2, 2, 0.1])
    let centre = Tensor(shape: [2, 3], scalars: [0.2, 0.2, 0.2, 0, 0, 0])

    let projected = x.clamped(min: centre - 0.1, max: centre + 0.1)

    assertAllClose(projected, Tensor(shape: [2, 3], scalars: [0.1, 0.3, 0.3, -0.1, 0.1, 0.1]))
  }

  func testElementwiseMaximumAndMinimumBroadcast() {
    let a = Tensor(shape: [2, 2], scalars: [1, 5, -3, 0])
    let b = Tensor(shape: [2], scalars: [2, 2])

    XCTAssertEqual(max(a, b).scalars, [2, 5, 2, 2])
    XCTAssertEqual(min(a, b).scalars, [1, 2, -3, 0])
  }

  func testNaNPropagatesThroughEveryFunction() {
    let x = Tensor(shape: [3], scalars: [.nan, 1, -1])
    let one = Tensor(shape: [3], repeating: 1)

    for result in [
      relu(x), sign(x), abs(x), exp(x), x.clamped(min: 0, max: 0.5), max(x, one), max(one, x),
      min(x, one), min(one, x), x + 1, x * 0,
    ] {
      XCTAssertTrue(result.scalars[0].isNaN, "\(result)")
      XCTAssertFalse(result.scalars[1].isNaN, "\(result)")
    }
    XCTAssertEqual(sign(Tensor(shape: [2], scalars: [0, -0.0])).scalars, [0, 0])
    XCTAssertTrue(log(Tensor(shape: [1], scalars: [-1])).scalars[0].isNaN)
    XCTAssertEqual(log(Tensor(shape: [1], scalars: [0])).scalars[0], -.infinity)
    XCTAssertEqual((Tensor(shape: [1], scalars: [1]) / 0).scalars[0], .infinity)
  }

  func testComparisonsGiveZeroOneMasks() {
    let a = Tensor(shape: [4], scalars: [1, 2, 3, .nan])
    let b = Tensor(shape: [4], scalars: [2, 2, 2, 2])

    XCTAssertEqual((a .> b).scalars, [0, 0, 1, 0])
    XCTAssertEqual((a .>= b).scalars, [0, 1, 1, 0])
    XCTAssertEqual((a .< b).scalars, [1, 0, 0, 0])
    XCTAssertEqual((a .<= b).scalars, [1, 1, 0, 0])
    XCTAssertEqual((a .> 1.5).scalars, [0, 1, 1, 0])
    XCTAssertEqual((a .>= 2).scalars, [0, 1, 1, 0])
    XCTAssertEqual((a .< 2).scalars, [1, 0, 0, 0])
    XCTAssertEqual((a .<= 2).scalars, [1, 1, 0, 0])
    XCTAssertEqual((a.reshaped(to: [4, 1]) .> b.sliced(axis: 0, 0..<2)).shape, [4, 2])
  }

  func testLargeTensorsMatchTheDefinitionForAnyThreadSetting() {
    var rng = SeededGenerator(seed: 15)
    let a = Tensor.uniform([300, 700], using: &rng)
    let b = Tensor.uniform([300, 700], using: &rng)
    let threads = ComputeThreads.count
    defer { ComputeThreads.set(threads) }

    ComputeThreads.set(2)
    var twoThreads = a * b + a
    twoThreads += b
    ComputeThreads.set(1)
    var oneThread = a * b + a
    oneThread += b

    XCTAssertEqual(twoThreads, oneThread)
    let (va, vb, vp) = (a.scalars, b.scalars, twoThreads.scalars)
    for i in stride(from: 0, to: va.count, by: 997) {
      XCTAssertEqual(vp[i], va[i] * vb[i] + va[i] + vb[i])
    }
  }

}
