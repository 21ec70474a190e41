import CKernels
import COpenBLAS

extension Tensor {
  /// The input gradient of a 2-D convolution (a transposed convolution of the output gradient):
  /// `∂L/∂x[n, c, ih, iw] = Σ w[o, c', kh, kw] · ∂L/∂y[n, o, oh, ow]` over every output
  /// position whose window reads `(ih, iw)` through tap `(kh, kw)`.
  ///
  /// - Parameters:
  ///   - outputGradient: `[N, O, Ho, Wo]`.
  ///   - weight: `[O, C/groups, KH, KW]`.
  ///   - inputShape: `[N, C, H, W]` of the forward input.
  /// - Returns: `[N, C, H, W]`.
  /// - Complexity: O(N · O · Ho · Wo · C/groups · KH · KW): GEMM `Wᵀ · dY` per tile then col2im;
  ///   a pointwise convolution writes the GEMM result directly; depthwise runs a direct kernel.
  public static func convolution2DInputGradient(
    _ outputGradient: Tensor, weight: Tensor, inputShape: [Int],
    configuration: Convolution2DConfiguration = Convolution2DConfiguration()
  ) -> Tensor {
    let geometry = Convolution2DGeometry(
      inputShape: inputShape, weightShape: weight.shape, configuration: configuration)
    return convolution2DInputGradient(
      outputGradient, weight: weight, geometry: geometry, algorithm: .init(geometry))
  }

  static func convolution2DInputGradient(
    _ outputGradient: Tensor, weight: Tensor, geometry g: Convolution2DGeometry,
    algorithm: Convolution2DAlgorithm
  ) -> Tensor {
    precondition(
      outputGradient.shape == g.outputShape,
      "The output gradient \(outputGradient.shape) of a convolution of \(g.inputShape) by "
        + "\(g.weightShape) must be \(g.outputShape).")
    return outputGradient.withUnsafeBufferPointer { dy in
      weight.withUnsafeBufferPointer { w in
        Tensor(shape: g.inputShape) { dx in
          guard let dy = dy.baseAddress, let w = w.baseAddress, let dx = dx.baseAddress else {
            return
          }
          // Winograd is a forward kernel only: its gradients are those of the dense convolution.
          guard algorithm != .depthwise else { return inputGradientDepthwise(g, dy, w, dx) }
          let workers = ConvolutionWorkers.available
          let tiling = ConvolutionTiling(
            patchSize: g.patchSize, outputPlane: g.outputPlane, units: g.batch * g.groups,
            workers: workers)
          if g.isPointwise && !tiling.splitsRows {
            inputGradientPointwise(g, dy, w, dx, tiling: tiling, workers: workers)
          } else if g.batch * g.groups == 1 {
            // One (image, group): its input channels are cut into a fixed number of parts
            // (disjoint, no partial sums), so the result does not depend on the thread count.
            inputGradientSplittingRows(g, dy, w, dx, workers: workers)
          } else {
            inputGradientPatchMatrix(g, dy, w, dx, tiling: tiling, workers: workers)
          }
        }
      }
    }
  }

  // MARK: - Kernels

  /// `dX[n, group] = W_groupᵀ · dY[n, group]` on tiles of positions: no scatter, no conflicts.
  private static func inputGradientPointwise(
    _ g: Convolution2DGeometry, _ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
    _ dx: UnsafeMutablePointer<Float>, tiling: ConvolutionTiling, workers: Int
  ) {
    let units = g.batch * g.groups
    let (cg, og, plane) = (g.channelsPerGroup, g.outputsPerGroup, g.outputPlane)
    ConvolutionWorkers.run(workers: workers, items: units * tiling.tileCount, scratchCount: 0) {
      _, range, _ in
      for item in range {
        let (unit, tile) = item.quotientAndRemainder(dividingBy: tiling.tileCount)
        let (n, group) = unit.quotientAndRemainder(dividingBy: g.groups)
        let positions = tiling.positions(tile, outputPlane: plane)
        Im2Col.multiply(
          transposingA: true, m: cg, n: positions.count, k: og, a: w + group * og * cg, lda: cg,
          b: dy + (n * g.outputChannels + group * og) * plane + positions.lowerBound, ldb: plane,
          beta: 0, c: dx + (n * g.inputChannels + group * cg) * plane + positions.lowerBound,
          ldc: plane)
      }
    }
  }

