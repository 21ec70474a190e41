import Foundation
import TestSupport
import XCTest

@testable import Tensor

/// A 2-D convolution written as the textbook sum, in Double: the reference the fast kernels are
/// compared with.
enum ReferenceConvolution {
  struct Setup {
    var stride: (Int, Int) = (1, 1)
    var dilation: (Int, Int) = (1, 1)
    /// (top, bottom, left, right)
    var padding: (Int, Int, Int, Int) = (0, 0, 0, 0)
    var groups = 1

    var configuration: Convolution2DConfiguration {
      Convolution2DConfiguration(
        stride: stride, dilation: dilation,
        padding: .explicit(top: padding.0, bottom: padding.1, left: padding.2, right: padding.3),
        groups: groups)
    }
  }

  static func outputShape(input: [Int], weight: [Int], _ s: Setup) -> [Int] {
    let ho =
      (input[2] + s.padding.0 + s.padding.1 - s.dilation.0 * (weight[2] - 1) - 1)
      / s.stride.0 + 1
    let wo =
      (input[3] + s.padding.2 + s.padding.3 - s.dilation.1 * (weight[3] - 1) - 1)
      / s.stride.1 + 1
    return [input[0], weight[0], ho, wo]
  }

  /// Calls `body(inputIndex, weightIndex, outputIndex)` for every product of the convolution
  /// that reads a real (not padded) input element.
  static func forEachProduct(
    input: [Int], weight: [Int], _ s: Setup, _ body: (Int, Int, Int) -> Void
  ) {
    let out = outputShape(input: input, weight: weight, s)
    let (n, c, h, w) = (input[0], input[1], input[2], input[3])
    let (o, cg, kh, kw) = (weight[0], weight[1], weight[2], weight[3])
    let og = o / s.groups
    for b in 0..<n {
      for oc in 0..<o {
        let group = oc / og
        for i in 0..<out[2] {
          for j in 0..<out[3] {
            let yIndex = ((b * o + oc) * out[2] + i) * out[3] + j
            for ci in 0..<cg {
              let channel = group * cg + ci
              for p in 0..<kh {
                let row = i * s.stride.0 - s.padding.0 + p * s.dilation.0
                guard row >= 0 && row < h else { continue }
                for q in 0..<kw {
                  let column = j * s.stride.1 - s.padding.2 + q * s.dilation.1
                  guard column >= 0 && column < w else { continue }
                  body(
                    ((b * c + channel) * h + row) * w + column, ((oc * cg + ci) * kh + p) * kw + q,
                    yIndex)
                }
              }
            }
          }
        }
      }
    }
    _ = c
  }

  static func forward(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ s: Setup) -> Tensor {
    let shape = outputShape(input: x.shape, weight: w.shape, s)
    let (xs, ws) = (x.scalars.map(Double.init), w.scalars.map(Double.init))
    var y = [Double](repeating: 0, count: shape.reduce(1, *))
    forEachProduct(input: x.shape, weight: w.shape, s) { xi, wi, yi in y[yi] += xs[xi] * ws[wi] }
    if let b {
      let plane = shape[2] * shape[3]
      let bs = b.scalars
      for index in y.indices { y[index] += Double(bs[(index / plane) % shape[1]]) }
    }
    return Tensor(shape: shape, scalars: y.map(Float.init))
  }

  static func inputGradient(_ dy: Tensor, _ w: Tensor, inputShape: [Int], _ s: Setup) -> Tensor {
    let (dys, ws) = (dy.scalars.map(Double.init), w.scalars.map(Double.init))
    var dx = [Double](repeating: 0, count: inputShape.reduce(1, *))
    forEachProduct(input: inputShape, weight: w.shape, s) { xi, wi, yi in
      dx[xi] += dys[yi] * ws[wi]
    }
    return Tensor(shape: inputShape, scalars: dx.map(Float.init))
  }

