import TestSupport
import XCTest

@testable import Tensor

final class Convolution2DEpilogueTests: XCTestCase {
  /// The textbook convolution (in Double), then the residual, then the clamp, element by element.
  func reference(
    _ x: Tensor, _ w: Tensor, _ b: Tensor?, _ setup: ReferenceConvolution.Setup,
    residual: Tensor?, range: ClosedRange<Float>?
  ) -> Tensor {
    var y = ReferenceConvolution.forward(x, w, b, setup).scalars
    if let residual {
      for (index, value) in residual.scalars.enumerated() { y[index] += value }
    }
    if let range {
      y = y.map { Swift.min(Swift.max($0, range.lowerBound), range.upperBound) }
    }
    return Tensor(shape: ReferenceConvolution.outputShape(input: x.shape, weight: w.shape, setup), scalars: y)
  }

  /// Runs the fused convolution on `input`/`weight` for every combination of bias, residual and
  /// clamp, on one and two threads, and compares it with the textbook loops.
  func assertFusedMatchesReference(
    input: [Int], weight: [Int], setup: ReferenceConvolution.Setup, seed: UInt64,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    var rng = SeededGenerator(seed: seed)
    let x = Tensor.normal(input, using: &rng)
    let w = Tensor.normal(weight, using: &rng)
    let bias = Tensor.normal([weight[0]], using: &rng)
    let outputShape = ReferenceConvolution.outputShape(input: input, weight: weight, setup)
    let residual = Tensor.normal(outputShape, using: &rng)
    for threads in [1, 2] {
      for b in [bias, nil] {
        for r in [residual, nil] {
          for range in [0...1 as ClosedRange<Float>, nil] {
            let y = withComputeThreads(threads) {
              Tensor.convolution2D(
                x, weight: w, bias: b, configuration: setup.configuration,
                epilogue: ConvolutionEpilogue(adding: r, clampingTo: range))
            }
            let expected = reference(x, w, b, setup, residual: r, range: range)
            assertAllClose(
              y, expected, absoluteTolerance: 1e-4, relativeTolerance: 1e-4, file: file,
              line: line)
          }
        }
      }
    }
  }

  func testPointwiseEpilogueMatchesDirectLoops() {
    // Batch 1 on a small plane (the workers split the output channels on two threads) and a
    // batch of 3 on a plane cut into several tiles.
    assertFusedMatchesReference(
      input: [1, 24, 7, 7], weight: [40, 24, 1, 1], setup: .init(), seed: 1)
    assertFusedMatchesReference(
      input: [3, 16, 40, 45], weight: [96, 16, 1, 1], setup: .init(), seed: 2)
    // Batch 1 on a plane of 420 positions (the workers split the positions; a partial strip of
    // 4) with 13 outputs (blocks of 12 and 1), and 300 input channels with 7 outputs.
    assertFusedMatchesReference(
      input: [1, 5, 20, 21], weight: [13, 5, 1, 1], setup: .init(), seed: 8)
    assertFusedMatchesReference(
      input: [2, 300, 3, 3], weight: [7, 300, 1, 1], setup: .init(), seed: 9)
    // Batch 1 on 144 positions (5 strips: the workers split the output channels).
    assertFusedMatchesReference(
      input: [1, 10, 12, 12], weight: [22, 10, 1, 1], setup: .init(), seed: 11)
  }

  func testPointwiseKernelGivesTheSameBitsOnOneAndTwoThreads() {
    // Whole images, tiles of positions and blocks of output channels: each output element is
    // the same sum in the same order whichever worker computes it.
    for (index, shape) in [[3, 16, 20, 20], [1, 5, 20, 21], [1, 10, 12, 12]].enumerated() {
      var rng = SeededGenerator(seed: 20 + UInt64(index))
      let x = Tensor.normal(shape, using: &rng)
      let weights = PointwiseWeights(
        Tensor.normal([22, shape[1], 1, 1], using: &rng),
        configuration: Convolution2DConfiguration())!
      let bias = Tensor.normal([22], using: &rng)
      let one = withComputeThreads(1) {
        Tensor.convolution2D(x, pointwise: weights, bias: bias, epilogue: .relu6)
      }
      let two = withComputeThreads(2) {
        Tensor.convolution2D(x, pointwise: weights, bias: bias, epilogue: .relu6)
      }
      XCTAssertEqual(one.scalars, two.scalars, "shape \(shape)")
    }
  }

