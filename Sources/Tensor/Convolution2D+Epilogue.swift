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
    if let pointwise = PointwiseWeights(weight, configuration: configuration) {
      return convolution2D(input, pointwise: pointwise, bias: bias, epilogue: epilogue)
    }
    guard g.isDepthwise else {
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
              forwardDepthwiseFused(g, x, w, b, y, end)
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

  /// A pointwise convolution with `PointwiseWeights` and its epilogue in registers
  /// (`ck_pointwise_forward`).
  ///
  /// - Precondition: `input` is `[N, C, H, W]` with the weights' `C`; `bias`, if any, is `[O]`;
  ///   `epilogue.residual`, if any, is `[N, O, H, W]`.
  /// - Complexity: O(N · O · C · H · W) multiply–adds, spread over `ComputeThreads.count`
  ///   workers (images, else tiles of positions, else blocks of output channels).
  public static func convolution2D(
    _ input: Tensor, pointwise weights: PointwiseWeights, bias: Tensor? = nil,
    epilogue: ConvolutionEpilogue = .identity
  ) -> Tensor {
    let (channels, outputs) = (weights.inputChannels, weights.outputChannels)
    precondition(
      input.rank == 4 && input.shape[1] == channels,
      "A pointwise convolution of \(channels) input channels cannot read \(input.shape).")
    let outputShape = [input.shape[0], outputs, input.shape[2], input.shape[3]]
    if let residual = epilogue.residual {
      precondition(
        residual.shape == outputShape,
        "Cannot add a residual \(residual.shape) to a convolution output \(outputShape).")
    }
    if let bias {
      precondition(
        bias.shape == [outputs],
        "A pointwise convolution of \(outputs) outputs needs a bias [\(outputs)], not "
          + "\(bias.shape).")
    }
    let end = (lower: epilogue.lowerBound, upper: epilogue.upperBound)
    return input.withUnsafeBufferPointer { x in
      weights.transposed.withUnsafeBufferPointer { w in
        withOptionalBuffer(bias) { b in
          withOptionalBuffer(epilogue.residual) { r in
            Tensor(shape: outputShape) { y in
              guard let x = x.baseAddress, let w = w.baseAddress, let y = y.baseAddress else {
                return
              }
              forwardPointwise(
                batch: outputShape[0], channels: channels, outputs: outputs,
                plane: outputShape[2] * outputShape[3], x, w, b,
                EpilogueRun(residual: r, lower: end.lower, upper: end.upper), y)
            }
          }
        }
      }
    }
  }

  private static func forwardPointwise(
    batch: Int, channels: Int, outputs: Int, plane: Int, _ x: UnsafePointer<Float>,
    _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, _ end: EpilogueRun,
    _ y: UnsafeMutablePointer<Float>
  ) {
    let workers = ConvolutionWorkers.available
    if plane < pointwiseKernelMinimumPlane {
      forwardPointwiseBLAS(
        batch: batch, channels: channels, outputs: outputs, plane: plane, x, w, b, end, y)
      return
    }
    let strip = 32
    let strips = (plane + strip - 1) / strip
    // Work items: whole images when there are enough of them, else tiles of positions (whole
    // strips), else blocks of output channels (multiples of 4).
    let (images, tiles, rowBlocks): (Int, Int, Int)
    if batch >= workers || workers == 1 {
      (images, tiles, rowBlocks) = (batch, 1, 1)
    } else if strips >= 4 * workers {
      (images, tiles, rowBlocks) = (batch, workers, 1)
    } else {
      (images, tiles, rowBlocks) = (batch, 1, Swift.max(1, Swift.min(workers, outputs / 4)))
    }
    let items = images * tiles * rowBlocks
    ConvolutionWorkers.run(
      workers: Swift.min(workers, items), items: items,
      scratchCount: ck_pointwise_scratch_count(channels)
    ) { _, range, scratch in
      for item in range {
        let (n, rest) = item.quotientAndRemainder(dividingBy: tiles * rowBlocks)
        let (tile, block) = rest.quotientAndRemainder(dividingBy: rowBlocks)
        let firstStrip = strips * tile / tiles
        let lastStrip = strips * (tile + 1) / tiles
        let first = firstStrip * strip
        let last = Swift.min(lastStrip * strip, plane)
        let groups = (outputs + 3) / 4
        let firstRow = Swift.min(4 * (groups * block / rowBlocks), outputs)
        let lastRow = Swift.min(4 * (groups * (block + 1) / rowBlocks), outputs)
        guard last > first, lastRow > firstRow else { continue }
        let offset = n * outputs * plane
        ck_pointwise_forward(
          x + n * channels * plane, plane, channels, w, outputs, b, firstRow,
          lastRow - firstRow, first, last - first, end.residual.map { $0 + offset }, end.lower,
          end.upper, scratch, y + offset, plane)
      }
    }
  }

  /// The smallest plane the register-blocked pointwise kernel takes. It computes whole strips
  /// of 32 positions, so a 7×7 plane (one strip and a padded one of 17) wastes a quarter of its
  /// multiply–adds; measured on Lite0's 7×7 layers it ran at 0.75–0.9 of OpenBLAS, and at
  /// 1.0–1.25 of it on the 14×14 to 112×112 ones.
  static let pointwiseKernelMinimumPlane = 128

  /// Small planes: one OpenBLAS GEMM per (image, tile of positions) (the weight read through
  /// its transpose), the workers splitting the output channels at batch 1, then the epilogue on
  /// each block while it is in cache.
  private static func forwardPointwiseBLAS(
    batch: Int, channels: Int, outputs: Int, plane: Int, _ x: UnsafePointer<Float>,
    _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, _ end: EpilogueRun,
    _ y: UnsafeMutablePointer<Float>
  ) {
    let workers = ConvolutionWorkers.available
    let tiling = ConvolutionTiling(
      patchSize: channels + outputs, outputPlane: plane, units: batch, workers: workers)
    if tiling.splitsRows {
      for n in 0..<batch {
        ConvolutionWorkers.run(workers: workers, items: outputs, scratchCount: 0) { _, rows, _ in
          let offset = (n * outputs + rows.lowerBound) * plane
          let beta = fillBias(b, rows: rows, into: y + offset, stride: plane, count: plane)
          Im2Col.multiply(
            transposingA: true, m: rows.count, n: plane, k: channels, a: w + rows.lowerBound,
            lda: outputs, b: x + n * channels * plane, ldb: plane, beta: beta, c: y + offset,
            ldc: plane)
          end(y, offset: offset, rows: 1, count: rows.count * plane, stride: 0)
        }
      }
      return
    }
    ConvolutionWorkers.run(
      workers: workers, items: batch * tiling.tileCount, scratchCount: 0
    ) { _, range, _ in
      for item in range {
        let (n, tile) = item.quotientAndRemainder(dividingBy: tiling.tileCount)
        let positions = tiling.positions(tile, outputPlane: plane)
        let offset = n * outputs * plane + positions.lowerBound
        let beta = fillBias(
          b, rows: 0..<outputs, into: y + offset, stride: plane, count: positions.count)
        Im2Col.multiply(
          transposingA: true, m: outputs, n: positions.count, k: channels, a: w, lda: outputs,
          b: x + n * channels * plane + positions.lowerBound, ldb: plane, beta: beta,
          c: y + offset, ldc: plane)
        end(y, offset: offset, rows: outputs, count: positions.count, stride: plane)
      }
    }
  }

  /// The depthwise kernels of `convolution2D`, each plane (or block of 16 planes) followed by
  /// the epilogue.
  static func forwardDepthwiseFused(
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
}

/// The epilogue as the kernels apply it: `ck_epilogue` on a block at `offset` of the output and
/// the same offset of the residual.
struct EpilogueRun: @unchecked Sendable {
  // `@unchecked`: the residual is read only, and each block is written by one worker.
  let residual: UnsafePointer<Float>?
  let lower: Float
  let upper: Float

  /// No residual and no clamp: the kernels' output as it is, with no pass over it.
  static let identity = EpilogueRun(residual: nil, lower: -.infinity, upper: .infinity)

  func callAsFunction(
    _ output: UnsafeMutablePointer<Float>, offset: Int, rows: Int, count: Int, stride: Int
  ) {
    if residual == nil && lower == -.infinity && upper == .infinity { return }
    ck_epilogue(output + offset, rows, count, stride, residual.map { $0 + offset }, lower, upper)
  }
}

/// The output of a parallel epilogue pass, whose chunks write disjoint planes.
private struct EpilogueTarget: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Float>
  init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}

