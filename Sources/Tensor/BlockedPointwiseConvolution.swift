import CKernels

/// A pointwise (1×1, stride 1, one group) convolution on one image in the 16-channel-blocked
/// layout of `ChannelBlocks`, with its bias, residual and clamp applied in registers:
/// `y[o][p] = min(max(bias[o] + Σ_c w[o][c] · x[c][p] + r[o][p], lower), upper)`.
///
/// The weights are packed once, at initialisation, into groups of 4 output blocks laid out
/// `[C][blocks of the group][16]`, so the kernel (`ck_blocked_pointwise_forward`) streams
/// contiguous weight vectors while a register tile of up to 28 accumulators (7 positions × 4
/// output blocks, 9 × 3, 14 × 2 or 28 × 1) sums over the input channels; each input value is
/// broadcast straight from the blocked input, which needs no packing. The sum over the channels
/// starts from the bias and runs in channel order, so every output element is computed the same
/// way however the output blocks are split between calls.
///
/// The padding lanes of the output's last block (channels ≥ `outputChannels`) are written as
/// exactly 0, whatever the clamp.
public struct BlockedPointwiseConvolution: Sendable {
  /// The input channel count `C`.
  public let inputChannels: Int
  /// The output channel count `O`.
  public let outputChannels: Int
  /// The packed weights (`ck_blocked_pointwise_pack`).
  let packed: Tensor
  /// The bias padded with zeros to `16·outputBlockCount` floats, or nil.
  let paddedBias: Tensor?

  /// Packs `weight` (`[O, C, 1, 1]` or `[O, C]`) and `bias` (`[O]` or nil) once.
  ///
  /// - Precondition: the shapes are as stated and `O, C > 0`.
  /// - Complexity: O(`16·⌈O/16⌉·C`).
  public init(weight: Tensor, bias: Tensor?) {
    precondition(
      (weight.rank == 4 && weight.shape[2] == 1 && weight.shape[3] == 1) || weight.rank == 2,
      "A pointwise convolution takes a weight [O, C, 1, 1] or [O, C], not \(weight.shape).")
    let (outputs, channels) = (weight.shape[0], weight.shape[1])
    precondition(
      outputs > 0 && channels > 0,
      "A pointwise convolution needs at least one input and one output channel, not "
        + "\(weight.shape).")
    if let bias {
      precondition(
        bias.shape == [outputs],
        "A pointwise convolution of \(outputs) outputs needs a bias [\(outputs)], not "
          + "\(bias.shape).")
    }
    inputChannels = channels
    outputChannels = outputs
    packed = weight.contiguous().withUnsafeBufferPointer { w in
      Tensor(shape: [ck_blocked_pointwise_packed_count(channels, outputs)]) { p in
        ck_blocked_pointwise_pack(w.baseAddress!, channels, outputs, p.baseAddress!)
      }
    }
    paddedBias = bias.map { bias in
      let padded = ChannelBlocks.paddedCount(outputs)
      return Tensor(
        shape: [padded], scalars: bias.scalars + [Float](repeating: 0, count: padded - outputs))
    }
  }

  /// The number of 16-channel blocks of the output, `⌈O/16⌉`.
  public var outputBlockCount: Int { ChannelBlocks.blockCount(outputChannels) }

  /// Convolves one image: `input` is blocked `[⌈C/16⌉, positions, 16]`, `output` blocked
  /// `[⌈O/16⌉, positions, 16]`, `residual` nil or blocked like `output` (added before the
  /// clamp); `clamp` nil or `lower...upper` (a NaN passes through). Computes only the output
  /// blocks in `outputBlocks` (default all), so a caller can split one image over threads; the
  /// result is bit-identical to one call over all blocks. Runs on the calling thread.
  ///
  /// Only the `C` real input channels are read (the padding lanes of `input` may hold anything);
  /// the padding lanes of the output blocks computed are written as 0.
  ///
  /// - Precondition: `positions > 0`; `outputBlocks` lies within `0..<outputBlockCount`.
  /// - Complexity: O(`positions · C · 16·outputBlocks.count`) multiply–adds.
  public func apply(
    _ input: UnsafePointer<Float>, positions: Int, residual: UnsafePointer<Float>?,
    clampingTo clamp: ClosedRange<Float>?, output: UnsafeMutablePointer<Float>,
    outputBlocks: Range<Int>? = nil
  ) {
    precondition(positions > 0, "A pointwise convolution needs at least one position.")
    let blocks = outputBlocks ?? 0..<outputBlockCount
    precondition(
      blocks.lowerBound >= 0 && blocks.upperBound <= outputBlockCount,
      "Output blocks \(blocks) are outside 0..<\(outputBlockCount).")
    guard !blocks.isEmpty else { return }
    let lower = clamp?.lowerBound ?? -.infinity
    let upper = clamp?.upperBound ?? .infinity
    packed.withUnsafeBufferPointer { w in
      withOptionalBuffer(paddedBias) { b in
        ck_blocked_pointwise_forward(
          input, positions, inputChannels, w.baseAddress!, outputChannels, b,
          blocks.lowerBound, blocks.count, residual, lower, upper, output)
      }
    }
  }

  /// The convolution of one image given and returned as blocked tensors (flat, of
  /// `ChannelBlocks.elementCount` floats): a convenience over the pointer form, for tests.
  ///
  /// - Precondition: `input` holds `elementCount(channels: C, positions:)` floats; `residual`,
  ///   if any, `elementCount(channels: O, positions:)`.
  /// - Complexity: as `apply`.
  public func callAsFunction(
    _ input: Tensor, positions: Int, residual: Tensor? = nil,
    clampingTo clamp: ClosedRange<Float>? = nil
  ) -> Tensor {
    precondition(
      input.count == ChannelBlocks.elementCount(channels: inputChannels, positions: positions),
      "A blocked input of \(inputChannels) channels and \(positions) positions holds "
        + "\(ChannelBlocks.elementCount(channels: inputChannels, positions: positions)) floats, "
        + "not \(input.count).")
    let count = ChannelBlocks.elementCount(channels: outputChannels, positions: positions)
    if let residual {
      precondition(
        residual.count == count,
        "A blocked residual of \(outputChannels) channels and \(positions) positions holds "
          + "\(count) floats, not \(residual.count).")
    }
    return input.contiguous().withUnsafeBufferPointer { x in
      withOptionalBuffer(residual?.contiguous()) { r in
        Tensor(shape: [count]) { y in
          apply(
            x.baseAddress!, positions: positions, residual: r, clampingTo: clamp,
            output: y.baseAddress!)
        }
      }
    }
  }
}