  static func weightGradient(_ dy: Tensor, _ x: Tensor, weightShape: [Int], _ s: Setup)
    -> Tensor
  {
    let (dys, xs) = (dy.scalars.map(Double.init), x.scalars.map(Double.init))
    var dw = [Double](repeating: 0, count: weightShape.reduce(1, *))
    forEachProduct(input: x.shape, weight: weightShape, s) { xi, wi, yi in
      dw[wi] += dys[yi] * xs[xi]
    }
    return Tensor(shape: weightShape, scalars: dw.map(Float.init))
  }
}

/// A tensor stored in a fixture: shape and row-major values.
struct FixtureTensor: Decodable {
  let shape: [Int]
  let data: [Double]
  var tensor: Tensor { Tensor(shape: shape, scalars: data.map(Float.init)) }
}

/// One convolution case written by Tools/make_convolution_fixtures.py (JAX, float64).
struct ConvolutionFixture: Decodable {
  let name: String
  let stride: [Int]
  let dilation: [Int]
  let groups: Int
  let padding: PaddingField
  let resolvedPadding: [Int]
  let input: FixtureTensor
  let weight: FixtureTensor
  let bias: FixtureTensor?
  let output: FixtureTensor
  let outputGradient: FixtureTensor
  let inputGradient: FixtureTensor
  let weightGradient: FixtureTensor
  let biasGradient: FixtureTensor?

  /// `"same"` or `[top, bottom, left, right]`.
  enum PaddingField: Decodable {
    case same
    case explicit([Int])

    init(from decoder: Decoder) throws {
      let container = try decoder.singleValueContainer()
      if let word = try? container.decode(String.self), word == "same" {
        self = .same
      } else {
        self = .explicit(try container.decode([Int].self))
      }
    }
  }

  var configuration: Convolution2DConfiguration {
    let padding: ConvolutionPadding
    switch self.padding {
    case .same: padding = .same
    case .explicit(let p): padding = .explicit(top: p[0], bottom: p[1], left: p[2], right: p[3])
    }
    return Convolution2DConfiguration(
      stride: (stride[0], stride[1]), dilation: (dilation[0], dilation[1]), padding: padding,
      groups: groups)
  }

  static func load(_ name: String) throws -> ConvolutionFixture {
    let data = try Data(contentsOf: fixtureURL("Convolution/\(name).json"))
    return try JSONDecoder().decode(ConvolutionFixture.self, from: data)
  }

  static let names = [
    "conv_odd_dilated_asymmetric", "conv_grouped", "conv_depthwise_multiplier2_same",
    "conv_stem_same_stride2", "conv_pointwise",
  ]
}

/// Runs `body` with `ComputeThreads` set to `count`, restoring the previous setting.
func withComputeThreads<R>(_ count: Int, _ body: () throws -> R) rethrows -> R {
  let previous = ComputeThreads.count
  ComputeThreads.set(count)
  defer { ComputeThreads.set(previous) }
  return try body()
}

final class Convolution2DTests: XCTestCase {
  /// The odd shape: N=2, C=3, H=7, W=5, kernel 3×2, stride 2×1, dilation 2,
  /// padding (top 1, bottom 2, left 0, right 1).
  static let oddSetup = ReferenceConvolution.Setup(
    stride: (2, 1), dilation: (2, 2), padding: (1, 2, 0, 1), groups: 1)

  func assertForwardMatchesReference(
    inputShape: [Int], weightShape: [Int], setup: ReferenceConvolution.Setup, bias: Bool,
    seed: UInt64, algorithm: Convolution2DAlgorithm? = nil,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    // Arrange
    var rng = SeededGenerator(seed: seed)
    let x = Tensor.normal(inputShape, using: &rng)
    let w = Tensor.normal(weightShape, using: &rng)
    let b = bias ? Tensor.normal([weightShape[0]], using: &rng) : nil
    // Act
    let y: Tensor
    if let algorithm {
      let geometry = Convolution2DGeometry(
        inputShape: inputShape, weightShape: weightShape, configuration: setup.configuration)
      y = Tensor.convolution2D(x, weight: w, bias: b, geometry: geometry, algorithm: algorithm)
    } else {
      y = Tensor.convolution2D(x, weight: w, bias: b, configuration: setup.configuration)
    }
    // Assert
    let expected = ReferenceConvolution.forward(x, w, b, setup)
    assertAllClose(
      y, expected, absoluteTolerance: 1e-4, relativeTolerance: 1e-4, file: file, line: line)
  }

