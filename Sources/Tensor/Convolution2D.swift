import CKernels

/// The kernel that computes a convolution (internal; chosen from the shapes, forced in tests).
enum Convolution2DAlgorithm {
  /// im2col + GEMM per tile of output positions; a pointwise convolution skips im2col.
  case patchMatrix
  /// The direct C kernel for one input channel per group (depthwise, or a one-channel input).
  case depthwise
  /// Winograd F(2×2, 3×3) for dense stride-1 3×3 convolutions (see `Winograd`).
  case winograd

  init(_ geometry: Convolution2DGeometry) {
    if geometry.isDepthwise {
      self = .depthwise
    } else if Winograd.applies(to: geometry) {
      self = .winograd
    } else {
      self = .patchMatrix
    }
  }
}

extension Tensor {
  /// The 2-D convolution (cross-correlation, as in PyTorch's `conv2d`) of a batch of images.
  ///
  /// `y[n, o, i, j] = bias[o] + Σ_{c, kh, kw} w[o, c, kh, kw] ·
  /// x[n, g·C/G + c, i·sh − top + kh·dh, j·sw − left + kw·dw]` with `g = o / (O/G)` and zero
  /// padding.
  ///
  /// - Parameters:
  ///   - input: `[N, C, H, W]`.
  ///   - weight: `[O, C/groups, KH, KW]` (PyTorch's layout).
  ///   - bias: `[O]`, or nil.
  ///   - configuration: stride, dilation, padding and groups.
  /// - Returns: `[N, O, Ho, Wo]` (see `Convolution2DConfiguration` for `Ho`, `Wo`).
  /// - Precondition: the shapes agree with each other and with `configuration.groups`.
  /// - Complexity: O(N · O · Ho · Wo · C/groups · KH · KW) multiply–adds. Groups with several
  ///   input channels run as im2col + GEMM on cache-sized tiles of output positions (1×1
  ///   convolutions as one GEMM per plane, on the input planes themselves at stride 1); dense
  ///   stride-1 3×3 convolutions with enough output tiles as Winograd F(2×2, 3×3) (2.25× fewer
  ///   multiplications, see `Winograd`); one input channel per group (depthwise) runs a direct
  ///   vectorised kernel. Work is spread over `ComputeThreads.count` threads.
  public static func convolution2D(
    _ input: Tensor, weight: Tensor, bias: Tensor? = nil,
    configuration: Convolution2DConfiguration = Convolution2DConfiguration()
  ) -> Tensor {
    let geometry = Convolution2DGeometry(
      inputShape: input.shape, weightShape: weight.shape, configuration: configuration)
    return convolution2D(
      input, weight: weight, bias: bias, geometry: geometry, algorithm: .init(geometry))
  }

  static func convolution2D(
    _ input: Tensor, weight: Tensor, bias: Tensor?, geometry: Convolution2DGeometry,
    algorithm: Convolution2DAlgorithm
  ) -> Tensor {
    if let bias {
      precondition(
        bias.shape == [geometry.outputChannels],
        "A convolution with weight \(weight.shape) needs a bias [\(geometry.outputChannels)], "
          + "not \(bias.shape).")
    }
    return input.withUnsafeBufferPointer { x in
      weight.withUnsafeBufferPointer { w in
        withOptionalBuffer(bias) { b in
          Tensor(shape: geometry.outputShape) { y in
            guard let x = x.baseAddress, let w = w.baseAddress, let y = y.baseAddress else {
              return
            }
            switch algorithm {
            case .depthwise:
              forwardDepthwise(geometry, x, w, b, y)
            case .patchMatrix:
              forwardPatchMatrix(geometry, x, w, b, y)
            case .winograd:
              Winograd.forward(geometry, x, w, b, y)
            }
          }
        }
      }
    }
  }

  private static func forwardPatchMatrix(
    _ g: Convolution2DGeometry, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
    _ b: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>
  ) {
    let units = g.batch * g.groups
    let workers = ConvolutionWorkers.available
    let tiling = ConvolutionTiling(
      patchSize: g.patchSize, outputPlane: g.outputPlane, units: units, workers: workers,
      wholePlanes: g.kernelHeight * g.kernelWidth == 1)
    // With fewer units than workers, splitting the output plane makes every worker pack the
    // whole weight matrix (`og × k`) in its GEMM, and splitting the output channels makes every
    // worker pack the whole patch matrix (`k × plane`): split whichever is larger.
    if tiling.splitsRows || (units < workers && g.outputsPerGroup >= g.outputPlane) {
      forwardSplittingRows(g, x, w, b, y, workers: workers)
      return
    }
    let pointwise = g.isPointwise
    let (cg, og, k, plane) = (g.channelsPerGroup, g.outputsPerGroup, g.patchSize, g.outputPlane)
    ConvolutionWorkers.run(
      workers: workers, items: units * tiling.tileCount,
      scratchCount: pointwise ? 0 : k * tiling.tileSize
    ) { _, range, scratch in
      for item in range {
        let (unit, tile) = item.quotientAndRemainder(dividingBy: tiling.tileCount)
        let (n, group) = unit.quotientAndRemainder(dividingBy: g.groups)
        let positions = tiling.positions(tile, outputPlane: plane)
        let image = x + (n * g.inputChannels + group * cg) * g.inputPlane
        let patches: UnsafePointer<Float>
        let patchStride: Int
        if pointwise {
          patches = image + positions.lowerBound
          patchStride = g.inputPlane
        } else {
          Im2Col.patches(
            of: image, channels: cg, window: g.window, positions: positions, into: scratch)
          patches = UnsafePointer(scratch)
          patchStride = positions.count
        }
        let output = y + (n * g.outputChannels + group * og) * plane + positions.lowerBound
        let beta = fillBias(
          b, rows: group * og..<(group + 1) * og, into: output, stride: plane,
          count: positions.count)
        Im2Col.multiply(
          m: og, n: positions.count, k: k, a: w + group * og * k, lda: k, b: patches,
          ldb: patchStride, beta: beta, c: output, ldc: plane)
      }
    }
  }

