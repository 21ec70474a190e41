extension BlockedDenseConvolution {
  /// The input gradient of one image: `∂L/∂input` (planar `[C, H, W]`, overwritten) from
  /// `∂L/∂output` (blocked `[⌈O/16⌉, Ho, Wo, 16]`, padding lanes zero). The bias and any clamp
  /// are not involved (the caller masks the output gradient for the activation first).
  ///
  /// `∂L/∂x[c, i, j] = Σ_{o, kh, kw} w[o, c, kh, kw] · ∂L/∂y[o, oh, ow]` over the output
  /// positions whose window reads `(i, j)` at tap `(kh, kw)`: each output position's 16-lane
  /// gradient vectors are dotted with the packed weight vectors of every tap and the sum added
  /// to the input element the tap read. Runs on the calling thread, so the result does not
  /// depend on any thread count.
  ///
  /// - Complexity: `⌈O/16⌉·16·C·KH·KW` multiply–adds per output position.
  public func applyInputGradient(
    _ outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>
  ) {
    let (kernelHeight, kernelWidth) = (window.kernelHeight, window.kernelWidth)
    let (strideHeight, strideWidth) = (window.strideHeight, window.strideWidth)
    let (padTop, padLeft) = (window.padTop, window.padLeft)
    let taps = inputChannels * kernelHeight * kernelWidth
    let plane = inputHeight * inputWidth
    let positions = outputHeight * outputWidth
    let blocks = outputBlockCount
    let lanes = ChannelBlocks.width
    let bytes = lanes * MemoryLayout<Float>.stride
    inputGradient.update(repeating: 0, count: inputChannels * plane)
    let gradient = UnsafeRawPointer(outputGradient)
    packedWeights.withUnsafeBytes { weights in
      for oh in 0..<outputHeight {
        for ow in 0..<outputWidth {
          let p = oh * outputWidth + ow
          for kh in 0..<kernelHeight {
            let ih = oh * strideHeight - padTop + kh
            guard ih >= 0 && ih < inputHeight else { continue }
            for kw in 0..<kernelWidth {
              let iw = ow * strideWidth - padLeft + kw
              guard iw >= 0 && iw < inputWidth else { continue }
              for c in 0..<inputChannels {
                let t = (c * kernelHeight + kh) * kernelWidth + kw
                var sum = SIMD16<Float>(repeating: 0)
                for b in 0..<blocks {
                  let w = weights.loadUnaligned(
                    fromByteOffset: (b * taps + t) * bytes, as: SIMD16<Float>.self)
                  let g = gradient.loadUnaligned(
                    fromByteOffset: (b * positions + p) * bytes, as: SIMD16<Float>.self)
                  sum += w * g
                }
                inputGradient[c * plane + ih * inputWidth + iw] += sum.sum()
              }
            }
          }
        }
      }
    }
  }
}
