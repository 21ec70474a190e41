import TestSupport
import XCTest

@testable import Tensor

final class BlockedDenseConvolutionTests: XCTestCase {
  /// Runs `convolution` on the planar `input` for the given output-row ranges, one call each,
  /// into a NaN-filled output (so that an unwritten element shows).
  func run(
    _ convolution: BlockedDenseConvolution, _ input: Tensor, clamp: ClosedRange<Float>?,
    splits: [Range<Int>?]
  ) -> [Float] {
    var output = [Float](
      repeating: .nan,
      count: ChannelBlocks.elementCount(
        channels: convolution.outputChannels,
        positions: convolution.outputHeight * convolution.outputWidth))
    input.withUnsafeBufferPointer { x in
      output.withUnsafeMutableBufferPointer { y in
        for rows in splits {
          convolution.apply(
            x.baseAddress!, clampingTo: clamp, output: y.baseAddress!, outputRows: rows)
        }
      }
    }
    return output
  }

  /// Checks one planar-to-blocked convolution against the planar `Tensor.convolution2D`, with
  /// and without bias and clamp: values, zero padding channels, and that splitting the output
  /// rows gives the same bits.
  func assertMatchesPlanar(
    channels: Int, outputs: Int, kernel: Int, stride: Int, height: Int, width: Int,
    padding: ConvolutionPadding = .same, seed: UInt64,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    var rng = SeededGenerator(seed: seed)
    let x = Tensor.normal([1, channels, height, width], using: &rng)
    let w = Tensor.normal([outputs, channels, kernel, kernel], using: &rng)
    let bias = Tensor.normal([outputs], using: &rng)
    let configuration = Convolution2DConfiguration(stride: stride, padding: padding)
    for b in [bias, nil] {
      for clamp in [nil, 0.25...6 as ClosedRange<Float>] {
        var reference = Tensor.convolution2D(x, weight: w, bias: b, configuration: configuration)
        if let clamp {
          reference = Tensor(
            shape: reference.shape,
            scalars: reference.scalars.map {
              Swift.min(Swift.max($0, clamp.lowerBound), clamp.upperBound)
            })
        }
        let convolution = BlockedDenseConvolution(
          weight: w, bias: b, configuration: configuration, inputHeight: height,
          inputWidth: width)
        XCTAssertEqual(convolution.inputChannels, channels, file: file, line: line)
        XCTAssertEqual(convolution.outputBlockCount, ChannelBlocks.blockCount(outputs))
        XCTAssertEqual(
          [1, outputs, convolution.outputHeight, convolution.outputWidth], reference.shape,
          file: file, line: line)
        let output = run(convolution, x, clamp: clamp, splits: [nil])
        let planar = ChannelBlocks.planar(
          Tensor(shape: [output.count], scalars: output), channels: outputs,
          height: convolution.outputHeight, width: convolution.outputWidth)
        assertAllClose(
          planar, reference, absoluteTolerance: 1e-4, relativeTolerance: 1e-5,
          "C \(channels) → O \(outputs), kernel \(kernel), stride \(stride), \(height)×\(width)",
          file: file, line: line)
        let positions = convolution.outputHeight * convolution.outputWidth
        let lastBlock = (convolution.outputBlockCount - 1) * positions * ChannelBlocks.width
        for p in 0..<positions {
          for lane in (outputs - 1) % ChannelBlocks.width + 1..<ChannelBlocks.width {
            XCTAssertEqual(
              output[lastBlock + p * ChannelBlocks.width + lane].bitPattern, 0,
              "padding lane \(lane) at position \(p)", file: file, line: line)
          }
        }
        let rows = convolution.outputHeight
        let split = run(
          convolution, x, clamp: clamp,
          splits: [rows / 3..<rows, 0..<rows / 3])
        XCTAssertEqual(
          split.map(\.bitPattern), output.map(\.bitPattern), "split over output rows",
          file: file, line: line)
      }
    }
  }

  /// EfficientNet-Lite0's stem: 3 → 32 channels, 3×3, stride 2, SAME, 224 → 112.
  func testLite0StemMatchesPlanarConvolution() {
    assertMatchesPlanar(
      channels: 3, outputs: 32, kernel: 3, stride: 2, height: 224, width: 224, seed: 1)
  }

  /// Odd sizes: one or three input channels, partial and odd numbers of output blocks, a 9×11
  /// image, strides 1 and 2, SAME and explicit padding, and a 5×5 kernel (no unrolled copy).
  func testOddShapesMatchPlanarConvolution() {
    var seed: UInt64 = 10
    for channels in [1, 3] {
      for outputs in [5, 16, 40] {
        for stride in [1, 2] {
          for padding in [ConvolutionPadding.same, .symmetric(1), .valid] {
            seed += 1
            assertMatchesPlanar(
              channels: channels, outputs: outputs, kernel: 3, stride: stride, height: 9,
              width: 11, padding: padding, seed: seed)
          }
        }
      }
    }
    assertMatchesPlanar(
      channels: 3, outputs: 24, kernel: 5, stride: 2, height: 9, width: 11, seed: 3)
    assertMatchesPlanar(
      channels: 2, outputs: 17, kernel: 3, stride: 2, height: 2, width: 3, seed: 4)
  }
}
