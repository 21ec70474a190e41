import CKernels
import COpenBLAS

extension Tensor {
  /// The weight gradient of a 2-D convolution:
  /// `∂L/∂w[o, c, kh, kw] = Σ_{n, oh, ow} ∂L/∂y[n, o, oh, ow] · x[n, g·C/G + c, oh·sh − top +
  /// kh·dh, ow·sw − left + kw·dw]`.
  ///
  /// - Parameters:
  ///   - outputGradient: `[N, O, Ho, Wo]`.
  ///   - input: the forward input `[N, C, H, W]`.
  ///   - weightShape: `[O, C/groups, KH, KW]`.
  /// - Returns: `[O, C/groups, KH, KW]`.
  /// - Complexity: O(N · O · Ho · Wo · C/groups · KH · KW): GEMM `dY · patchesᵀ` per tile,
  ///   accumulated per worker and summed; depthwise runs a direct kernel.
  public static func convolution2DWeightGradient(
    _ outputGradient: Tensor, input: Tensor, weightShape: [Int],
    configuration: Convolution2DConfiguration = Convolution2DConfiguration()
  ) -> Tensor {
    let geometry = Convolution2DGeometry(
      inputShape: input.shape, weightShape: weightShape, configuration: configuration)
    return convolution2DWeightGradient(
      outputGradient, input: input, geometry: geometry, algorithm: .init(geometry))
  }

  static func convolution2DWeightGradient(
    _ outputGradient: Tensor, input: Tensor, geometry g: Convolution2DGeometry,
    algorithm: Convolution2DAlgorithm
  ) -> Tensor {
    precondition(
      outputGradient.shape == g.outputShape,
      "The output gradient \(outputGradient.shape) of a convolution of \(g.inputShape) by "
        + "\(g.weightShape) must be \(g.outputShape).")
    return outputGradient.withUnsafeBufferPointer { dy in
      input.withUnsafeBufferPointer { x in
        Tensor(shape: g.weightShape) { dw in
          guard let dy = dy.baseAddress, let x = x.baseAddress, let dw = dw.baseAddress else {
            return
          }
          // Winograd is a forward kernel only: its gradients are those of the dense convolution.
          guard algorithm != .depthwise else { return weightGradientDepthwise(g, dy, x, dw) }
          let workers = ConvolutionWorkers.available
          let tiling = ConvolutionTiling(
            patchSize: g.patchSize, outputPlane: g.outputPlane, units: g.batch * g.groups,
            workers: workers)
          if tiling.splitsRows {
            weightGradientSplittingRows(g, dy, x, dw, workers: workers)
          } else {
            weightGradientPatchMatrix(g, dy, x, dw, tiling: tiling, workers: workers)
          }
        }
      }
    }
  }

  // MARK: - Kernels

