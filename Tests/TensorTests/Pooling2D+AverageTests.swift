import TestSupport
import XCTest

@testable import Tensor

final class Pooling2DAverageTests: XCTestCase {
  static func referenceForward(_ x: Tensor, _ c: Pooling2DConfiguration, countsPadding: Bool)
    -> Tensor
  {
    let xs = x.scalars.map(Double.init)
    var y: [Float] = []
    let shape = ReferencePooling.forEachWindow(inputShape: x.shape, c) { _, indices, area in
      let sum = indices.reduce(0.0) { $0 + xs[$1] }
      y.append(Float(sum / Double(countsPadding ? area : indices.count)))
    }
    return Tensor(shape: shape, scalars: y)
  }

  static let configurations = [
    Pooling2DConfiguration(
      kernelSize: (3, 2), stride: (2, 1), padding: .explicit(top: 1, bottom: 2, left: 1, right: 0)),
    Pooling2DConfiguration(
      kernelSize: (3, 2), stride: (2, 1), padding: .explicit(top: 1, bottom: 0, left: 1, right: 1),
      ceilMode: true),
    Pooling2DConfiguration(kernelSize: 3, stride: 2, padding: .symmetric(1), ceilMode: true),
  ]

  func testAveragePoolMatchesDirectLoopsWithAndWithoutCountingPadding() {
    for (index, configuration) in Self.configurations.enumerated() {
      for countsPadding in [true, false] {
        var rng = SeededGenerator(seed: UInt64(index))
        let x = Tensor.normal([2, 3, 7, 5], using: &rng)
        let y = Tensor.averagePool2D(x, configuration: configuration, countsPadding: countsPadding)
        assertAllClose(
          y, Self.referenceForward(x, configuration, countsPadding: countsPadding),
          absoluteTolerance: 1e-6, relativeTolerance: 1e-5,
          "configuration \(index), countsPadding \(countsPadding)")
      }
    }
  }

  func testAveragePoolBackwardMatchesFiniteDifferences() {
    for (index, configuration) in Self.configurations.enumerated() {
      for countsPadding in [true, false] {
        var rng = SeededGenerator(seed: UInt64(10 + index))
        let x = Tensor.normal([2, 3, 7, 5], using: &rng)
        let probe = Tensor.normal(configuration.outputShape(inputShape: x.shape), using: &rng)
        let analytic = Tensor.averagePool2DBackward(
          probe, inputShape: x.shape, configuration: configuration, countsPadding: countsPadding)
        assertGradientMatchesFiniteDifferences(
          analytic,
          of: {
            dot(
              Tensor.averagePool2D($0, configuration: configuration, countsPadding: countsPadding),
              probe)
          }, at: x)
      }
    }
  }

  func testCountingPaddingDividesCornerWindowsByTheFullArea() {
    let x = Tensor(shape: [1, 1, 2, 2], repeating: 9)
    let configuration = Pooling2DConfiguration(kernelSize: 3, stride: 1, padding: .symmetric(1))
    XCTAssertEqual(
      Tensor.averagePool2D(x, configuration: configuration, countsPadding: true).scalars,
      [4, 4, 4, 4])
    XCTAssertEqual(
      Tensor.averagePool2D(x, configuration: configuration, countsPadding: false).scalars,
      [9, 9, 9, 9])
  }

  func testAveragePoolMatchesJAXGoldenValues() throws {
    for name in [
      "avgpool_k3_s2_p1_ceil_countpad", "avgpool_k3_s2_p1_ceil_nocountpad",
      "avgpool_k2x3_s1x2_asymmetric",
    ] {
      let fixture = try PoolingFixture.load(name)
      let x = fixture.input.tensor
      let y = Tensor.averagePool2D(
        x, configuration: fixture.configuration, countsPadding: fixture.countIncludePad)
      assertAllClose(
        y, fixture.output.tensor, absoluteTolerance: 1e-5, relativeTolerance: 1e-5, name)
      let dx = Tensor.averagePool2DBackward(
        fixture.outputGradient.tensor, inputShape: x.shape, configuration: fixture.configuration,
        countsPadding: fixture.countIncludePad)
      assertAllClose(
        dx, fixture.inputGradient.tensor, absoluteTolerance: 1e-5, relativeTolerance: 1e-5, name)
    }
  }
}
