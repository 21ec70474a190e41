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

/// A reduction by its definition: fold every element into the output cell named by its index
/// outside `axes`; the result keeps the reduced axes with extent 1.
private func naiveReduce(
  _ x: Tensor, axes: Set<Int>, initial: Double, _ combine: (Double, Double) -> Double
) -> (shape: [Int], values: [Double]) {
  let kept = x.shape.indices.map { axes.contains($0) ? 1 : x.shape[$0] }
  var values = [Double](repeating: initial, count: kept.reduce(1, *))
  let scalars = x.scalars
  for (position, index) in allIndices(x.shape).enumerated() {
    var cell = 0
    for axis in index.indices { cell = cell * kept[axis] + (axes.contains(axis) ? 0 : index[axis]) }
    values[cell] = combine(values[cell], Double(scalars[position]))
  }
  return (kept, values)
}

/// Every subset of `0..<rank`.
private func axisSubsets(_ rank: Int) -> [[Int]] {
  (0..<(1 << rank)).map { mask in (0..<rank).filter { mask & (1 << $0) != 0 } }
}

final class ReductionsTests: XCTestCase {
  func testSumMeanMaximumMinimumMatchTheDefinitionForEveryAxisSubset() {
    var rng = SeededGenerator(seed: 20)
    let base = Tensor.normal([3, 4, 5], using: &rng)
    for x in [base, base.permuted([2, 0, 1]), base.sliced(axis: 1, 1..<4)] {
      for axes in axisSubsets(x.rank) where !axes.isEmpty {
        let set = Set(axes)
        let sums = naiveReduce(x, axes: set, initial: 0, +)
        let count = Double(axes.map { x.shape[$0] }.reduce(1, *))
        let maxima = naiveReduce(x, axes: set, initial: -.infinity) { Swift.max($0, $1) }
        let minima = naiveReduce(x, axes: set, initial: .infinity) { Swift.min($0, $1) }
        let kept = sums.shape
        let dropped = kept.indices.filter { !set.contains($0) }.map { kept[$0] }
        func tensor(_ values: [Double], _ shape: [Int]) -> Tensor {
          Tensor(shape: shape, scalars: values.map { Float($0) })
        }

        assertAllClose(x.sum(alongAxes: axes), tensor(sums.values, dropped), "\(axes)")
        assertAllClose(
          x.sum(alongAxes: axes, keepingDimensions: true), tensor(sums.values, kept), "\(axes)")
        assertAllClose(
          x.mean(alongAxes: axes), tensor(sums.values.map { $0 / count }, dropped), "\(axes)")
        XCTAssertEqual(x.maximum(alongAxes: axes), tensor(maxima.values, dropped), "\(axes)")
        XCTAssertEqual(
          x.minimum(alongAxes: axes, keepingDimensions: true), tensor(minima.values, kept))
      }
    }
  }

  func testVariadicAndNegativeAxesNameTheSameReduction() {
    var rng = SeededGenerator(seed: 21)
    let x = Tensor.normal([2, 3, 4], using: &rng)

    XCTAssertEqual(x.sum(alongAxes: 0, 2), x.sum(alongAxes: [0, 2]))
    XCTAssertEqual(x.sum(alongAxes: -1), x.sum(alongAxes: [2]))
    XCTAssertEqual(x.mean(alongAxes: -2, keepingDimensions: true).shape, [2, 1, 4])
    XCTAssertEqual(x.maximum(alongAxes: 1, -1), x.maximum(alongAxes: [1, 2]))
    XCTAssertEqual(x.minimum(alongAxes: 0), x.minimum(alongAxes: [0]))
    XCTAssertEqual(x.sum(alongAxes: []), x)
  }

  func testWholeTensorReductions() {
    let x = Tensor(shape: [2, 3], scalars: [3, -1, 4, 1, -5, 9])

    XCTAssertEqual(x.sum(), 11)
    XCTAssertEqual(x.mean(), 11 / 6, accuracy: 1e-6)
    XCTAssertEqual(x.maximum(), 9)
    XCTAssertEqual(x.minimum(), -5)
    XCTAssertEqual(x.argmax(), 5)
    XCTAssertEqual(x.argmin(), 4)
    XCTAssertEqual(x.transposed().argmax(), 5)
    XCTAssertEqual(x.transposed().argmin(), 3)
    XCTAssertEqual(Tensor(7).sum(), 7)
  }

  func testSumAccumulatesInDoublePrecision() {
    // 2²⁰ copies of 0.1: a Float running sum drifts by about 1 %, a Double one does not.
    let x = Tensor(shape: [1 << 20], repeating: 0.1)

    XCTAssertEqual(Double(x.sum()), Double(Float(0.1)) * Double(1 << 20), accuracy: 1e-2)
    XCTAssertEqual(x.mean(), 0.1, accuracy: 1e-7)
    XCTAssertEqual(
      x.reshaped(to: [1024, 1024]).sum(alongAxes: 0).scalars[17], Float(102.4), accuracy: 1e-4)
  }

  func testEmptyReductions() {
    let empty = Tensor(zeros: [0, 3])

    XCTAssertEqual(empty.sum(), 0)
    XCTAssertTrue(empty.mean().isNaN)
    XCTAssertEqual(empty.sum(alongAxes: 0).scalars, [0, 0, 0])
    XCTAssertEqual(empty.maximum(alongAxes: 1).shape, [0])
  }

