import TestSupport
import XCTest

@testable import Tensor

final class BlockedPointwiseConvolutionTests: XCTestCase {
  /// One case: `channels → outputs` at `height × width` positions, with or without each part.
  struct Case {
    var channels: Int
    var outputs: Int
    var height: Int
    var width: Int
    var positions: Int { height * width }
  }

  /// Every pointwise convolution of EfficientNet-Lite0 (C → O at H×W).
  static let lite0: [Case] = [
    (32, 16, 112), (16, 96, 112), (96, 24, 56), (24, 144, 56), (144, 24, 56), (144, 40, 28),
    (40, 240, 28), (240, 40, 28), (240, 80, 14), (80, 480, 14), (480, 80, 14), (480, 112, 14),
    (112, 672, 14), (672, 112, 14), (672, 192, 7), (192, 1152, 7), (1152, 192, 7),
    (1152, 320, 7), (320, 1280, 7),
  ].map { Case(channels: $0.0, outputs: $0.1, height: $0.2, width: $0.2) }

  /// Checks the blocked convolution against `Tensor.convolution2D` (the NCHW path) followed by
  /// the residual and the clamp: every real output within `1e-5·(Σ_c |w||x| + |b| + |r|)`, every
  /// padding lane exactly 0. The input's padding lanes are filled with NaN, which must not leak.
  func assertMatchesPlanar(
    _ c: Case, bias withBias: Bool, residual withResidual: Bool,
    clamp: ClosedRange<Float>?, seed: UInt64, file: StaticString = #filePath, line: UInt = #line
  ) {
    var rng = SeededGenerator(seed: seed)
    let x = Tensor.normal([1, c.channels, c.height, c.width], using: &rng)
    let w = Tensor.normal([c.outputs, c.channels, 1, 1], using: &rng)
    let b = withBias ? Tensor.normal([c.outputs], using: &rng) : nil
    let r = withResidual ? Tensor.normal([1, c.outputs, c.height, c.width], using: &rng) : nil

    let convolution = BlockedPointwiseConvolution(weight: w, bias: b)
    var blockedInput = ChannelBlocks.blocked(x).scalars
    for p in 0..<c.positions {
      for lane in c.channels..<ChannelBlocks.paddedCount(c.channels) {
        blockedInput[((lane / 16) * c.positions + p) * 16 + lane % 16] = .nan
      }
    }
    let y = convolution(
      Tensor(shape: [blockedInput.count], scalars: blockedInput), positions: c.positions,
      residual: r.map(ChannelBlocks.blocked), clampingTo: clamp)
    let outputScalars = y.scalars
    var nonzeroPadding: [String] = []
    for p in 0..<c.positions {
      for lane in c.outputs..<ChannelBlocks.paddedCount(c.outputs) {
        let value = outputScalars[((lane / 16) * c.positions + p) * 16 + lane % 16]
        if value.bitPattern != 0 { nonzeroPadding.append("lane \(lane) at \(p): \(value)") }
      }
    }
    XCTAssertEqual(
      nonzeroPadding.count, 0, "padding lanes not 0: \(nonzeroPadding.prefix(4))", file: file,
      line: line)
    let planar = ChannelBlocks.planar(y, channels: c.outputs, height: c.height, width: c.width)
      .scalars

    var expected = Tensor.convolution2D(x, weight: w, bias: b).scalars
    let magnitude = Tensor.convolution2D(
      Tensor(shape: x.shape, scalars: x.scalars.map(abs)),
      weight: Tensor(shape: w.shape, scalars: w.scalars.map(abs))
    ).scalars
    let rScalars = r?.scalars
    let bScalars = b?.scalars
    var worst: Float = 0
    for index in expected.indices {
      var bound = magnitude[index]
      if let bScalars { bound += abs(bScalars[index / c.positions]) }
      if let rScalars {
        expected[index] += rScalars[index]
        bound += abs(rScalars[index])
      }
      if let clamp { expected[index] = min(max(expected[index], clamp.lowerBound), clamp.upperBound) }
      worst = max(worst, abs(planar[index] - expected[index]) / max(bound, 1e-30))
    }
    XCTAssertLessThanOrEqual(
      worst, 1e-5,
      "\(c.channels)→\(c.outputs)@\(c.positions) bias \(withBias) residual \(withResidual) "
        + "clamp \(String(describing: clamp))", file: file, line: line)
  }

  func testEveryLite0ShapeMatchesThePlanarConvolution() {
    for (index, c) in Self.lite0.enumerated() {
      // Lite0 runs its expansions with bias and ReLU6, its projections with bias (and a
      // residual when the block keeps its shape).
      assertMatchesPlanar(
        c, bias: true, residual: index % 2 == 0, clamp: index % 3 == 0 ? 0...6 : nil,
        seed: UInt64(100 + index))
    }
  }