  func testOddShapeWithStrideDilationAndAsymmetricPaddingMatchesDirectLoops() {
    assertForwardMatchesReference(
      inputShape: [2, 3, 7, 5], weightShape: [4, 3, 3, 2], setup: Self.oddSetup, bias: true,
      seed: 1)
  }

  func testThreeGroupsOnThreeChannelsMatchDirectLoops() {
    var setup = Self.oddSetup
    setup.groups = 3
    assertForwardMatchesReference(
      inputShape: [2, 3, 7, 5], weightShape: [3, 1, 3, 2], setup: setup, bias: true, seed: 2)
  }

  func testTwoGroupsWithSeveralChannelsEachMatchDirectLoops() {
    var setup = Self.oddSetup
    setup.groups = 2
    assertForwardMatchesReference(
      inputShape: [2, 4, 7, 5], weightShape: [6, 2, 3, 2], setup: setup, bias: false, seed: 3)
  }

  func testDepthwiseWithChannelMultiplierTwoMatchesDirectLoops() {
    var setup = Self.oddSetup
    setup.groups = 3
    assertForwardMatchesReference(
      inputShape: [2, 3, 7, 5], weightShape: [6, 1, 3, 2], setup: setup, bias: true, seed: 4)
  }

  func testDepthwiseKernelAgreesWithPatchMatrixPathOnWideRows() {
    // Rows wider than the kernel's 64-column register block; strides 1, 2 (specialised), 3, 5.
    for (stride, seed) in [((1, 1), UInt64(5)), ((2, 2), 6), ((1, 3), 7), ((2, 5), 14)] {
      let setup = ReferenceConvolution.Setup(
        stride: stride, dilation: (1, 2), padding: (2, 1, 1, 2), groups: 2)
      for algorithm in [Convolution2DAlgorithm.depthwise, .patchMatrix] {
        assertForwardMatchesReference(
          inputShape: [1, 2, 6, 75], weightShape: [4, 1, 3, 3], setup: setup, bias: true,
          seed: seed, algorithm: algorithm)
      }
    }
  }

  /// Lite0's depthwise layers on small planes (kernels 3 and 5, strides 1 and 2, TensorFlow SAME
  /// padding), odd planes with dilation and asymmetric padding, wide rows with stride 3, on 19
  /// or 33 channels (full blocks of 16 and a partial one) or 3 and 5 (one partial block).
  static let channelBlockDepthwiseCases:
    [(input: [Int], kernel: Int, setup: ReferenceConvolution.Setup)] = [
      ([2, 19, 14, 14], 3, .init(padding: (1, 1, 1, 1), groups: 19)),
      ([2, 19, 14, 14], 5, .init(padding: (2, 2, 2, 2), groups: 19)),
      ([2, 19, 14, 14], 3, .init(stride: (2, 2), padding: (0, 1, 0, 1), groups: 19)),
      ([2, 19, 14, 14], 5, .init(stride: (2, 2), padding: (1, 2, 1, 2), groups: 19)),
      ([2, 19, 7, 7], 5, .init(padding: (2, 2, 2, 2), groups: 19)),
      ([2, 19, 7, 7], 3, .init(padding: (1, 1, 1, 1), groups: 19)),
      (
        [1, 5, 13, 11], 5, .init(stride: (2, 1), dilation: (2, 1), padding: (3, 1, 0, 2), groups: 5)
      ),
      (
        [1, 5, 9, 29], 3, .init(stride: (1, 2), dilation: (1, 2), padding: (0, 2, 3, 1), groups: 5)
      ),
      (
        [1, 3, 6, 75], 3, .init(stride: (2, 3), dilation: (1, 2), padding: (2, 1, 1, 2), groups: 3)
      ),
      ([2, 33, 30, 30], 3, .init(stride: (2, 2), padding: (0, 1, 0, 1), groups: 33)),
    ]

