import TestSupport
import XCTest

@testable import Tensor

final class Pooling2DMaxTests: XCTestCase {
  /// Distinct values 0.125 apart in a seeded order: no ties, finite differences off the kinks.
  static func separated(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    let count = shape.reduce(1, *)
    let values = (0..<count).map { Float($0) * 0.125 - Float(count) * 0.0625 }.shuffled(using: &rng)
    return Tensor(shape: shape, scalars: values)
  }

  static func referenceForward(_ x: Tensor, _ c: Pooling2DConfiguration) -> Tensor {
    let xs = x.scalars
    var y: [Float] = []
    let shape = ReferencePooling.forEachWindow(inputShape: x.shape, c) { _, indices, _ in
      y.append(indices.map { xs[$0] }.max() ?? -.infinity)
    }
    return Tensor(shape: shape, scalars: y)
  }

  static let configurations = [
    Pooling2DConfiguration(
      kernelSize: (3, 2), stride: (2, 1), padding: .explicit(top: 1, bottom: 0, left: 1, right: 1)),
    Pooling2DConfiguration(
      kernelSize: (3, 2), stride: (2, 1), padding: .explicit(top: 1, bottom: 0, left: 1, right: 1),
      ceilMode: true),
    Pooling2DConfiguration(kernelSize: 3, stride: 2, padding: .symmetric(1), ceilMode: true),
  ]

  func testMaxPoolMatchesDirectLoopsOnOddShapes() {
    for (index, configuration) in Self.configurations.enumerated() {
      var rng = SeededGenerator(seed: UInt64(index))
      let x = Tensor.normal([2, 3, 7, 5], using: &rng)
      let y = Tensor.maxPool2D(x, configuration: configuration)
      XCTAssertEqual(y, Self.referenceForward(x, configuration), "configuration \(index)")
    }
  }

  func testMaxPoolBackwardMatchesFiniteDifferences() {
    for (index, configuration) in Self.configurations.enumerated() {
      var rng = SeededGenerator(seed: UInt64(10 + index))
      let x = Self.separated([2, 3, 7, 5], seed: UInt64(20 + index))
      let probe = Tensor.normal(configuration.outputShape(inputShape: x.shape), using: &rng)
      let analytic = Tensor.maxPool2DBackward(probe, input: x, configuration: configuration)
      assertGradientMatchesFiniteDifferences(
        analytic, of: { dot(Tensor.maxPool2D($0, configuration: configuration), probe) }, at: x)
    }
  }

  func testTiedMaximaSendTheGradientToTheFirstInWindowOrder() {
    // Every window of a constant plane is a tie: non-overlapping 2×2 windows each route their
    // gradient to their top-left element.
    let x = Tensor(shape: [1, 1, 4, 4], repeating: 3)
    let dy = Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
    let dx = Tensor.maxPool2DBackward(
      dy, input: x, configuration: Pooling2DConfiguration(kernelSize: 2))
    XCTAssertEqual(
      dx.scalars, [1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0])
  }

  func testPaddingNeverWinsEvenOverNegativeValues() {
    let x = Tensor(shape: [1, 1, 2, 2], scalars: [-4, -3, -2, -1])
    let y = Tensor.maxPool2D(
      x, configuration: Pooling2DConfiguration(kernelSize: 2, stride: 1, padding: .symmetric(1)))
    XCTAssertEqual(y.scalars, [-4, -3, -3, -2, -1, -1, -2, -1, -1])
  }

  func testNaNPropagatesToItsWindows() {
    let x = Tensor(shape: [1, 1, 2, 4], scalars: [1, .nan, 5, 2, 3, 4, 0, 1])
    let y = Tensor.maxPool2D(x, configuration: Pooling2DConfiguration(kernelSize: 2))
    XCTAssertTrue(y.scalars[0].isNaN)
    XCTAssertEqual(y.scalars[1], 5)
  }

  func testMaxPoolMatchesJAXGoldenValues() throws {
    for name in ["maxpool_k3_s2_p1", "maxpool_k2x3_ceil"] {
      let fixture = try PoolingFixture.load(name)
      let x = fixture.input.tensor
      let y = Tensor.maxPool2D(x, configuration: fixture.configuration)
      assertAllClose(
        y, fixture.output.tensor, absoluteTolerance: 1e-6, relativeTolerance: 1e-6, name)
      let dx = Tensor.maxPool2DBackward(
        fixture.outputGradient.tensor, input: x, configuration: fixture.configuration)
      assertAllClose(
        dx, fixture.inputGradient.tensor, absoluteTolerance: 1e-5, relativeTolerance: 1e-5, name)
    }
  }
}