  /// `dW_group += dY[n, group, tile] · patchesᵀ` over every (image, group, tile), each worker
  /// accumulating into its own copy of `dW`; the copies are summed at the end.
  private static func weightGradientPatchMatrix(
    _ g: Convolution2DGeometry, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
    _ dw: UnsafeMutablePointer<Float>, tiling: ConvolutionTiling, workers: Int
  ) {
    let units = g.batch * g.groups
    let (cg, og, k, plane) = (g.channelsPerGroup, g.outputsPerGroup, g.patchSize, g.outputPlane)
    let pointwise = g.isPointwise
    let weightCount = g.outputChannels * k
    dw.update(repeating: 0, count: weightCount)
    let items = units * tiling.tileCount
    let used = min(workers, items)
    ConvolutionWorkers.withScratch((used - 1) * weightCount) { partials in
      ConvolutionWorkers.run(
        workers: used, items: items, scratchCount: pointwise ? 0 : k * tiling.tileSize
      ) { worker, range, scratch in
        let accumulator = worker == 0 ? dw : partials + (worker - 1) * weightCount
        if worker > 0 { accumulator.update(repeating: 0, count: weightCount) }
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
          Im2Col.multiply(
            transposingB: true, m: og, n: k, k: positions.count,
            a: dy + (n * g.outputChannels + group * og) * plane + positions.lowerBound,
            lda: plane, b: patches, ldb: patchStride, beta: 1, c: accumulator + group * og * k,
            ldc: k)
        }
      }
      for worker in 1..<max(used, 1) {
        cblas_saxpy(blasint(weightCount), 1, partials + (worker - 1) * weightCount, 1, dw, 1)
      }
    }
  }

  /// Small images at batch 1: each worker takes a share of the input channels, builds their
  /// patch rows and computes the matching columns `dW_group[:, its rows] += dY · patchesᵀ`
  /// (disjoint, so no partial sums).
  private static func weightGradientSplittingRows(
    _ g: Convolution2DGeometry, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
    _ dw: UnsafeMutablePointer<Float>, workers: Int
  ) {
    let pointwise = g.isPointwise
    let (cg, og, k, plane) = (g.channelsPerGroup, g.outputsPerGroup, g.patchSize, g.outputPlane)
    let taps = g.kernelHeight * g.kernelWidth
    let share = (cg + workers - 1) / workers
    dw.update(repeating: 0, count: g.outputChannels * k)
    for unit in 0..<(g.batch * g.groups) {
      let (n, group) = unit.quotientAndRemainder(dividingBy: g.groups)
      let gradient = dy + (n * g.outputChannels + group * og) * plane
      ConvolutionWorkers.run(
        workers: workers, items: cg, scratchCount: pointwise ? 0 : share * taps * plane
      ) { _, channels, scratch in
        let image = x + (n * g.inputChannels + group * cg + channels.lowerBound) * g.inputPlane
        let rows = (channels.lowerBound * taps)..<(channels.upperBound * taps)
        if !pointwise {
          Im2Col.patches(
            of: image, channels: channels.count, window: g.window, positions: 0..<plane,
            into: scratch)
        }
        Im2Col.multiply(
          transposingB: true, m: og, n: rows.count, k: plane, a: gradient, lda: plane,
          b: pointwise ? image : UnsafePointer(scratch), ldb: plane, beta: 1,
          c: dw + group * og * k + rows.lowerBound, ldc: k)
      }
    }
  }

  /// Direct depthwise weight gradient over (image, channel) items, one small accumulator per
  /// worker.
  private static func weightGradientDepthwise(
    _ g: Convolution2DGeometry, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
    _ dw: UnsafeMutablePointer<Float>
  ) {
    let channels = g.inputChannels
    let multiplier = g.outputChannels / channels
    let taps = g.kernelHeight * g.kernelWidth
    let weightCount = g.outputChannels * taps
    let items = g.batch * channels
    let used = ConvolutionWorkers.count(for: items)
    let padded = withUnsafePointer(to: g.window.raw) { ck_depthwise_scratch_count($0) }
    dw.update(repeating: 0, count: weightCount)
    ConvolutionWorkers.withScratch((used - 1) * weightCount) { partials in
      ConvolutionWorkers.run(workers: used, items: items, scratchCount: padded) {
        worker, range, scratch in
        let accumulator = worker == 0 ? dw : partials + (worker - 1) * weightCount
        if worker > 0 { accumulator.update(repeating: 0, count: weightCount) }
        withUnsafePointer(to: g.window.raw) { window in
          for item in range {
            let (n, c) = item.quotientAndRemainder(dividingBy: channels)
            ck_depthwise_weight_gradient(
              x + item * g.inputPlane, dy + (n * g.outputChannels + c * multiplier) * g.outputPlane,
              multiplier, window, scratch, accumulator + c * multiplier * taps)
          }
        }
      }
      for worker in 1..<max(used, 1) {
        cblas_saxpy(blasint(weightCount), 1, partials + (worker - 1) * weightCount, 1, dw, 1)
      }
    }
  }
}