  func testDepthwiseOnChannelBlocksMatchesDirectLoopsOnOneAndTwoThreads() {
    for (index, item) in Self.channelBlockDepthwiseCases.enumerated() {
      let weightShape = [item.input[1], 1, item.kernel, item.kernel]
      let geometry = Convolution2DGeometry(
        inputShape: item.input, weightShape: weightShape,
        configuration: item.setup.configuration)
      XCTAssertTrue(Tensor.usesChannelBlocks(geometry), "case \(index)")
      for threads in [1, 2] {
        for bias in [true, false] {
          withComputeThreads(threads) {
            assertForwardMatchesReference(
              inputShape: item.input, weightShape: weightShape, setup: item.setup, bias: bias,
              seed: 40 + UInt64(index))
          }
        }
      }
    }
  }

  func testDepthwiseGradientsOnChannelBlockShapesMatchDirectLoopAdjoints() {
    for (index, item) in Self.channelBlockDepthwiseCases.enumerated() {
      var rng = SeededGenerator(seed: 60 + UInt64(index))
      let x = Tensor.normal(item.input, using: &rng)
      let w = Tensor.normal([item.input[1], 1, item.kernel, item.kernel], using: &rng)
      let outputShape = ReferenceConvolution.outputShape(
        input: x.shape, weight: w.shape, item.setup)
      let dy = Tensor.normal(outputShape, using: &rng)
      for threads in [1, 2] {
        let gradients = withComputeThreads(threads) {
          Tensor.convolution2DBackward(
            dy, input: x, weight: w, configuration: item.setup.configuration)
        }
        assertAllClose(
          gradients.input,
          ReferenceConvolution.inputGradient(dy, w, inputShape: x.shape, item.setup),
          absoluteTolerance: 1e-4, relativeTolerance: 1e-4, "case \(index)")
        assertAllClose(
          gradients.weight,
          ReferenceConvolution.weightGradient(dy, x, weightShape: w.shape, item.setup),
          absoluteTolerance: 1e-4, relativeTolerance: 1e-4, "case \(index)")
      }
    }
  }

  func testLargePlanesChannelMultipliersAndLargeKernelsKeepTheRowKernel() {
    func usesChannelBlocks(_ input: [Int], _ weight: [Int]) -> Bool {
      Tensor.usesChannelBlocks(
        Convolution2DGeometry(
          inputShape: input, weightShape: weight,
          configuration: Convolution2DConfiguration(stride: 1, padding: .same, groups: input[1])))
    }
    XCTAssertTrue(usesChannelBlocks([1, 32, 7, 7], [32, 1, 5, 5]))
    XCTAssertTrue(usesChannelBlocks([1, 32, 56, 56], [32, 1, 3, 3]))
    XCTAssertFalse(usesChannelBlocks([1, 32, 112, 112], [32, 1, 3, 3]))
    XCTAssertFalse(usesChannelBlocks([1, 16, 7, 7], [32, 1, 3, 3]))
    XCTAssertFalse(usesChannelBlocks([1, 16, 7, 7], [16, 1, 9, 9]))
  }

  func testSingleChannelInputWithManyFiltersMatchesDirectLoops() {
    let setup = ReferenceConvolution.Setup(padding: (1, 1, 1, 1))
    assertForwardMatchesReference(
      inputShape: [3, 1, 6, 6], weightShape: [5, 1, 3, 3], setup: setup, bias: true, seed: 8)
  }

  func testPointwiseConvolutionWithoutIm2ColMatchesDirectLoops() {
    for groups in [1, 2] {
      let setup = ReferenceConvolution.Setup(groups: groups)
      assertForwardMatchesReference(
        inputShape: [2, 4, 5, 3], weightShape: [6, 4 / groups, 1, 1], setup: setup, bias: true,
        seed: 9)
    }
  }

  func testStridedOneByOneConvolutionMatchesDirectLoops() {
    let setup = ReferenceConvolution.Setup(stride: (2, 2))
    assertForwardMatchesReference(
      inputShape: [2, 3, 7, 6], weightShape: [4, 3, 1, 1], setup: setup, bias: false, seed: 10)
  }