/// The weight of a pointwise convolution (1×1 kernel, stride 1, no padding, one group) laid out
/// for `Tensor.convolution2D(_:pointwise:bias:epilogue:)`: the `[C, O]` transpose of the
/// `[O, C, 1, 1]` weight, so that the kernel reads the weights of a block of output channels
/// for one input channel as consecutive floats. Make it once per weight (a layer keeps it).
public struct PointwiseWeights: Sendable {
  /// `[C, O]`.
  public let transposed: Tensor

  /// The input channel count `C`.
  public var inputChannels: Int { transposed.shape[0] }
  /// The output channel count `O`.
  public var outputChannels: Int { transposed.shape[1] }

  /// The layout of `weight` (`[O, C, 1, 1]`), or nil when `configuration` does not describe a
  /// pointwise convolution (a stride, a padding, a dilation that matters or several groups).
  ///
  /// - Complexity: O(O · C).
  public init?(_ weight: Tensor, configuration: Convolution2DConfiguration) {
    guard weight.rank == 4, weight.shape[2] == 1, weight.shape[3] == 1,
      configuration.groups == 1, weight.shape[0] > 0, weight.shape[1] > 0
    else { return nil }
    let probe = Convolution2DGeometry(
      inputShape: [1, weight.shape[1], 8, 8], weightShape: weight.shape,
      configuration: configuration)
    guard probe.isPointwise, probe.height == probe.window.outputHeight,
      probe.width == probe.window.outputWidth
    else { return nil }
    let (outputs, channels) = (weight.shape[0], weight.shape[1])
    transposed = weight.reshaped(to: [outputs, channels]).transposed().contiguous()
  }
}
