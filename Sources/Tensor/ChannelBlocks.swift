import CKernels

/// The 16-channel-blocked layout of one image's feature map, `[⌈C/16⌉, H, W, 16]`: element
/// `(c, i, j)` of a `[C, H, W]` map sits at `((c / 16)·H·W + i·W + j)·16 + c % 16`, and the
/// channels past `C` in the last block are zero.
///
/// In this layout (onnxruntime's "NCHWc") the 16 channels of one position fill one AVX-512
/// register: a pointwise convolution becomes a product whose vector dimension is the output
/// channels, with no per-call packing of the input, and a depthwise convolution is vectorised
/// across channels with no transposition, whatever the width of the plane. The channel-blocked
/// kernels (`BlockedPointwiseConvolution`, `BlockedDepthwiseConvolution`,
/// `BlockedDenseConvolution`) read and write it.
public enum ChannelBlocks {
  /// The channels of one block: the floats of one 512-bit register.
  public static let width = 16

  /// The number of blocks that hold `channels` channels, `⌈channels / 16⌉`.
  public static func blockCount(_ channels: Int) -> Int {
    (channels + width - 1) / width
  }

  /// `channels` rounded up to a whole number of blocks.
  public static func paddedCount(_ channels: Int) -> Int {
    blockCount(channels) * width
  }

  /// The floats of a blocked map of `channels` channels and `positions` positions (`H·W`).
  public static func elementCount(channels: Int, positions: Int) -> Int {
    paddedCount(channels) * positions
  }

  /// Writes the planar map `input` (`[channels, positions]`, row-major) into `output` in the
  /// blocked layout, zeroing the padding channels of the last block.
  ///
  /// - Complexity: O(`paddedCount(channels)·positions`).
  public static func block(
    _ input: UnsafePointer<Float>, channels: Int, positions: Int,
    into output: UnsafeMutablePointer<Float>
  ) {
    for b in 0..<blockCount(channels) {
      let slab = output + b * positions * width
      for lane in 0..<width {
        let c = b * width + lane
        if c < channels {
          let plane = input + c * positions
          for p in 0..<positions { slab[p * width + lane] = plane[p] }
        } else {
          for p in 0..<positions { slab[p * width + lane] = 0 }
        }
      }
    }
  }

  /// Writes the blocked map `input` back into the planar `output` (`[channels, positions]`),
  /// dropping the padding channels.
  ///
  /// - Complexity: O(`channels·positions`).
  public static func unblock(
    _ input: UnsafePointer<Float>, channels: Int, positions: Int,
    into output: UnsafeMutablePointer<Float>
  ) {
    for c in 0..<channels {
      let slab = input + (c / width) * positions * width + c % width
      let plane = output + c * positions
      for p in 0..<positions { plane[p] = slab[p * width] }
    }
  }

  /// The `[C, H, W]` image (or `[1, C, H, W]` batch of one) `map` in the blocked layout, as a
  /// flat tensor of `elementCount(channels:positions:)` floats.
  public static func blocked(_ map: Tensor) -> Tensor {
    precondition(
      map.rank == 3 || (map.rank == 4 && map.shape[0] == 1),
      "ChannelBlocks.blocked takes one image [C, H, W] or [1, C, H, W], not \(map.shape).")
    let shape = map.shape.suffix(3).map { $0 }
    let (channels, positions) = (shape[0], shape[1] * shape[2])
    return map.withUnsafeBufferPointer { x in
      Tensor(shape: [elementCount(channels: channels, positions: positions)]) { y in
        block(x.baseAddress!, channels: channels, positions: positions, into: y.baseAddress!)
      }
    }
  }

  /// The planar `[1, channels, height, width]` tensor of the blocked map `blocked`.
  public static func planar(_ blocked: Tensor, channels: Int, height: Int, width: Int) -> Tensor {
    precondition(
      blocked.count == elementCount(channels: channels, positions: height * width),
      "A blocked map of \(channels) channels and \(height)×\(width) positions holds "
        + "\(elementCount(channels: channels, positions: height * width)) floats, not "
        + "\(blocked.count).")
    return blocked.withUnsafeBufferPointer { x in
      Tensor(shape: [1, channels, height, width]) { y in
        unblock(
          x.baseAddress!, channels: channels, positions: height * width, into: y.baseAddress!)
      }
    }
  }

  /// The mean over the positions of each channel of a blocked map, written to `output[c]` for
  /// `c < channels` (a global average pool).
  ///
  /// Summed in position order in 16-lane vectors (`ck_blocked_average_pool`), then scaled by
  /// `1 / positions`.
  ///
  /// - Complexity: O(`paddedCount(channels)·positions`).
  public static func averagePool(
    _ input: UnsafePointer<Float>, channels: Int, positions: Int,
    into output: UnsafeMutablePointer<Float>
  ) {
    ck_blocked_average_pool(input, channels, positions, output)
  }
}

extension ChannelBlocks {
  /// `values` followed by zeros up to a whole number of blocks (internal).
  static func paddedVector(_ values: [Float]) -> [Float] {
    values + [Float](repeating: 0, count: paddedCount(values.count) - values.count)
  }

  /// A row-major `[rows, columns]` matrix as `[⌈rows/16⌉][columns][16]`: each column of each
  /// block of 16 rows is one vector, zero past `rows` (the packed weights of the blocked
  /// depthwise and dense convolutions, one row per channel).
  static func interleaved(_ values: [Float], rows: Int, columns: Int) -> [Float] {
    var packed = [Float](repeating: 0, count: blockCount(rows) * columns * width)
    for r in 0..<rows {
      for t in 0..<columns {
        packed[((r / width) * columns + t) * width + r % width] = values[r * columns + t]
      }
    }
    return packed
  }
}