  func testPointwiseWeightsAreMadeOnlyForPointwiseConvolutions() {
    var rng = SeededGenerator(seed: 10)
    let oneByOne = Tensor.normal([6, 4, 1, 1], using: &rng)
    let weights = PointwiseWeights(oneByOne, configuration: Convolution2DConfiguration())
    XCTAssertEqual(weights?.transposed.shape, [4, 6])
    XCTAssertEqual(weights?.transposed[2, 5], oneByOne[5, 2, 0, 0])
    XCTAssertNotNil(
      PointwiseWeights(oneByOne, configuration: Convolution2DConfiguration(padding: .same)))
    XCTAssertNil(PointwiseWeights(oneByOne, configuration: Convolution2DConfiguration(stride: 2)))
    XCTAssertNil(
      PointwiseWeights(
        Tensor.normal([6, 2, 1, 1], using: &rng),
        configuration: Convolution2DConfiguration(groups: 2)))
    XCTAssertNil(
      PointwiseWeights(
        Tensor.normal([6, 4, 3, 3], using: &rng), configuration: Convolution2DConfiguration()))
  }

  func testDepthwiseEpilogueMatchesDirectLoopsOnBothKernels() {
    // 20 channels on a 14×14 plane: the channel-block kernel (a full block and a partial one);
    // 3 channels on a 70×70 plane with stride 2: the row kernel.
    assertFusedMatchesReference(
      input: [2, 20, 14, 14], weight: [20, 1, 5, 5],
      setup: .init(padding: (2, 2, 2, 2), groups: 20), seed: 3)
    assertFusedMatchesReference(
      input: [1, 3, 70, 70], weight: [3, 1, 3, 3],
      setup: .init(stride: (2, 2), padding: (0, 1, 0, 1), groups: 3), seed: 4)
  }

  func testDenseConvolutionEpilogueRunsAsOnePassAfterwards() {
    assertFusedMatchesReference(
      input: [2, 3, 9, 8], weight: [8, 3, 3, 3],
      setup: .init(stride: (2, 2), padding: (0, 1, 0, 1)), seed: 5)
  }

  func testDepthwiseEpilogueEqualsTheSeparatePassesBitForBit() {
    // Arrange: a depthwise convolution with a bias, a residual and ReLU6.
    var rng = SeededGenerator(seed: 6)
    let x = Tensor.normal([2, 32, 28, 28], using: &rng) * 3
    let w = Tensor.normal([32, 1, 3, 3], using: &rng)
    let b = Tensor.normal([32], using: &rng)
    let residual = Tensor.normal([2, 32, 28, 28], using: &rng)
    let configuration = Convolution2DConfiguration(padding: .same, groups: 32)
    // Act
    let fused = Tensor.convolution2D(
      x, weight: w, bias: b, configuration: configuration,
      epilogue: ConvolutionEpilogue(adding: residual, clampingTo: 0...6))
    let plain = Tensor.convolution2D(x, weight: w, bias: b, configuration: configuration)
    let separate = (plain + residual).scalars.map { Swift.min(Swift.max($0, 0), 6) }
    // Assert: the same rounding (the sum, then the clamp).
    XCTAssertEqual(fused.scalars, separate)
  }

  func testNaNPassesThroughTheClamp() {
    let x = Tensor(shape: [1, 1, 1, 2], scalars: [.nan, 9])
    let w = Tensor(shape: [1, 1, 1, 1], scalars: [1])
    let y = Tensor.convolution2D(x, weight: w, epilogue: .relu6).scalars
    XCTAssertTrue(y[0].isNaN)
    XCTAssertEqual(y[1], 6)
  }

  func testIdentityEpilogueIsThePlainConvolution() {
    var rng = SeededGenerator(seed: 7)
    let x = Tensor.normal([1, 4, 5, 5], using: &rng)
    let w = Tensor.normal([6, 4, 1, 1], using: &rng)
    XCTAssertTrue(ConvolutionEpilogue.identity.isIdentity)
    XCTAssertFalse(ConvolutionEpilogue.relu.isIdentity)
    XCTAssertEqual(
      Tensor.convolution2D(x, weight: w, epilogue: .identity).scalars,
      Tensor.convolution2D(x, weight: w).scalars)
  }
}
