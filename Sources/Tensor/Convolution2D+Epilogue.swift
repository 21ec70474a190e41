import CKernels

/// What a convolution does to its output while the output is still in cache: add a residual of
/// the output's shape, then clamp (ReLU is `0...∞`, ReLU6 `0...6`).
///
/// `y = min(max((bias + conv(x)) + residual, lowerBound), upperBound)`, each part optional. The
/// rounding is that of the separate passes (the convolution with its bias, then the sum, then
/// the clamp), so a fused convolution equals the unfused one followed by `+` and a clamp. A NaN
/// passes through the clamp unchanged.
public struct ConvolutionEpilogue: Sendable {
  /// Added to the output (same shape), or nil.
  public var residual: Tensor?
  /// The lower end of the clamp (`-∞` for none).
  public var lowerBound: Float
  /// The upper end of the clamp (`+∞` for none).
  public var upperBound: Float

  /// An epilogue adding `residual` (if any), then clamping to `range` (if any).
  public init(adding residual: Tensor? = nil, clampingTo range: ClosedRange<Float>? = nil) {
    self.residual = residual
    self.lowerBound = range?.lowerBound ?? -.infinity
    self.upperBound = range?.upperBound ?? .infinity
  }

  /// Nothing: the plain convolution.
  public static let identity = ConvolutionEpilogue()
  /// `max(y, 0)`.
  public static let relu = ConvolutionEpilogue(clampingTo: 0...Float.infinity)
  /// `min(max(y, 0), 6)`.
  public static let relu6 = ConvolutionEpilogue(clampingTo: 0...6)

  /// Whether the epilogue changes nothing.
  public var isIdentity: Bool {
    residual == nil && lowerBound == -.infinity && upperBound == .infinity
  }
}

extension Tensor {
  /// `convolution2D(input, weight:bias:configuration:)` followed by `epilogue`, with the
  /// epilogue applied to each block of output right after the kernel wrote it (a tile of output
  /// positions of a pointwise convolution, the planes of a depthwise one), instead of in passes
  /// over the whole output afterwards.
  ///
  /// Pointwise convolutions (1×1, stride 1, no padding, one group) run as one GEMM per tile of
  /// output positions, the tile sized so that its input and output rows stay in the core's L2
  /// cache; depthwise ones run the direct kernels of `convolution2D`. Other convolutions run
  /// `convolution2D` and then one pass of the epilogue.
  ///
  /// - Precondition: as `convolution2D`; `epilogue.residual`, if any, has the output's shape.
  /// - Complexity: that of the convolution, plus O(output count) for the epilogue.
  public static func convolution2D(
    _ input: Tensor, weight: Tensor, bias: Tensor? = nil,
    configuration: Convolution2DConfiguration = Convolution2DConfiguration(),
    epilogue: ConvolutionEpilogue
  ) -> Tensor {
    if epilogue.isIdentity {
      return convolution2D(input, weight: weight, bias: bias, configuration: configuration)
    }
    let g = Convolution2DGeometry(
      inputShape: input.shape, weightShape: weight.shape, configuration: configuration)
    if let residual = epilogue.residual {
      precondition(
        residual.shape == g.outputShape,
        "Cannot add a residual \(residual.shape) to a convolution output \(g.outputShape).")
    }
    if let bias {
      precondition(
        bias.shape == [g.outputChannels],
        "A convolution with weight \(weight.shape) needs a bias [\(g.outputChannels)], not "
          + "\(bias.shape).")
    }
    let fused = (g.isPointwise && g.groups == 1) || g.isDepthwise
    guard fused else {
      var output = convolution2D(input, weight: weight, bias: bias, configuration: configuration)
      applyEpilogue(epilogue, to: &output)
      return output
    }
    let (lower, upper) = (epilogue.lowerBound, epilogue.upperBound)
    return input.withUnsafeBufferPointer { x in
      weight.withUnsafeBufferPointer { w in
        withOptionalBuffer(bias) { b in
          withOptionalBuffer(epilogue.residual) { r in
            Tensor(shape: g.outputShape) { y in
              guard let x = x.baseAddress, let w = w.baseAddress, let y = y.baseAddress else {
                return
              }
              let end = EpilogueRun(residual: r, lower: lower, upper: upper)
              if g.isDepthwise {
                forwardDepthwiseFused(g, x, w, b, y, end)
              } else {
                forwardPointwiseFused(g, x, w, b, y, end)
              }
            }
          }
        }
      }
    }
  }

  /// Applies `epilogue` to the whole of `output` in one parallel pass over its planes.
  static func applyEpilogue(_ epilogue: ConvolutionEpilogue, to output: inout Tensor) {
    let planes = output.rank >= 2 ? output.shape[0] * output.shape[1] : 1
    let plane = output.count / Swift.max(planes, 1)
    let (lower, upper) = (epilogue.lowerBound, epilogue.upperBound)
    output.withUnsafeMutableBufferPointer { values in
      withOptionalBuffer(epilogue.residual) { r in
        guard let y = values.baseAddress else { return }
        let end = EpilogueRun(residual: r, lower: lower, upper: upper)
        let target = EpilogueTarget(y)
        let chunks = Swift.max(1, Swift.min(planes, ConvolutionWorkers.available))
        ComputeThreads.parallelFor(chunks) { chunk in
          let first = planes * chunk / chunks
          let last = planes * (chunk + 1) / chunks
          end(target.pointer, offset: first * plane, rows: 1, count: (last - first) * plane,
              stride: 0)
        }
      }
    }
  }

