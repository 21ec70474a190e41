import Foundation
import TestSupport
import XCTest

@testable import Tensor

final class Convolution2DBackwardTests: XCTestCase {
  struct Case {
    var inputShape: [Int]
    var weightShape: [Int]
    var setup: ReferenceConvolution.Setup
  }

  static let odd = Convolution2DTests.oddSetup

  /// The shapes of the issue: groups 1, 3 (depthwise), depthwise with multiplier 2, two groups
  /// of two channels, pointwise, and a single-channel input.
  static let cases: [Case] = [
    Case(inputShape: [2, 3, 7, 5], weightShape: [4, 3, 3, 2], setup: odd),
    Case(inputShape: [2, 3, 7, 5], weightShape: [3, 1, 3, 2], setup: with(odd) { $0.groups = 3 }),
    Case(inputShape: [2, 3, 7, 5], weightShape: [6, 1, 3, 2], setup: with(odd) { $0.groups = 3 }),
    Case(inputShape: [2, 4, 7, 5], weightShape: [6, 2, 3, 2], setup: with(odd) { $0.groups = 2 }),
    Case(
      inputShape: [2, 4, 3, 5], weightShape: [3, 4, 1, 1], setup: ReferenceConvolution.Setup()),
    Case(
      inputShape: [2, 1, 6, 5], weightShape: [3, 1, 2, 3],
      setup: ReferenceConvolution.Setup(stride: (1, 2), padding: (0, 1, 1, 1))),
    // Depthwise rows wide enough for the direct kernel's 64-, 32- and 16-column blocks.
    Case(
      inputShape: [1, 2, 6, 75], weightShape: [4, 1, 3, 3],
      setup: ReferenceConvolution.Setup(
        stride: (1, 1), dilation: (1, 2), padding: (2, 1, 1, 2), groups: 2)),
    Case(
      inputShape: [1, 2, 5, 70], weightShape: [2, 1, 2, 3],
      setup: ReferenceConvolution.Setup(
        stride: (2, 2), dilation: (2, 1), padding: (0, 1, 1, 0), groups: 2)),
    // Padding wider than the kernel: windows entirely in the padding, and a negative padding
    // for the depthwise input gradient's transposed window.
    Case(
      inputShape: [1, 2, 4, 5], weightShape: [2, 1, 2, 2],
      setup: ReferenceConvolution.Setup(stride: (2, 1), padding: (3, 2, 3, 1), groups: 2)),
  ]

  static func with(
    _ setup: ReferenceConvolution.Setup, _ change: (inout ReferenceConvolution.Setup) -> Void
  ) -> ReferenceConvolution.Setup {
    var copy = setup
    change(&copy)
    return copy
  }

  func testGradientsMatchDirectLoopAdjointsOnEveryCaseAndAlgorithm() {
    for (index, testCase) in Self.cases.enumerated() {
      // Arrange
      var rng = SeededGenerator(seed: UInt64(100 + index))
      let x = Tensor.normal(testCase.inputShape, using: &rng)
      let w = Tensor.normal(testCase.weightShape, using: &rng)
      let configuration = testCase.setup.configuration
      let outputShape = configuration.outputShape(
        inputShape: testCase.inputShape, weightShape: testCase.weightShape)
      let dy = Tensor.normal(outputShape, using: &rng)
      let geometry = Convolution2DGeometry(
        inputShape: testCase.inputShape, weightShape: testCase.weightShape,
        configuration: configuration)
      let algorithms: [Convolution2DAlgorithm] =
        geometry.isDepthwise ? [.depthwise, .patchMatrix] : [.patchMatrix]
      let expectedInput = ReferenceConvolution.inputGradient(
        dy, w, inputShape: testCase.inputShape, testCase.setup)
      let expectedWeight = ReferenceConvolution.weightGradient(
        dy, x, weightShape: testCase.weightShape, testCase.setup)
      for algorithm in algorithms {
        for threads in [1, 2] {
          // Act
          let (dx, dw) = withComputeThreads(threads) {
            (
              Tensor.convolution2DInputGradient(
                dy, weight: w, geometry: geometry, algorithm: algorithm),
              Tensor.convolution2DWeightGradient(
                dy, input: x, geometry: geometry, algorithm: algorithm)
            )
          }
          // Assert
          let label = "case \(index), \(algorithm), \(threads) threads"
          assertAllClose(dx, expectedInput, absoluteTolerance: 1e-4, relativeTolerance: 1e-4, label)
          assertAllClose(
            dw, expectedWeight, absoluteTolerance: 1e-4, relativeTolerance: 1e-4, label)
        }
      }
    }
  }

  func testInputGradientMatchesFiniteDifferences() {
    for (index, testCase) in Self.cases.enumerated() {
      var rng = SeededGenerator(seed: UInt64(200 + index))
      let x = Tensor.normal(testCase.inputShape, using: &rng)
      let w = Tensor.normal(testCase.weightShape, using: &rng)
      let configuration = testCase.setup.configuration
      let probe = Tensor.normal(
        configuration.outputShape(inputShape: x.shape, weightShape: w.shape), using: &rng)
      let analytic = Tensor.convolution2DInputGradient(
        probe, weight: w, inputShape: x.shape, configuration: configuration)
      assertGradientMatchesFiniteDifferences(
        analytic,
        of: { dot(Tensor.convolution2D($0, weight: w, configuration: configuration), probe) },
        at: x)
    }
  }

