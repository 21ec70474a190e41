import CKernels

/// The Winograd convolution F(2×2, 3×3) for dense stride-1 3×3 convolutions (internal).
///
/// Each 2×2 block of outputs is computed from the 4×4 input tile under it: with the weight
/// transform `U = G g Gᵀ` and input transform `V = Bᵀ d B` (both 4×4 per channel pair / tile),
/// `Y = Aᵀ [Σ_c U[o, c] ⊙ V[c, t]] A`. The sum over channels is, for each of the 16 elements
/// `ξ` of the 4×4 tile, a matrix product `M_ξ[O, T] = U_ξ[O, C] · V_ξ[C, T]`, run by BLAS: 16
/// products over `T = ⌈Ho/2⌉·⌈Wo/2⌉` tiles instead of one over `Ho·Wo` positions with a 9× longer
/// `K`, which is 36 / 16 = 2.25× fewer multiplications (less where an odd output size pads the
/// last tile). The transforms (`ck_winograd_f2x2_3x3_*`, CKernels) only add and halve.
///
/// Tiles of all images are numbered in one sequence and cut into blocks whose transformed input
/// and products (`16 · (C + O) · block` floats) stay near the core's L2 cache; each block is
/// transformed, multiplied and transformed back before the next. With several threads, workers
/// take whole blocks when there are enough, otherwise they share each phase of every block
/// (input channels, the 16 products, output channels).
///
/// Error bound: the transforms only add, subtract and halve (Bᵀ and Aᵀ have entries 0 and ±1, G
/// has 0, ±½ and 1), so an output is the direct convolution's sum of `9·C` products regrouped,
/// and its rounding error is bounded like a summation's: `|ŷ − y| ≤ γ · Σ |w|·|x|` over the
/// output's window, with `γ` of order `(log₂ C + 12) · 2⁻²⁴` times the growth of the
/// transformed values (each `V` element adds up to 4 inputs, each `U` element up to 9 halved
/// weights, each output up to 9 products `M`; at most a factor 4 each way for F(2×2, 3×3),
/// against 36 for F(4×4, 3×3), which is why the larger tile is not used). The direct GEMM has
/// `γ ≈ log₂(9C) · 2⁻²⁴`. `Convolution2DWinogradTests` requires `|ŷ − y| ≤ 10⁻⁵ · Σ |w|·|x|`
/// on every output; the torchvision reference tests check whole networks (ResNet-50, VGG-16 at
/// 224×224) against onnxruntime within 10⁻³ of the largest logit.
enum Winograd {
  /// Bytes of transformed input and products per block (about the L2 cache of one core).
  static let targetBytes = 768 * 1024
  /// The fewest tiles in a block (narrower GEMMs lose more to BLAS packing than the cache gains).
  static let minimumBlock = 64

  /// Whether F(2×2, 3×3) applies to `g` and is expected to be faster than im2col + GEMM: one
  /// group, a 3×3 kernel, stride 1, dilation 1, at least 16 input and output channels, and
  /// enough tiles over the batch: at least `minimumTiles` when every tile is whole (even output
  /// sizes), or `minimumClippedTiles` when the last row and column of tiles are half outside.
  ///
  /// Measured on ResNet-50's layers, one thread (`demo bench-layers`, CPU ms, Winograd vs
  /// im2col + GEMM): batch 1, 56×56 1.6 vs 3.1, 28×28 1.5 vs 2.6, 14×14 (49 tiles) 1.8–2.0 vs
  /// 2.9, 7×7 (16 tiles, a quarter of them clipped) 5.5 vs 3.5; 7×7 at batch 2 and 4 (32, 64
  /// tiles) 7.0 vs 6.8 and 13.9 vs 13.2; at batch 32 (512 tiles) 68 vs 116. The weight transform
  /// and BLAS's packing of the 16 weight matrices are paid once per call, which few tiles
  /// cannot amortise.
  static func applies(to g: Convolution2DGeometry) -> Bool {
    guard isEligible(g), g.inputChannels >= 16, g.outputChannels >= 16 else { return false }
    let whole = g.outputHeight % 2 == 0 && g.outputWidth % 2 == 0
    return tileCount(g) >= (whole ? minimumTiles : minimumClippedTiles)
  }

  /// The fewest tiles (over the batch) for which F(2×2, 3×3) is chosen on even output sizes.
  static let minimumTiles = 48
  /// The fewest tiles for which it is chosen when the output has an odd height or width.
  static let minimumClippedTiles = 256

  /// Whether `g` has the shape F(2×2, 3×3) can compute (regardless of speed).
  static func isEligible(_ g: Convolution2DGeometry) -> Bool {
    g.groups == 1 && g.kernelHeight == 3 && g.kernelWidth == 3 && g.window.strideHeight == 1
      && g.window.strideWidth == 1 && g.window.raw.dilationHeight == 1
      && g.window.raw.dilationWidth == 1
  }

