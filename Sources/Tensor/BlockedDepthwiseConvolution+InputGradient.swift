import CKernels

extension BlockedDepthwiseConvolution {
  /// ∂L/∂input (blocked `[⌈C/16⌉, H, W, 16]`, overwritten, padding lanes written 0) of one image
  /// from ∂L/∂output (blocked `[⌈C/16⌉, Ho, Wo, 16]`) — the bias and any clamp are NOT involved
  /// (the caller masks the output gradient for the activation first). Computes only the channel
  /// blocks in `blocks` (default all). Single-threaded.
  ///
  /// `dx[c, i, j] = Σ w[c, kh, kw] · dy[c, oh, ow]` over the `(oh, ow, kh, kw)` with
  /// `oh·sh − top + kh = i` and `ow·sw − left + kw = j` (the adjoint of `apply` without its bias
  /// and clamp), computed in gather form by `ck_blocked_depthwise_input_gradient`: every input
  /// position sums, vectorised over the 16 channels of a block, the taps that read it, so each
  /// element is written once and no scratch is needed.
  ///
  /// - Parameters:
  ///   - outputGradient: `[⌈C/16⌉, outputHeight, outputWidth, 16]`. Its padding channels may hold
  ///     anything, NaN included: they only meet the zero weights of those channels and the
  ///     result's padding channels are masked.
  ///   - inputGradient: `[⌈C/16⌉, inputHeight, inputWidth, 16]`; only the blocks in `blocks` are
  ///     written, their padding channels as +0.
  ///   - blocks: the channel blocks to compute (default all), so that callers can split one image
  ///     over threads; the result does not depend on the split.
  /// - Precondition: `blocks` lies in `0..<blockCount`.
  /// - Complexity: `16·KH·KW / (sh·sw)` multiply–adds per input position and block on average;
  ///   runs on the calling thread.
  public func applyInputGradient(
    _ outputGradient: UnsafePointer<Float>,
    inputGradient: UnsafeMutablePointer<Float>, blocks: Range<Int>? = nil
  ) {
    let range = blocks ?? 0..<blockCount
    precondition(
      range.lowerBound >= 0 && range.upperBound <= blockCount,
      "Blocks \(range) lie outside the \(blockCount) blocks of \(channels) channels.")
    packedWeights.withUnsafeBufferPointer { w in
      withUnsafePointer(to: window) { g in
        ck_blocked_depthwise_input_gradient(
          outputGradient, w.baseAddress!, channels, g, range.lowerBound, range.count,
          inputGradient)
      }
    }
  }
}