  func testWeightGradientMatchesFiniteDifferences() {
    for (index, testCase) in Self.cases.enumerated() {
      var rng = SeededGenerator(seed: UInt64(300 + index))
      let x = Tensor.normal(testCase.inputShape, using: &rng)
      let w = Tensor.normal(testCase.weightShape, using: &rng)
      let configuration = testCase.setup.configuration
      let probe = Tensor.normal(
        configuration.outputShape(inputShape: x.shape, weightShape: w.shape), using: &rng)
      let analytic = Tensor.convolution2DWeightGradient(
        probe, input: x, weightShape: w.shape, configuration: configuration)
      assertGradientMatchesFiniteDifferences(
        analytic,
        of: { dot(Tensor.convolution2D(x, weight: $0, configuration: configuration), probe) },
        at: w)
    }
  }

  func testBiasGradientMatchesFiniteDifferences() {
    var rng = SeededGenerator(seed: 400)
    let x = Tensor.normal([2, 3, 7, 5], using: &rng)
    let w = Tensor.normal([4, 3, 3, 2], using: &rng)
    let b = Tensor.normal([4], using: &rng)
    let configuration = Self.odd.configuration
    let probe = Tensor.normal(
      configuration.outputShape(inputShape: x.shape, weightShape: w.shape), using: &rng)
    let gradients = Tensor.convolution2DBackward(
      probe, input: x, weight: w, configuration: configuration)
    XCTAssertEqual(gradients.input.shape, x.shape)
    XCTAssertEqual(gradients.weight.shape, w.shape)
    guard let analytic = gradients.bias else { return XCTFail("The bias gradient is missing.") }
    assertGradientMatchesFiniteDifferences(
      analytic,
      of: {
        dot(Tensor.convolution2D(x, weight: w, bias: $0, configuration: configuration), probe)
      },
      at: b)
  }

  func testOneImageSplitOverTwoWorkersMatchesTheReference() {
    // One image and one group on two threads: the workers split the input channels, each adding
    // its tiles into its own channels (tiles overlap through the 3×3 windows).
    var rng = SeededGenerator(seed: 500)
    let setup = ReferenceConvolution.Setup(stride: (1, 1), padding: (1, 1, 1, 1))
    let x = Tensor.normal([1, 16, 30, 30], using: &rng)
    let w = Tensor.normal([8, 16, 3, 3], using: &rng)
    let dy = Tensor.normal([1, 8, 30, 30], using: &rng)
    let expectedInput = ReferenceConvolution.inputGradient(dy, w, inputShape: x.shape, setup)
    let expectedWeight = ReferenceConvolution.weightGradient(dy, x, weightShape: w.shape, setup)
    for threads in [1, 2] {
      withComputeThreads(threads) {
        let gradients = Tensor.convolution2DBackward(
          dy, input: x, weight: w, configuration: setup.configuration, includesBias: false)
        XCTAssertNil(gradients.bias)
        assertAllClose(
          gradients.input, expectedInput, absoluteTolerance: 1e-3, relativeTolerance: 1e-4)
        assertAllClose(
          gradients.weight, expectedWeight, absoluteTolerance: 1e-3, relativeTolerance: 1e-4)
      }
    }
  }

  func testInputGradientHasTheSameBitsOnOneTwoAndThreeThreads() {
    // Batch 1 (the workers split the input channels) and batch 3 (whole images per worker), a
    // stem-like strided layer, a large plane cut into several tiles, a tiny plane and groups:
    // every element of the input gradient is summed in one order whatever the thread count.
    let shapes: [(input: [Int], weight: [Int], configuration: Convolution2DConfiguration)] = [
      ([1, 3, 96, 96], [32, 3, 3, 3], Convolution2DConfiguration(stride: 2, padding: .same)),
      ([1, 16, 40, 40], [24, 16, 3, 3], Convolution2DConfiguration(padding: .symmetric(1))),
      ([1, 6, 5, 7], [8, 6, 3, 3], Convolution2DConfiguration(padding: .symmetric(1))),
      ([3, 8, 20, 20], [8, 4, 3, 3], Convolution2DConfiguration(padding: .symmetric(1), groups: 2)),
      ([1, 12, 9, 9], [20, 12, 1, 1], Convolution2DConfiguration()),
    ]
    for (index, shape) in shapes.enumerated() {
      var rng = SeededGenerator(seed: UInt64(900 + index))
      let w = Tensor.normal(shape.weight, using: &rng)
      let dy = Tensor.normal(
        shape.configuration.outputShape(inputShape: shape.input, weightShape: shape.weight),
        using: &rng)
      let results = [1, 2, 3].map { threads in
        withComputeThreads(threads) {
          Tensor.convolution2DInputGradient(
            dy, weight: w, inputShape: shape.input, configuration: shape.configuration)
        }
      }
      XCTAssertEqual(results[0].scalars, results[1].scalars, "shape \(index), 1 vs 2 threads")
      XCTAssertEqual(results[0].scalars, results[2].scalars, "shape \(index), 1 vs 3 threads")
    }
  }

