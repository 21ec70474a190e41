import Foundation
import Tensor
import TestSupport
import XCTest

/// Softmax along `axis` by its definition, in Double, one lane at a time.
private func naiveSoftmax(_ x: Tensor, axis: Int, log takeLog: Bool) -> Tensor {
  // Move `axis` last, work on rows, move it back.
  var order = Array(0..<x.rank)
  order.remove(at: axis)
  order.append(axis)
  let moved = x.permuted(order).contiguous()
  let length = x.shape[axis]
  let values = moved.scalars
  var result = [Float]()
  for start in stride(from: 0, to: values.count, by: length) {
    let lane = values[start..<(start + length)].map(Double.init)
    let total = lane.map { Foundation.exp($0) }.reduce(0, +)
    result += lane.map { Float(takeLog ? $0 - Foundation.log(total) : Foundation.exp($0) / total) }
  }
  var inverse = [Int](repeating: 0, count: x.rank)
  for (position, axis) in order.enumerated() { inverse[axis] = position }
  return Tensor(shape: moved.shape, scalars: result).permuted(inverse)
}

final class SoftmaxTests: XCTestCase {
  func testSoftmaxAndLogSoftmaxMatchTheDefinitionAlongEveryAxis() {
    var rng = SeededGenerator(seed: 30)
    let base = Tensor.normal([3, 5, 7], standardDeviation: 3, using: &rng)
    for x in [base, base.permuted([2, 0, 1])] {
      for axis in 0..<3 {
        assertAllClose(x.softmax(alongAxis: axis), naiveSoftmax(x, axis: axis, log: false))
        assertAllClose(x.logSoftmax(alongAxis: axis), naiveSoftmax(x, axis: axis, log: true))
      }
    }
  }

  func testSoftmaxDefaultsToTheLastAxisAndSumsToOne() {
    var rng = SeededGenerator(seed: 31)
    let x = Tensor.normal([4, 9], using: &rng)

    let y = x.softmax()

    XCTAssertEqual(y, x.softmax(alongAxis: 1))
    assertAllClose(y.sum(alongAxes: 1), Tensor(shape: [4], repeating: 1))
    XCTAssertEqual(x.logSoftmax(), x.logSoftmax(alongAxis: -1))
  }

  func testLargeLogitsDoNotOverflow() {
    let x = Tensor(shape: [1, 3], scalars: [1000, 999, -1000])

    let y = x.softmax()
    let logY = x.logSoftmax()
    let shifted = (x - 1000).softmax()

    let e = Foundation.exp(Float(-1))
    assertAllClose(y, Tensor(shape: [1, 3], scalars: [1 / (1 + e), e / (1 + e), 0]))
    XCTAssertEqual(y, shifted)
    XCTAssertEqual(logY.scalars[0], -Foundation.log(1 + e), accuracy: 1e-6)
    XCTAssertEqual(logY.scalars[2], -2000 - Foundation.log(1 + e), accuracy: 1e-3)
  }

  func testLogSoftmaxStaysAccurateWhereSoftmaxUnderflows() {
    let x = Tensor(shape: [2], scalars: [0, -200])

    XCTAssertEqual(x.softmax().scalars[1], 0)
    XCTAssertEqual(x.logSoftmax().scalars[1], -200, accuracy: 1e-4)
    XCTAssertEqual(x.logSoftmax().scalars[0], 0, accuracy: 1e-7)
  }

  func testLogSumExpMatchesTheDefinitionAndHandlesInfinities() {
    var rng = SeededGenerator(seed: 32)
    let x = Tensor.normal([3, 4], using: &rng)
    let expected = x.scalars.map(Double.init)
    let rows = (0..<3).map { row in
      Float(Foundation.log((0..<4).map { Foundation.exp(expected[row * 4 + $0]) }.reduce(0, +)))
    }

    assertAllClose(x.logSumExp(alongAxis: 1), Tensor(shape: [3], scalars: rows))
    XCTAssertEqual(x.logSumExp(alongAxis: 0, keepingDimensions: true).shape, [1, 4])
    let special = Tensor(
      shape: [3, 2], scalars: [-.infinity, -.infinity, .infinity, 1, .nan, 1])
    let result = special.logSumExp(alongAxis: 1).scalars
    XCTAssertEqual(result[0], -.infinity)
    XCTAssertEqual(result[1], .infinity)
    XCTAssertTrue(result[2].isNaN)
  }

  func testSpecialValuesFollowPyTorch() {
    let x = Tensor(
      shape: [3, 2], scalars: [-.infinity, 0, -.infinity, -.infinity, .nan, 1])

    let y = x.softmax().scalars
    let logY = x.logSoftmax().scalars

    XCTAssertEqual(y[0], 0)
    XCTAssertEqual(y[1], 1)
    XCTAssertEqual(logY[0], -.infinity)
    XCTAssertEqual(logY[1], 0)
    XCTAssertTrue(y[2].isNaN && y[3].isNaN, "a lane of only -inf has no distribution")
    XCTAssertTrue(y[4].isNaN && y[5].isNaN, "NaN spreads over its lane")
    XCTAssertTrue(logY[4].isNaN && logY[5].isNaN)
  }

  func testSoftmaxBackwardMatchesFiniteDifferences() {
    var rng = SeededGenerator(seed: 33)
    let x = Tensor.normal([2, 5, 3], using: &rng)
    let w = Tensor.normal([2, 5, 3], using: &rng)

    let y = x.softmax(alongAxis: 1)
    let analytic = Tensor.softmaxBackward(outputGradient: w, output: y, alongAxis: 1)

    assertGradientMatchesFiniteDifferences(
      analytic, of: { dot($0.softmax(alongAxis: 1), w) }, at: x, step: 1e-2,
      absoluteTolerance: 1e-3)
  }

  func testLogSoftmaxBackwardMatchesFiniteDifferences() {
    var rng = SeededGenerator(seed: 34)
    let x = Tensor.normal([3, 4], using: &rng)
    let w = Tensor.normal([3, 4], using: &rng)

    let z = x.logSoftmax(alongAxis: 0)
    let analytic = Tensor.logSoftmaxBackward(outputGradient: w, output: z, alongAxis: 0)

    assertGradientMatchesFiniteDifferences(
      analytic, of: { dot($0.logSoftmax(alongAxis: 0), w) }, at: x, absoluteTolerance: 1e-3)
  }

  func testBackwardAcceptsStridedGradients() {
    var rng = SeededGenerator(seed: 35)
    let x = Tensor.normal([4, 3], using: &rng)
    let w = Tensor.normal([3, 4], using: &rng).transposed()  // [4, 3], strided
    let y = x.softmax()
    let z = x.logSoftmax()

    assertAllClose(
      Tensor.softmaxBackward(outputGradient: w, output: y),
      Tensor.softmaxBackward(outputGradient: w.contiguous(), output: y))
    assertAllClose(
      Tensor.logSoftmaxBackward(outputGradient: w, output: z),
      Tensor.logSoftmaxBackward(outputGradient: w.contiguous(), output: z))
  }
}