  /// Per tile: `dPatches = W_groupᵀ · dY[n, group, tile]`, then col2im adds it into `dX`.
  ///
  /// Tiles of one image overlap in the input, so each worker owns whole (image, group) units and
  /// adds their tiles in order: every element of `dX` is summed in the same order on any number
  /// of threads (one unit alone goes to `inputGradientSplittingRows`).
  private static func inputGradientPatchMatrix(
    _ g: Convolution2DGeometry, _ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
    _ dx: UnsafeMutablePointer<Float>, tiling: ConvolutionTiling, workers: Int
  ) {
    let units = g.batch * g.groups
    let (cg, og, k, plane) = (g.channelsPerGroup, g.outputsPerGroup, g.patchSize, g.outputPlane)
    let unitCount = cg * g.inputPlane
    ConvolutionWorkers.run(
      workers: workers, items: units, scratchCount: k * tiling.tileSize
    ) { _, range, scratch in
      for unit in range {
        let (n, group) = unit.quotientAndRemainder(dividingBy: g.groups)
        let target = dx + unit * unitCount
        target.update(repeating: 0, count: unitCount)
        for tile in 0..<tiling.tileCount {
          let positions = tiling.positions(tile, outputPlane: plane)
          Im2Col.multiply(
            transposingA: true, m: k, n: positions.count, k: og, a: w + group * og * k, lda: k,
            b: dy + (n * g.outputChannels + group * og) * plane + positions.lowerBound,
            ldb: plane, beta: 0, c: scratch, ldc: positions.count)
          Im2Col.addPatches(
            scratch, channels: cg, window: g.window, positions: positions, into: target)
        }
      }
    }
  }

  /// The number of parts the input channels of one (image, group) are cut into: a constant, so
  /// that the products and their order depend on the shapes only, never on the thread count.
  static let inputGradientChannelParts = 2

  /// One (image, group) at a time: its input channels are cut into
  /// `inputGradientChannelParts` parts, the workers take whole parts, and for each part, tile by
  /// tile of output positions, `dPatches[its rows] = W_group[:, its rows]ᵀ · dY[tile]` is added
  /// into its channels of `dX` (disjoint, so no partial sums; tiles in order; the same GEMM
  /// shapes on any number of threads, so the same bits).
  private static func inputGradientSplittingRows(
    _ g: Convolution2DGeometry, _ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
    _ dx: UnsafeMutablePointer<Float>, workers: Int
  ) {
    let pointwise = g.isPointwise
    let (cg, og, k, plane) = (g.channelsPerGroup, g.outputsPerGroup, g.patchSize, g.outputPlane)
    let taps = g.kernelHeight * g.kernelWidth
    let parts = min(cg, inputGradientChannelParts)
    let share = (cg + parts - 1) / parts
    // Cache-sized tiles chosen from the shapes alone (no balancing across workers).
    let tileSize =
      pointwise
      ? plane
      : ConvolutionTiling(patchSize: share * taps, outputPlane: plane, units: 1, workers: 1)
        .tileSize
    for unit in 0..<(g.batch * g.groups) {
      let (n, group) = unit.quotientAndRemainder(dividingBy: g.groups)
      let gradient = dy + (n * g.outputChannels + group * og) * plane
      let target = dx + (n * g.inputChannels + group * cg) * g.inputPlane
      ConvolutionWorkers.run(
        workers: min(workers, parts), items: parts,
        scratchCount: pointwise ? 0 : share * taps * tileSize
      ) { _, partRange, scratch in
        for part in partRange {
          let channels = (cg * part / parts)..<(cg * (part + 1) / parts)
          let region = target + channels.lowerBound * g.inputPlane
          let rows = (channels.lowerBound * taps)..<(channels.upperBound * taps)
          if pointwise {
            Im2Col.multiply(
              transposingA: true, m: rows.count, n: plane, k: og,
              a: w + group * og * k + rows.lowerBound, lda: k, b: gradient, ldb: plane, beta: 0,
              c: region, ldc: plane)
            continue
          }
          region.update(repeating: 0, count: channels.count * g.inputPlane)
          var start = 0
          while start < plane {
            let positions = start..<min(start + tileSize, plane)
            Im2Col.multiply(
              transposingA: true, m: rows.count, n: positions.count, k: og,
              a: w + group * og * k + rows.lowerBound, lda: k,
              b: gradient + positions.lowerBound, ldb: plane, beta: 0, c: scratch,
              ldc: positions.count)
            Im2Col.addPatches(
              scratch, channels: channels.count, window: g.window, positions: positions,
              into: region)
            start = positions.upperBound
          }
        }
      }
    }
  }

  private static func inputGradientDepthwise(
    _ g: Convolution2DGeometry, _ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
    _ dx: UnsafeMutablePointer<Float>
  ) {
    let channels = g.inputChannels
    let multiplier = g.outputChannels / channels
    let taps = g.kernelHeight * g.kernelWidth
    let items = g.batch * channels
    let scratchCount = withUnsafePointer(to: g.window.raw) { ck_depthwise_scratch_count($0) }
    ConvolutionWorkers.run(
      workers: ConvolutionWorkers.count(for: items), items: items, scratchCount: scratchCount
    ) { _, range, scratch in
      withUnsafePointer(to: g.window.raw) { window in
        for item in range {
          let (n, c) = item.quotientAndRemainder(dividingBy: channels)
          ck_depthwise_input_gradient(
            dy + (n * g.outputChannels + c * multiplier) * g.outputPlane,
            w + c * multiplier * taps, multiplier, window, scratch, dx + item * g.inputPlane)
        }
      }
    }
  }
}