  func testSmallImagesAtBatchOneSplitGEMMRowsAcrossWorkersAndMatchDirectLoops() {
    // One image, too few positions for two tiles: the workers split channels instead.
    let shapes: [(input: [Int], weight: [Int], setup: ReferenceConvolution.Setup)] = [
      ([1, 3, 7, 5], [4, 3, 3, 2], Self.odd),
      ([1, 5, 4, 6], [7, 5, 1, 1], ReferenceConvolution.Setup()),
      ([1, 4, 6, 6], [6, 2, 3, 3], Self.with(Self.odd) { $0.groups = 2 }),
    ]
    for (index, shape) in shapes.enumerated() {
      var rng = SeededGenerator(seed: UInt64(700 + index))
      let x = Tensor.normal(shape.input, using: &rng)
      let w = Tensor.normal(shape.weight, using: &rng)
      let b = Tensor.normal([shape.weight[0]], using: &rng)
      let configuration = shape.setup.configuration
      let dy = Tensor.normal(
        configuration.outputShape(inputShape: x.shape, weightShape: w.shape), using: &rng)
      let geometry = Convolution2DGeometry(
        inputShape: x.shape, weightShape: w.shape, configuration: configuration)
      XCTAssertTrue(
        ConvolutionTiling(
          patchSize: geometry.patchSize, outputPlane: geometry.outputPlane,
          units: geometry.batch * geometry.groups, workers: 3
        ).splitsRows)
      for threads in [1, 2, 3] {
        withComputeThreads(threads) {
          let label = "shape \(index), \(threads) threads"
          assertAllClose(
            Tensor.convolution2D(x, weight: w, bias: b, configuration: configuration),
            ReferenceConvolution.forward(x, w, b, shape.setup), absoluteTolerance: 1e-4,
            relativeTolerance: 1e-4, label)
          let gradients = Tensor.convolution2DBackward(
            dy, input: x, weight: w, configuration: configuration)
          assertAllClose(
            gradients.input,
            ReferenceConvolution.inputGradient(dy, w, inputShape: x.shape, shape.setup),
            absoluteTolerance: 1e-4, relativeTolerance: 1e-4, label)
          assertAllClose(
            gradients.weight,
            ReferenceConvolution.weightGradient(dy, x, weightShape: w.shape, shape.setup),
            absoluteTolerance: 1e-4, relativeTolerance: 1e-4, label)
        }
      }
    }
  }

  func testGradientsMatchJAXGoldenValues() throws {
    for name in ConvolutionFixture.names {
      let fixture = try ConvolutionFixture.load(name)
      let gradients = Tensor.convolution2DBackward(
        fixture.outputGradient.tensor, input: fixture.input.tensor,
        weight: fixture.weight.tensor, configuration: fixture.configuration,
        includesBias: fixture.biasGradient != nil)
      assertAllClose(
        gradients.input, fixture.inputGradient.tensor, absoluteTolerance: 1e-4,
        relativeTolerance: 1e-4, name)
      assertAllClose(
        gradients.weight, fixture.weightGradient.tensor, absoluteTolerance: 1e-4,
        relativeTolerance: 1e-4, name)
      if let expected = fixture.biasGradient, let bias = gradients.bias {
        assertAllClose(
          bias, expected.tensor, absoluteTolerance: 1e-4, relativeTolerance: 1e-4, name)
      }
    }
  }

  func testCol2ImIsTheAdjointOfIm2Col() {
    // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for a tile that starts and ends mid-row.
    var rng = SeededGenerator(seed: 600)
    let window = ConvolutionWindow(
      height: 7, width: 5, kernel: (3, 2), stride: (2, 1), dilation: (2, 2),
      padding: .explicit(top: 1, bottom: 2, left: 0, right: 1), ceilMode: false,
      operation: "test")
    let positions = 2..<9
    let rows = 3 * 3 * 2
    let x = Tensor.normal([3, 7, 5], using: &rng)
    let c = Tensor.normal([rows, positions.count], using: &rng)
    let patches = x.withUnsafeBufferPointer { xb in
      Tensor(shape: [rows, positions.count]) { out in
        Im2Col.patches(
          of: xb.baseAddress!, channels: 3, window: window, positions: positions,
          into: out.baseAddress!)
      }
    }
    let scattered = c.withUnsafeBufferPointer { cb in
      Tensor(shape: [3, 7, 5]) { out in
        out.update(repeating: 0)
        Im2Col.addPatches(
          cb.baseAddress!, channels: 3, window: window, positions: positions,
          into: out.baseAddress!)
      }
    }
    XCTAssertEqual(dot(patches, c), dot(x, scattered), accuracy: 1e-4)
    XCTAssertNotEqual(dot(patches, c), 0)
  }
}