  /// Small images at batch 1: per (image, group), the workers build the patch matrix together
  /// (each its share of the input channels), then each multiplies its share of the output
  /// channels by the whole patch matrix.
  private static func forwardSplittingRows(
    _ g: Convolution2DGeometry, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
    _ b: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>, workers: Int
  ) {
    let pointwise = g.isPointwise
    let (cg, og, k, plane) = (g.channelsPerGroup, g.outputsPerGroup, g.patchSize, g.outputPlane)
    let taps = g.kernelHeight * g.kernelWidth
    ConvolutionWorkers.withScratch(pointwise ? 0 : k * plane) { shared in
      for unit in 0..<(g.batch * g.groups) {
        let (n, group) = unit.quotientAndRemainder(dividingBy: g.groups)
        let image = x + (n * g.inputChannels + group * cg) * g.inputPlane
        if !pointwise {
          ConvolutionWorkers.run(workers: workers, items: cg, scratchCount: 0) { _, channels, _ in
            Im2Col.patches(
              of: image + channels.lowerBound * g.inputPlane, channels: channels.count,
              window: g.window, positions: 0..<plane,
              into: shared + channels.lowerBound * taps * plane)
          }
        }
        let patches = pointwise ? image : UnsafePointer(shared)
        let output = y + (n * g.outputChannels + group * og) * plane
        ConvolutionWorkers.run(workers: workers, items: og, scratchCount: 0) { _, rows, _ in
          let beta = fillBias(
            b.map { $0 + group * og }, rows: rows, into: output + rows.lowerBound * plane,
            stride: plane, count: plane)
          Im2Col.multiply(
            m: rows.count, n: plane, k: k, a: w + (group * og + rows.lowerBound) * k, lda: k,
            b: patches, ldb: plane, beta: beta, c: output + rows.lowerBound * plane, ldc: plane)
        }
      }
    }
  }

  /// Writes `bias[r]` into row `r − rows.lowerBound` of `output` (`count` elements, rows
  /// `stride` apart) and returns the GEMM β that keeps it (1), or 0 without a bias.
  static func fillBias(
    _ bias: UnsafePointer<Float>?, rows: Range<Int>, into output: UnsafeMutablePointer<Float>,
    stride: Int, count: Int
  ) -> Float {
    guard let bias else { return 0 }
    for (index, row) in rows.enumerated() {
      (output + index * stride).update(repeating: bias[row], count: count)
    }
    return 1
  }

  /// The depthwise kernels alone: `forwardDepthwiseFused` with the identity epilogue.
  private static func forwardDepthwise(
    _ g: Convolution2DGeometry, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
    _ b: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>
  ) {
    forwardDepthwiseFused(g, x, w, b, y, .identity)
  }

  /// The largest scratch, in floats, of the channel-blocked depthwise kernel (512 KiB per
  /// worker).
  ///
  /// Vectorised across 16 channels (`ck_depthwise_forward_channels`) the forward depthwise
  /// convolution wastes no lanes on narrow rows and needs no shuffle for stride 2; measured on
  /// one core on Lite0's layer shapes it is 2.2–3.8× faster than the row kernel on the 14×14 and
  /// 7×7 planes and 1.3–2.1× on the 28×28 and 56×56 ones, transposes included, but 0.8–0.9× on
  /// the 112×112 ones, whose channel-last block (1–1.6 MB) leaves the L2 cache. Planes whose
  /// block of 16 would exceed this size (beyond about 64×64) keep the row kernel.
  static let channelBlockScratchLimit = 1 << 17

  /// Whether the forward depthwise convolution of `g` runs on blocks of 16 channels: a
  /// multiplier of 1, at most 64 taps and a scratch block within `channelBlockScratchLimit`.
  static func usesChannelBlocks(_ g: Convolution2DGeometry) -> Bool {
    guard g.outputChannels == g.inputChannels, g.kernelHeight * g.kernelWidth <= 64 else {
      return false
    }
    let scratch = withUnsafePointer(to: g.window.raw) { ck_depthwise_channels_scratch_count($0) }
    return scratch <= channelBlockScratchLimit
  }
}

/// Calls `body` with the dense elements of `tensor`, or with nil.
func withOptionalBuffer<R>(_ tensor: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
  guard let tensor else { return body(nil) }
  return tensor.withUnsafeBufferPointer { body($0.baseAddress) }
}