  /// One GEMM per (image, tile of output positions), each tile's input and output rows sized
  /// for the L2 cache, then the epilogue on the tile; at batch 1 on small planes the workers
  /// split the output channels instead.
  private static func forwardPointwiseFused(
    _ g: Convolution2DGeometry, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
    _ b: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>, _ end: EpilogueRun
  ) {
    let (k, o, plane) = (g.inputChannels, g.outputChannels, g.outputPlane)
    let workers = ConvolutionWorkers.available
    let tiling = ConvolutionTiling(
      patchSize: k + o, outputPlane: plane, units: g.batch, workers: workers)
    if tiling.splitsRows {
      for n in 0..<g.batch {
        ConvolutionWorkers.run(workers: workers, items: o, scratchCount: 0) { _, rows, _ in
          let offset = (n * o + rows.lowerBound) * plane
          let beta = fillRows(b, rows: rows, into: y + offset, stride: plane, count: plane)
          Im2Col.multiply(
            m: rows.count, n: plane, k: k, a: w + rows.lowerBound * k, lda: k,
            b: x + n * k * plane, ldb: plane, beta: beta, c: y + offset, ldc: plane)
          end(y, offset: offset, rows: 1, count: rows.count * plane, stride: 0)
        }
      }
      return
    }
    ConvolutionWorkers.run(
      workers: workers, items: g.batch * tiling.tileCount, scratchCount: 0
    ) { _, range, _ in
      for item in range {
        let (n, tile) = item.quotientAndRemainder(dividingBy: tiling.tileCount)
        let positions = tiling.positions(tile, outputPlane: plane)
        let offset = n * o * plane + positions.lowerBound
        let beta = fillRows(b, rows: 0..<o, into: y + offset, stride: plane, count: positions.count)
        Im2Col.multiply(
          m: o, n: positions.count, k: k, a: w, lda: k,
          b: x + n * k * plane + positions.lowerBound, ldb: plane, beta: beta, c: y + offset,
          ldc: plane)
        end(y, offset: offset, rows: o, count: positions.count, stride: plane)
      }
    }
  }

  /// The depthwise kernels of `convolution2D`, each plane (or block of 16 planes) followed by
  /// the epilogue.
  private static func forwardDepthwiseFused(
    _ g: Convolution2DGeometry, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
    _ b: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>, _ end: EpilogueRun
  ) {
    let channels = g.inputChannels
    let taps = g.kernelHeight * g.kernelWidth
    let plane = g.outputPlane
    if usesChannelBlocks(g) {
      let lanes = 16
      let blocks = (channels + lanes - 1) / lanes
      let items = g.batch * blocks
      let scratchCount = withUnsafePointer(to: g.window.raw) {
        ck_depthwise_channels_scratch_count($0)
      }
      ConvolutionWorkers.run(
        workers: ConvolutionWorkers.count(for: items), items: items, scratchCount: scratchCount
      ) { _, range, scratch in
        withUnsafePointer(to: g.window.raw) { window in
          for item in range {
            let (n, block) = item.quotientAndRemainder(dividingBy: blocks)
            let first = block * lanes
            let count = Swift.min(lanes, channels - first)
            let offset = (n * channels + first) * plane
            ck_depthwise_forward_channels(
              x + (n * channels + first) * g.inputPlane, w + first * taps, b.map { $0 + first },
              count, window, scratch, y + offset)
            end(y, offset: offset, rows: 1, count: count * plane, stride: 0)
          }
        }
      }
      return
    }
    let multiplier = g.outputChannels / channels
    let items = g.batch * channels
    let scratchCount = withUnsafePointer(to: g.window.raw) { ck_depthwise_scratch_count($0) }
    ConvolutionWorkers.run(
      workers: ConvolutionWorkers.count(for: items), items: items, scratchCount: scratchCount
    ) { _, range, scratch in
      withUnsafePointer(to: g.window.raw) { window in
        for item in range {
          let (n, c) = item.quotientAndRemainder(dividingBy: channels)
          let offset = (n * g.outputChannels + c * multiplier) * plane
          ck_depthwise_forward(
            x + item * g.inputPlane, w + c * multiplier * taps, b.map { $0 + c * multiplier },
            multiplier, window, scratch, y + offset)
          end(y, offset: offset, rows: 1, count: multiplier * plane, stride: 0)
        }
      }
    }
  }

  /// Writes `bias[r]` into row `r − rows.lowerBound` of `output` and returns the GEMM β that
  /// keeps it (1), or 0 without a bias.
  private static func fillRows(
    _ bias: UnsafePointer<Float>?, rows: Range<Int>, into output: UnsafeMutablePointer<Float>,
    stride: Int, count: Int
  ) -> Float {
    guard let bias else { return 0 }
    for (index, row) in rows.enumerated() {
      (output + index * stride).update(repeating: bias[row], count: count)
    }
    return 1
  }
}

/// The epilogue as the kernels apply it: `ck_epilogue` on a block at `offset` of the output and
/// the same offset of the residual.
struct EpilogueRun: @unchecked Sendable {
  // `@unchecked`: the residual is read only, and each block is written by one worker.
  let residual: UnsafePointer<Float>?
  let lower: Float
  let upper: Float

  func callAsFunction(
    _ output: UnsafeMutablePointer<Float>, offset: Int, rows: Int, count: Int, stride: Int
  ) {
    ck_epilogue(output + offset, rows, count, stride, residual.map { $0 + offset }, lower, upper)
  }
}

/// The output of a parallel epilogue pass, whose chunks write disjoint planes.
private struct EpilogueTarget: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Float>
  init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}