  /// Tiles over the whole batch.
  static func tileCount(_ g: Convolution2DGeometry) -> Int {
    g.batch * ((g.outputHeight + 1) / 2) * ((g.outputWidth + 1) / 2)
  }

  /// The distance in floats between the 16 matrices of a transformed block of `size` floats:
  /// `size` rounded up to 64 bytes, plus 64 bytes when that is a multiple of 1 KiB. The
  /// transforms read or write all 16 matrices at once; 16 streams a multiple of 4 KiB apart
  /// would share one set of the 8-way L1 cache and evict each other (measured: the weight
  /// transform of a 64-channel layer took 3× longer unpadded).
  static func slab(_ size: Int) -> Int {
    let rounded = (size + 15) / 16 * 16
    return rounded % 256 == 0 ? rounded + 16 : rounded
  }

  /// The forward convolution `y = conv(x, w) + b` of geometry `g` (see `isEligible`).
  static func forward(
    _ g: Convolution2DGeometry, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
    _ b: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>
  ) {
    precondition(isEligible(g), "Winograd F(2×2, 3×3) needs a dense stride-1 3×3 convolution.")
    let (channels, outputs) = (g.inputChannels, g.outputChannels)
    let tiles = tileCount(g)
    let workers = ConvolutionWorkers.available
    let perBlock = max(minimumBlock, targetBytes / (16 * (channels + outputs) * 4))
    let blockCount = max(1, (tiles + perBlock - 1) / perBlock)
    let blockSize = (tiles + blockCount - 1) / blockCount
    let blockCountUsed = (tiles + blockSize - 1) / blockSize
    let uSlab = slab(outputs * channels)
    // A block's transformed input V (16 slabs of `channels × count`) and products M (16 slabs of
    // `outputs × count`); the last block may be shorter, and keeps the same slab strides.
    let (vSlab, mSlab) = (slab(channels * blockSize), slab(outputs * blockSize))
    let scratchCount = 16 * (vSlab + mSlab)
    ConvolutionWorkers.withScratch(16 * uSlab) { u in
      ConvolutionWorkers.run(workers: workers, items: outputs, scratchCount: 0) { _, rows, _ in
        ck_winograd_f2x2_3x3_weights(
          w + rows.lowerBound * channels * 9, rows.count, channels,
          u + rows.lowerBound * channels, uSlab)
      }
      let u = UnsafePointer(u)
      /// `M_ξ[O, count] = U_ξ[O, C] · V_ξ[C, count]` for `ξ` in `range`.
      func multiply(
        _ range: Range<Int>, _ v: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>,
        count: Int
      ) {
        for xi in range {
          Im2Col.multiply(
            m: outputs, n: count, k: channels, a: u + xi * uSlab, lda: channels,
            b: v + xi * vSlab, ldb: count, beta: 0, c: m + xi * mSlab, ldc: count)
        }
      }
      if workers == 1 || blockCountUsed >= 2 * workers {
        // Each worker runs whole blocks with its own scratch.
        ConvolutionWorkers.run(
          workers: workers, items: blockCountUsed, scratchCount: scratchCount
        ) { _, blocks, scratch in
          let (v, m) = (scratch, scratch + 16 * vSlab)
          for block in blocks {
            let first = block * blockSize
            let count = min(blockSize, tiles - first)
            withUnsafePointer(to: g.window.raw) { window in
              ck_winograd_f2x2_3x3_input(
                x, g.inputChannels * g.inputPlane, channels, window, first, count, v, vSlab)
              multiply(0..<16, v, m, count: count)
              ck_winograd_f2x2_3x3_output(
                m, mSlab, outputs, window, first, count, b, y, outputs * g.outputPlane)
            }
          }
        }
        return
      }
      // Few blocks: the workers share each phase of every block.
      ConvolutionWorkers.withScratch(scratchCount) { scratch in
        let (v, m) = (scratch, scratch + 16 * vSlab)
        for block in 0..<blockCountUsed {
          let first = block * blockSize
          let count = min(blockSize, tiles - first)
          ConvolutionWorkers.run(workers: workers, items: channels, scratchCount: 0) {
            _, range, _ in
            withUnsafePointer(to: g.window.raw) { window in
              ck_winograd_f2x2_3x3_input(
                x + range.lowerBound * g.inputPlane, g.inputChannels * g.inputPlane,
                range.count, window, first, count, v + range.lowerBound * count, vSlab)
            }
          }
          ConvolutionWorkers.run(workers: workers, items: 16, scratchCount: 0) { _, range, _ in
            multiply(range, v, m, count: count)
          }
          ConvolutionWorkers.run(workers: workers, items: outputs, scratchCount: 0) {
            _, range, _ in
            withUnsafePointer(to: g.window.raw) { window in
              ck_winograd_f2x2_3x3_output(
                m + range.lowerBound * count, mSlab, range.count, window, first, count,
                b.map { $0 + range.lowerBound }, y + range.lowerBound * g.outputPlane,
                outputs * g.outputPlane)
            }
          }
        }
      }
    }
  }
}
