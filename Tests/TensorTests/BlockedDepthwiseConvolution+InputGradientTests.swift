import Foundation
import TestSupport
import XCTest

@testable import Tensor

final class BlockedDepthwiseConvolutionInputGradientTests: XCTestCase {
  /// Runs `applyInputGradient` on the blocked output gradient for the given block ranges, one
  /// call each, into a NaN-filled input gradient (so that an unwritten element shows).
  func run(
    _ convolution: BlockedDepthwiseConvolution, _ outputGradient: [Float], splits: [Range<Int>?]
  ) -> [Float] {
    var inputGradient = [Float](
      repeating: .nan,
      count: ChannelBlocks.elementCount(
        channels: convolution.channels,
        positions: convolution.inputHeight * convolution.inputWidth))
    outputGradient.withUnsafeBufferPointer { dy in
      inputGradient.withUnsafeMutableBufferPointer { dx in
        for blocks in splits {
          convolution.applyInputGradient(
            dy.baseAddress!, inputGradient: dx.baseAddress!, blocks: blocks)
        }
      }
    }
    return inputGradient
  }

  /// Checks the blocked input gradient against the planar `Tensor.convolution2DInputGradient`
  /// (itself checked against finite differences): each element within `1e-5·Σ|w||dy|` of its
  /// taps, padding channels exactly +0 although the output gradient's padding channels hold NaN,
  /// and any split of the blocks giving the same bits.
  func assertMatchesPlanar(
    channels: Int, kernel: (Int, Int), stride: Int, height: Int, width: Int,
    padding: ConvolutionPadding = .same, seed: UInt64,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    var rng = SeededGenerator(seed: seed)
    let w = Tensor.normal([channels, 1, kernel.0, kernel.1], using: &rng)
    let configuration = Convolution2DConfiguration(
      stride: stride, padding: padding, groups: channels)
    let convolution = BlockedDepthwiseConvolution(
      weight: w, bias: nil, configuration: configuration, inputHeight: height, inputWidth: width)
    let (outputHeight, outputWidth) = (convolution.outputHeight, convolution.outputWidth)
    let dy = Tensor.normal([1, channels, outputHeight, outputWidth], using: &rng)
    let inputShape = [1, channels, height, width]
    let reference = Tensor.convolution2DInputGradient(
      dy, weight: w, inputShape: inputShape, configuration: configuration)
    // Σ|w||dy| over the taps of each input element: the scale of its rounding error.
    let scale = Tensor.convolution2DInputGradient(
      Tensor(shape: dy.shape, scalars: dy.scalars.map(abs)),
      weight: Tensor(shape: w.shape, scalars: w.scalars.map(abs)), inputShape: inputShape,
      configuration: configuration)
    // The output gradient's padding channels hold NaN: they must not leak into any channel.
    var blockedDy = ChannelBlocks.blocked(dy).scalars
    let outputPositions = outputHeight * outputWidth
    let lanes = ChannelBlocks.width
    let firstPadding = (channels - 1) % lanes + 1
    let lastOutputBlock = (convolution.blockCount - 1) * outputPositions * lanes
    for p in 0..<outputPositions {
      for lane in firstPadding..<lanes { blockedDy[lastOutputBlock + p * lanes + lane] = .nan }
    }
    let description =
      "C \(channels), kernel \(kernel), stride \(stride), \(height)×\(width), \(padding)"
    let dx = run(convolution, blockedDy, splits: [nil])
    let planar = ChannelBlocks.planar(
      Tensor(shape: [dx.count], scalars: dx), channels: channels, height: height, width: width)
    XCTAssertEqual(planar.shape, reference.shape, description, file: file, line: line)
    var worst: Float = 0
    let bounds = scale.scalars
    for (index, (got, want)) in zip(planar.scalars, reference.scalars).enumerated() {
      // (An element no tap reaches is 0 in both: 0 / 1e-30 = 0.)
      let error = abs(got - want) / (bounds[index] + 1e-30)
      if !(error <= worst) { worst = error.isNaN ? .infinity : error }
    }
    XCTAssertLessThanOrEqual(
      worst, 1e-5, "worst error relative to Σ|w||dy|, \(description)", file: file, line: line)
    // Padding channels: exactly +0.
    let inputPositions = height * width
    let lastInputBlock = (convolution.blockCount - 1) * inputPositions * lanes
    for p in 0..<inputPositions {
      for lane in firstPadding..<lanes {
        XCTAssertEqual(
          dx[lastInputBlock + p * lanes + lane].bitPattern, 0,
          "padding lane \(lane) at position \(p), \(description)", file: file, line: line)
      }
    }
    // Any split of the blocks over calls gives the same bits.
    let blocks = convolution.blockCount
    let split = run(convolution, blockedDy, splits: [blocks / 2..<blocks, 0..<blocks / 2])
    XCTAssertEqual(
      split.map(\.bitPattern), dx.map(\.bitPattern), "split over blocks, \(description)",
      file: file, line: line)
    if blocks >= 3 {
      let single = run(convolution, blockedDy, splits: (0..<blocks).map { $0..<$0 + 1 })
      XCTAssertEqual(
        single.map(\.bitPattern), dx.map(\.bitPattern), "one block per call, \(description)",
        file: file, line: line)
    }
  }