  func testOddShapesWithEveryEpilogue() {
    var seed: UInt64 = 1
    for channels in [3, 17, 33] {
      for outputs in [1, 5, 17, 70] {
        for positions in [1, 5, 13, 50] {
          for (bias, residual, clamp) in [
            (false, false, nil), (true, false, nil), (false, true, nil),
            (true, true, 0...6 as ClosedRange<Float>?), (false, false, 0.5...1),
          ] {
            seed += 1
            assertMatchesPlanar(
              Case(channels: channels, outputs: outputs, height: 1, width: positions),
              bias: bias, residual: residual, clamp: clamp, seed: seed)
          }
        }
      }
    }
  }

  func testAClampAboveZeroLeavesThePaddingLanesZero() {
    // 0 clamped to 1...2 would be 1: the padding lanes must still read 0.
    assertMatchesPlanar(
      Case(channels: 20, outputs: 3, height: 5, width: 7), bias: false, residual: false,
      clamp: 1...2, seed: 7)
  }

  func testSplittingTheOutputBlocksGivesTheSameBits() {
    var rng = SeededGenerator(seed: 42)
    for (channels, outputs, positions) in [(33, 70, 50), (192, 1152, 49), (24, 144, 3136)] {
      let x = ChannelBlocks.blocked(Tensor.normal([channels, 1, positions], using: &rng))
      let w = Tensor.normal([outputs, channels], using: &rng)
      let b = Tensor.normal([outputs], using: &rng)
      let r = ChannelBlocks.blocked(Tensor.normal([outputs, 1, positions], using: &rng))
      let convolution = BlockedPointwiseConvolution(weight: w, bias: b)
      let whole = convolution(x, positions: positions, residual: r, clampingTo: 0...6)
      XCTAssertEqual(
        whole.scalars.map(\.bitPattern),
        convolution(x, positions: positions, residual: r, clampingTo: 0...6).scalars
          .map(\.bitPattern), "the same input twice")
      let blocks = convolution.outputBlockCount
      for cuts in [[1], [2, 3], [blocks / 2], Array(1..<blocks)] where cuts.allSatisfy({ $0 < blocks }) {
        let bounds = [0] + cuts + [blocks]
        var split = [Float](repeating: .nan, count: whole.count)
        x.withUnsafeBufferPointer { x in
          r.withUnsafeBufferPointer { r in
            split.withUnsafeMutableBufferPointer { y in
              for i in 0..<(bounds.count - 1) {
                convolution.apply(
                  x.baseAddress!, positions: positions, residual: r.baseAddress!,
                  clampingTo: 0...6, output: y.baseAddress!,
                  outputBlocks: bounds[i]..<bounds[i + 1])
              }
            }
          }
        }
        XCTAssertEqual(
          split.map(\.bitPattern), whole.scalars.map(\.bitPattern),
          "\(channels)→\(outputs)@\(positions) split at \(cuts)")
      }
    }
  }

  func testAnEmptyRangeOfBlocksWritesNothing() {
    let convolution = BlockedPointwiseConvolution(
      weight: Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), bias: nil)
    var output = [Float](repeating: 7, count: 16)
    let input = [Float](repeating: 1, count: 16)
    output.withUnsafeMutableBufferPointer { y in
      convolution.apply(
        input, positions: 1, residual: nil, clampingTo: nil, output: y.baseAddress!,
        outputBlocks: 0..<0)
    }
    XCTAssertEqual(output, [Float](repeating: 7, count: 16))
  }

  func testASmallExampleByHand() {
    // Two outputs of three channels at two positions: y = W·x + b, then ReLU6.
    let convolution = BlockedPointwiseConvolution(
      weight: Tensor(shape: [2, 3, 1, 1], scalars: [1, 2, 3, -1, 0, 1]),
      bias: Tensor(shape: [2], scalars: [0.5, -1]))
    let x = ChannelBlocks.blocked(Tensor(shape: [3, 1, 2], scalars: [1, 2, 3, 4, 5, 6]))
    let y = convolution(x, positions: 2, clampingTo: 0...6)
    let planar = ChannelBlocks.planar(y, channels: 2, height: 1, width: 2)
    // o0: 1·1 + 2·3 + 3·5 + 0.5 = 22.5 → 6; 1·2 + 2·4 + 3·6 + 0.5 = 28.5 → 6.
    // o1: −1 + 5 − 1 = 3; −2 + 6 − 1 = 3.
    XCTAssertEqual(planar.scalars, [6, 6, 3, 3])
    XCTAssertEqual(y.count, 32)
  }
}