  func testImageSplitIntoSeveralTilesMatchesDirectLoopsOnOneAndTwoThreads() {
    // 16·3·3 = 144 rows × 900 positions is more than one tile's 384 KiB.
    let setup = ReferenceConvolution.Setup(padding: (1, 1, 1, 1))
    let geometry = Convolution2DGeometry(
      inputShape: [1, 16, 30, 30], weightShape: [8, 16, 3, 3], configuration: setup.configuration)
    XCTAssertGreaterThan(
      ConvolutionTiling(
        patchSize: geometry.patchSize, outputPlane: geometry.outputPlane, units: 1, workers: 1
      ).tileCount, 1)
    for threads in [1, 2] {
      withComputeThreads(threads) {
        assertForwardMatchesReference(
          inputShape: [1, 16, 30, 30], weightShape: [8, 16, 3, 3], setup: setup, bias: true,
          seed: 11)
      }
    }
  }

  func testMoreOutputChannelsThanPositionsSplitOutputChannelsOnTwoThreads() {
    // One image with more output channels than output positions: two workers split the output
    // channels (each packs the whole patch matrix rather than the whole weight matrix).
    let cases: [([Int], [Int], ReferenceConvolution.Setup)] = [
      ([1, 24, 5, 4], [40, 24, 1, 1], ReferenceConvolution.Setup()),
      ([1, 24, 9, 7], [40, 24, 1, 1], ReferenceConvolution.Setup(stride: (2, 2))),
      ([1, 8, 5, 5], [40, 8, 3, 3], ReferenceConvolution.Setup(padding: (1, 1, 1, 1))),
    ]
    for threads in [1, 2] {
      withComputeThreads(threads) {
        for (index, (input, weight, setup)) in cases.enumerated() {
          assertForwardMatchesReference(
            inputShape: input, weightShape: weight, setup: setup, bias: true,
            seed: 30 + UInt64(index))
        }
      }
    }
  }

  func testResultDoesNotDependOnTheThreadCount() {
    var rng = SeededGenerator(seed: 12)
    let x = Tensor.normal([3, 4, 9, 8], using: &rng)
    let w = Tensor.normal([5, 4, 3, 3], using: &rng)
    let configuration = Convolution2DConfiguration(stride: 1, padding: .same)
    let one = withComputeThreads(1) {
      Tensor.convolution2D(x, weight: w, configuration: configuration)
    }
    let two = withComputeThreads(2) {
      Tensor.convolution2D(x, weight: w, configuration: configuration)
    }
    assertAllClose(two, one, absoluteTolerance: 1e-5, relativeTolerance: 1e-5)
  }

  func testNonContiguousInputIsReadThroughItsStrides() {
    var rng = SeededGenerator(seed: 13)
    let x = Tensor.normal([3, 2, 5, 6], using: &rng).permuted([1, 0, 2, 3])
    let w = Tensor.normal([2, 3, 2, 2], using: &rng)
    let y = Tensor.convolution2D(x, weight: w)
    assertAllClose(
      y, ReferenceConvolution.forward(x.contiguous(), w, nil, ReferenceConvolution.Setup()),
      absoluteTolerance: 1e-4, relativeTolerance: 1e-4)
  }

  func testOutputsMatchJAXGoldenValues() throws {
    for name in ConvolutionFixture.names {
      let fixture = try ConvolutionFixture.load(name)
      let y = Tensor.convolution2D(
        fixture.input.tensor, weight: fixture.weight.tensor, bias: fixture.bias?.tensor,
        configuration: fixture.configuration)
      assertAllClose(
        y, fixture.output.tensor, absoluteTolerance: 1e-4, relativeTolerance: 1e-4, name)
    }
  }

  func testSamePaddingKeepsTheCeilingOfSizeOverStride() {
    let configuration = Convolution2DConfiguration(stride: 2, padding: .same)
    XCTAssertEqual(
      configuration.outputShape(inputShape: [1, 3, 224, 224], weightShape: [32, 3, 3, 3]),
      [1, 32, 112, 112])
    XCTAssertEqual(
      configuration.outputShape(inputShape: [1, 3, 11, 10], weightShape: [8, 3, 3, 3]),
      [1, 8, 6, 5])
  }
}