  func testArgmaxTakesTheFirstOfTiedMaxima() {
    let x = Tensor(shape: [3, 4], scalars: [1, 5, 5, 2, 7, 7, 7, 7, -1, -2, -1, -3])

    XCTAssertEqual(x.argmax(alongAxis: 1).scalars, [1, 0, 0])
    XCTAssertEqual(x.argmin(alongAxis: 1).scalars, [0, 0, 3])
    XCTAssertEqual(x.argmax(alongAxis: 0).scalars, [1, 1, 1, 1])
    XCTAssertEqual(x.argmax(alongAxis: -1, keepingDimensions: true).shape, [3, 1])
    XCTAssertEqual(x.argmax(alongAxis: 0, keepingDimensions: true).shape, [1, 4])
  }

  func testArgmaxAlongEachAxisOfAViewMatchesTheDefinition() {
    var rng = SeededGenerator(seed: 22)
    let x = Tensor.normal([4, 3, 5], using: &rng).permuted([1, 2, 0])  // [3, 5, 4]
    for axis in 0..<3 {
      let result = x.argmax(alongAxis: axis)
      var laneShape = x.shape
      laneShape.remove(at: axis)
      for (position, lane) in allIndices(laneShape).enumerated() {
        var best = 0
        var bestValue = -Float.infinity
        for k in 0..<x.shape[axis] {
          var index = lane
          index.insert(k, at: axis)
          let value = x[index[0], index[1], index[2]]
          if value > bestValue { (best, bestValue) = (k, value) }
        }
        XCTAssertEqual(Int(result.scalars[position]), best, "axis \(axis), lane \(lane)")
      }
    }
  }

  func testNaNPropagatesThroughReductions() {
    let x = Tensor(shape: [2, 3], scalars: [1, .nan, 3, 4, 5, 6])

    XCTAssertTrue(x.sum().isNaN)
    XCTAssertTrue(x.maximum().isNaN)
    XCTAssertTrue(x.minimum().isNaN)
    XCTAssertEqual(x.maximum(alongAxes: 1).scalars[1], 6)
    XCTAssertTrue(x.maximum(alongAxes: 1).scalars[0].isNaN)
    XCTAssertTrue(x.minimum(alongAxes: 0).scalars[1].isNaN)
    XCTAssertEqual(x.minimum(alongAxes: 0).scalars[2], 3)
    XCTAssertEqual(x.argmax(alongAxis: 1).scalars, [1, 2])
    XCTAssertEqual(x.argmin(alongAxis: 1).scalars, [1, 0])
    XCTAssertEqual(x.argmax(), 1)
    XCTAssertTrue(x.mean(alongAxes: 0).scalars[1].isNaN)
  }

  func testNaNPropagatesThroughLongContiguousRuns() {
    // Runs longer than the eight-lane vector kernels, with the NaN in the vector part or the
    // scalar tail.
    for position in [3, 17, 22] {
      var values = (0..<23).map { Float($0 % 7) - 3 }
      values[position] = .nan
      let x = Tensor(shape: [23], scalars: values)
      let grid = Tensor(shape: [23, 1], scalars: values).broadcast(to: [23, 9]).contiguous()

      XCTAssertTrue(x.maximum().isNaN, "NaN at \(position)")
      XCTAssertTrue(x.minimum().isNaN, "NaN at \(position)")
      XCTAssertTrue(x.sum().isNaN, "NaN at \(position)")
      XCTAssertEqual(x.argmax(), position)
      XCTAssertTrue(grid.maximum(alongAxes: 0).scalars.allSatisfy(\.isNaN))
      XCTAssertTrue(grid.minimum(alongAxes: 0).scalars.allSatisfy(\.isNaN))
    }
    let clean = Tensor(shape: [23], scalars: (0..<23).map { Float(($0 * 5) % 23) })
    XCTAssertEqual(clean.maximum(), 22)
    XCTAssertEqual(clean.minimum(), 0)
    XCTAssertEqual(clean.sum(), 253)
  }

  func testUnbroadcastingSumsTheBroadcastAxes() {
    let gradient = Tensor(shape: [2, 3, 2], scalars: (1...12).map(Float.init))

    // Axis 0 and the last axis are summed: (1 + 2 + 7 + 8), (3 + 4 + 9 + 10), (5 + 6 + 11 + 12).
    XCTAssertEqual(gradient.unbroadcasted(to: [3, 1]).scalars, [18, 26, 34])
    XCTAssertEqual(gradient.unbroadcasted(to: [2]).scalars, [36, 42])
    XCTAssertEqual(gradient.unbroadcasted(to: [1, 1, 1]).scalars, [78])
    XCTAssertEqual(gradient.unbroadcasted(to: [2, 3, 2]), gradient)
    XCTAssertEqual(gradient.unbroadcasted(to: []).scalars, [78])
  }

  func testUnbroadcastingIsTheBackwardOfBroadcastAddition() {
    var rng = SeededGenerator(seed: 23)
    let x = Tensor.normal([2, 3, 4, 5], using: &rng)
    let bias = Tensor.normal([3, 1, 1], using: &rng)
    let w = Tensor.normal([2, 3, 4, 5], using: &rng)

    // d⟨x ⊙ b + b, w⟩/db = Σ over broadcast axes of (x + 1) ⊙ w.
    let analytic = ((x + 1) * w).unbroadcasted(to: bias.shape)

    assertGradientMatchesFiniteDifferences(analytic, of: { dot(x * $0 + $0, w) }, at: bias)
  }
}
