import TestSupport
import XCTest

@testable import Tensor

final class BlockedDepthwiseConvolutionTests: XCTestCase {
  /// The planar `Tensor.convolution2D` (checked against onnxruntime elsewhere), clamped element by
  /// element.
  func expected(
    _ x: Tensor, _ w: Tensor, _ b: Tensor?, _ configuration: Convolution2DConfiguration,
    _ clamp: ClosedRange<Float>?
  ) -> Tensor {
    let y = Tensor.convolution2D(x, weight: w, bias: b, configuration: configuration)
    guard let clamp else { return y }
    return Tensor(
      shape: y.shape,
      scalars: y.scalars.map { Swift.min(Swift.max($0, clamp.lowerBound), clamp.upperBound) })
  }

  /// Runs `convolution` on the blocked `input` for the given block ranges, one call each, into a
  /// NaN-filled output (so that an unwritten element shows).
  func run(
    _ convolution: BlockedDepthwiseConvolution, _ input: Tensor, clamp: ClosedRange<Float>?,
    splits: [Range<Int>?]
  ) -> [Float] {
    var output = [Float](
      repeating: .nan,
      count: ChannelBlocks.elementCount(
        channels: convolution.channels,
        positions: convolution.outputHeight * convolution.outputWidth))
    input.withUnsafeBufferPointer { x in
      output.withUnsafeMutableBufferPointer { y in
        for blocks in splits {
          convolution.apply(
            x.baseAddress!, clampingTo: clamp, output: y.baseAddress!, blocks: blocks)
        }
      }
    }
    return output
  }

  /// Checks one blocked depthwise convolution against the planar one, with and without bias and
  /// clamp: values, zero padding channels, and that splitting the blocks gives the same bits.
  func assertMatchesPlanar(
    channels: Int, kernel: (Int, Int), stride: Int, height: Int, width: Int,
    padding: ConvolutionPadding = .same, seed: UInt64,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    var rng = SeededGenerator(seed: seed)
    let x = Tensor.normal([1, channels, height, width], using: &rng)
    let w = Tensor.normal([channels, 1, kernel.0, kernel.1], using: &rng)
    let bias = Tensor.normal([channels], using: &rng)
    let configuration = Convolution2DConfiguration(
      stride: stride, padding: padding, groups: channels)
    let blockedInput = ChannelBlocks.blocked(x)
    for b in [bias, nil] {
      for clamp in [nil, 0.25...1.5 as ClosedRange<Float>] {
        let reference = expected(x, w, b, configuration, clamp)
        let convolution = BlockedDepthwiseConvolution(
          weight: w, bias: b, configuration: configuration, inputHeight: height,
          inputWidth: width)
        XCTAssertEqual(convolution.blockCount, ChannelBlocks.blockCount(channels))
        XCTAssertEqual(
          [1, channels, convolution.outputHeight, convolution.outputWidth], reference.shape,
          file: file, line: line)
        let output = run(convolution, blockedInput, clamp: clamp, splits: [nil])
        let planar = ChannelBlocks.planar(
          Tensor(shape: [output.count], scalars: output), channels: channels,
          height: convolution.outputHeight, width: convolution.outputWidth)
        assertAllClose(
          planar, reference, absoluteTolerance: 1e-5, relativeTolerance: 1e-5,
          "C \(channels), kernel \(kernel), stride \(stride), \(height)×\(width), \(padding)",
          file: file, line: line)
        // Padding channels: exactly +0 (unmasked, the clamp would lift them to 0.25).
        let positions = convolution.outputHeight * convolution.outputWidth
        let lastBlock = (convolution.blockCount - 1) * positions * ChannelBlocks.width
        for p in 0..<positions {
          for lane in (channels - 1) % ChannelBlocks.width + 1..<ChannelBlocks.width {
            XCTAssertEqual(
              output[lastBlock + p * ChannelBlocks.width + lane].bitPattern, 0,
              "padding lane \(lane) at position \(p)", file: file, line: line)
          }
        }
        // Any split of the blocks over calls gives the same bits.
        let blocks = convolution.blockCount
        let split = run(
          convolution, blockedInput, clamp: clamp,
          splits: [blocks / 2..<blocks, 0..<blocks / 2])
        XCTAssertEqual(
          split.map(\.bitPattern), output.map(\.bitPattern), "split over blocks", file: file,
          line: line)
      }
    }
  }

  /// Every depthwise layer shape of EfficientNet-Lite0 `(C, k, stride, H)`, TensorFlow SAME padding.
  func testEveryLite0ShapeMatchesPlanarConvolution() {
    let shapes = [
      (32, 3, 1, 112), (96, 3, 2, 112), (144, 3, 1, 56), (144, 5, 2, 56), (240, 5, 1, 28),
      (240, 3, 2, 28), (480, 3, 1, 14), (480, 5, 1, 14), (672, 5, 1, 14), (672, 5, 2, 14),
      (1152, 5, 1, 7), (1152, 3, 1, 7),
    ]
    for (index, (c, k, s, h)) in shapes.enumerated() {
      assertMatchesPlanar(
        channels: c, kernel: (k, k), stride: s, height: h, width: h, seed: UInt64(index))
    }
  }

  /// Odd channel counts (a partial last block), planes smaller than a run of positions,
  /// rectangular planes and kernels, explicit and SAME padding, stride 2 on odd sizes, and a
  /// kernel size without its own unrolled copy (7×7, 1×1, 3×5).
  func testOddShapesMatchPlanarConvolution() {
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
    assertMatchesPlanar(
      channels: 20, kernel: (7, 7), stride: 1, height: 13, width: 11, seed: 1)
    assertMatchesPlanar(
      channels: 20, kernel: (7, 7), stride: 3, height: 13, width: 17, padding: .symmetric(3),
      seed: 2)
    assertMatchesPlanar(
      channels: 33, kernel: (1, 1), stride: 2, height: 9, width: 10, padding: .valid, seed: 3)
    assertMatchesPlanar(
      channels: 18, kernel: (3, 5), stride: 1, height: 12, width: 19, seed: 4)
    assertMatchesPlanar(
      channels: 18, kernel: (5, 3), stride: 2, height: 11, width: 6,
      padding: .explicit(top: 0, bottom: 2, left: 1, right: 0), seed: 5)
    assertMatchesPlanar(
      channels: 16, kernel: (3, 3), stride: 1, height: 20, width: 37, padding: .valid, seed: 6)
  }

  /// The vectorised global average pool of a blocked map equals the planar mean over positions.
  func testAveragePoolOfBlockedMapIsTheMeanOfEachChannel() {
    var rng = SeededGenerator(seed: 9)
    for (channels, height, width) in [(1280, 7, 7), (20, 3, 5), (1, 1, 1)] {
      let x = Tensor.normal([1, channels, height, width], using: &rng)
      let blocked = ChannelBlocks.blocked(x)
      var pooled = [Float](repeating: .nan, count: channels)
      blocked.withUnsafeBufferPointer { b in
        ChannelBlocks.averagePool(
          b.baseAddress!, channels: channels, positions: height * width, into: &pooled)
      }
      let mean = x.mean(alongAxes: [2, 3]).reshaped(to: [channels])
      assertAllClose(
        Tensor(shape: [channels], scalars: pooled), mean, absoluteTolerance: 1e-5,
        relativeTolerance: 1e-5)
    }
  }
}