  /// The depthwise layer shapes of EfficientNet-Lite0 `(C, k, stride, H)`, TensorFlow SAME
  /// padding (for 112×112, stride 2 and k 3 that pads top 0, bottom 1).
  static let lite0Shapes = [
    (32, 3, 1, 112), (96, 3, 2, 112), (144, 3, 1, 56), (144, 5, 2, 56), (240, 5, 1, 28),
    (240, 3, 2, 28), (480, 3, 1, 14), (480, 5, 1, 14), (672, 5, 1, 14), (672, 5, 2, 14),
    (1152, 5, 1, 7), (1152, 3, 1, 7),
  ]

  func testEveryLite0ShapeMatchesPlanarInputGradient() {
    for (index, (c, k, s, h)) in Self.lite0Shapes.enumerated() {
      assertMatchesPlanar(
        channels: c, kernel: (k, k), stride: s, height: h, width: h, seed: UInt64(index))
    }
  }

  /// Partial last blocks, planes smaller than a run (and than the kernel), rectangular planes
  /// and kernels, SAME and symmetric padding, stride 2 on odd sizes, kernels and strides
  /// without an unrolled copy (7×7 stride 3, 1×1, 3×5, 5×3 with asymmetric explicit padding),
  /// and both border paths (the zero-padded copy of a block and the masked loads).
  func testOddShapesMatchPlanarInputGradient() {
    var seed: UInt64 = 100
    for channels in [1, 5, 17, 40] {
      for (height, width) in [(1, 1), (3, 5), (7, 9), (13, 13)] {
        for kernel in [3, 5] {
          for stride in [1, 2] {
            for padding in [ConvolutionPadding.same, .symmetric(kernel / 2)] {
              seed += 1
              assertMatchesPlanar(
                channels: channels, kernel: (kernel, kernel), stride: stride, height: height,
                width: width, padding: padding, seed: seed)
            }
          }
        }
      }
    }
    assertMatchesPlanar(channels: 20, kernel: (7, 7), stride: 1, height: 13, width: 11, seed: 1)
    assertMatchesPlanar(
      channels: 20, kernel: (7, 7), stride: 3, height: 13, width: 17, padding: .symmetric(3),
      seed: 2)
    assertMatchesPlanar(
      channels: 33, kernel: (1, 1), stride: 2, height: 9, width: 10, padding: .valid, seed: 3)
    assertMatchesPlanar(channels: 18, kernel: (3, 5), stride: 1, height: 12, width: 19, seed: 4)
    assertMatchesPlanar(
      channels: 18, kernel: (5, 3), stride: 2, height: 11, width: 6,
      padding: .explicit(top: 0, bottom: 2, left: 1, right: 0), seed: 5)
    assertMatchesPlanar(
      channels: 16, kernel: (3, 3), stride: 1, height: 20, width: 37, padding: .valid, seed: 6)
    assertMatchesPlanar(
      channels: 24, kernel: (3, 3), stride: 2, height: 16, width: 33, padding: .valid, seed: 7)
    // 5×5 kernels on planes too large for the zero-padded copy of a block: masked border runs.
    assertMatchesPlanar(channels: 20, kernel: (5, 5), stride: 1, height: 40, width: 60, seed: 8)
    assertMatchesPlanar(
      channels: 20, kernel: (5, 5), stride: 2, height: 61, width: 75, padding: .symmetric(2),
      seed: 9)
  }

  /// The input gradient is the adjoint of the forward convolution without bias and clamp:
  /// `⟨apply(x), dy⟩ = ⟨x, applyInputGradient(dy)⟩`, in Double, independently of the planar code.
  func testInputGradientIsTheAdjointOfTheForwardConvolution() {
    var rng = SeededGenerator(seed: 42)
    for (channels, k, stride, size) in [(40, 3, 2, 15), (24, 5, 1, 9), (17, 5, 2, 12)] {
      let w = Tensor.normal([channels, 1, k, k], using: &rng)
      let convolution = BlockedDepthwiseConvolution(
        weight: w, bias: nil,
        configuration: Convolution2DConfiguration(stride: stride, padding: .same, groups: channels),
        inputHeight: size, inputWidth: size)
      let x = ChannelBlocks.blocked(Tensor.normal([1, channels, size, size], using: &rng)).scalars
      let dy = ChannelBlocks.blocked(
        Tensor.normal(
          [1, channels, convolution.outputHeight, convolution.outputWidth], using: &rng)
      ).scalars
      var y = [Float](repeating: .nan, count: dy.count)
      x.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { yp in
          convolution.apply(xp.baseAddress!, clampingTo: nil, output: yp.baseAddress!)
        }
      }
      let dx = run(convolution, dy, splits: [nil])
      let left = zip(y, dy).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
      let right = zip(x, dx).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
      let magnitude = zip(y, dy).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
      XCTAssertEqual(left, right, accuracy: 1e-5 * magnitude, "C \(channels), k \(k), s \(stride)")
    }
  }
}
