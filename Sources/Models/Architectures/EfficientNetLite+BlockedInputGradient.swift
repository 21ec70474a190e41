import Tensor

extension EfficientNetLite.BlockedInference {
  /// Where each recorded feature map of one image sits in its tape (offsets in floats).
  struct TapeLayout {
    var stem = 0
    var expanded: [Int?] = []
    var filtered: [Int] = []
    var head = 0
    /// The floats of one image's tape.
    var count = 0
  }

  /// Whether every unit has what the blocked input gradient needs: transposed pointwise
  /// weights, and no activation after a projection (its output is not recorded).
  var differentiable: Bool {
    headTranspose != nil
      && blocks.allSatisfy {
        $0.projectionTranspose != nil && $0.projectionClamp == nil
          && ($0.expansion == nil || $0.expansionTranspose != nil)
      }
  }

  var tapeLayout: TapeLayout {
    var layout = TapeLayout()
    func take(_ count: Int) -> Int {
      defer { layout.count += count }
      return layout.count
    }
    layout.stem = take(
      ChannelBlocks.elementCount(
        channels: stem.outputChannels, positions: stem.outputHeight * stem.outputWidth))
    for block in blocks {
      layout.expanded.append(
        block.expansion.map {
          take(ChannelBlocks.elementCount(channels: $0.outputChannels, positions: block.inputPositions))
        })
      layout.filtered.append(
        take(
          ChannelBlocks.elementCount(
            channels: block.depthwise.channels, positions: block.outputPositions)))
    }
    layout.head = take(
      ChannelBlocks.elementCount(channels: head.outputChannels, positions: headPositions))
    return layout
  }

  /// The logits of normalised images `[N, 3, H, W]` and a pullback from `∂L/∂logits` `[N, K]`
  /// to `∂L/∂images`, both on 16-channel blocks: the forward pass records the outputs of the
  /// stem, of every expansion and depthwise stage and of the head (the ReLU6 masks of the
  /// backward pass); the backward pass runs each pointwise stage as the blocked pointwise
  /// convolution by its transposed weight, each depthwise stage by
  /// `BlockedDepthwiseConvolution.applyInputGradient`, and the stem by
  /// `BlockedDenseConvolution.applyInputGradient` (into the planar image gradient). Images run
  /// one per core (a single image: each stage split over the cores), so the results are
  /// bit-identical across thread counts.
  ///
  /// The pullback may be called any number of times; the recording (about 24 MB per 224×224
  /// image for Lite0) lives as long as the pullback.
  func logitsWithInputPullback(_ input: Tensor, classifier: Linear) -> (
    logits: Tensor, pullback: @Sendable (Tensor) -> Tensor
  ) {
    let batch = input.shape[0]
    let imageCount = input.count / max(batch, 1)
    let layout = tapeLayout
    let tape = Recording(images: batch, stride: layout.count)
    let featureCount = head.outputChannels
    let threads = ComputeThreads.count
    let features = input.withUnsafeBufferPointer { images in
      Tensor(shape: [batch, featureCount]) { features in
        guard let images = images.baseAddress, let features = features.baseAddress else { return }
        let (source, target) = (SharedPointer(images), SharedMutablePointer(features))
        let workers = batch == 1 ? 1 : min(threads, batch)
        let perImageThreads = batch == 1 ? threads : 1
        ComputeThreads.parallelFor(workers) { worker in
          let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * bufferCount)
          defer { scratch.deallocate() }
          for n in (batch * worker / workers)..<(batch * (worker + 1) / workers) {
            let base = tape.storage + n * layout.count
            let destinations = Destinations(
              stem: base + layout.stem, expanded: { layout.expanded[$0].map { base + $0 } },
              filtered: { base + layout.filtered[$0] }, head: base + layout.head,
              alternating: (scratch, scratch + bufferCount))
            run(
              source.pointer + n * imageCount, into: destinations, threads: perImageThreads,
              features: target.pointer + n * featureCount)
          }
        }
      }
    }
    let logits = classifier(features)
    let plan = self
    let (weight, imageShape) = (classifier.weight, Array(input.shape.dropFirst()))
    return (
      logits,
      { seed in
        precondition(
          seed.shape == logits.shape,
          "The logit gradient must be \(logits.shape), not \(seed.shape).")
        let featureGradients = matmul(seed, weight).contiguous()
        return plan.inputGradients(
          featureGradients, tape: tape, layout: layout, imageShape: imageShape)
      }
    )
  }

  /// `∂L/∂images` `[N] + imageShape` from `∂L/∂features` `[N, F]` through the recorded passes.
  private func inputGradients(
    _ featureGradients: Tensor, tape: Recording, layout: TapeLayout, imageShape: [Int]
  ) -> Tensor {
    let batch = featureGradients.shape[0]
    let imageCount = imageShape.reduce(1, *)
    let threads = ComputeThreads.count
    return featureGradients.withUnsafeBufferPointer { seeds in
      Tensor(shape: [batch] + imageShape) { result in
        guard let seeds = seeds.baseAddress, let result = result.baseAddress else { return }
        let (source, target) = (SharedPointer(seeds), SharedMutablePointer(result))
        let workers = batch == 1 ? 1 : min(threads, batch)
        let perImageThreads = batch == 1 ? threads : 1
        ComputeThreads.parallelFor(workers) { worker in
          let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 3 * bufferCount)
          defer { scratch.deallocate() }
          let buffers = (0..<3).map { scratch + $0 * bufferCount }
          for n in (batch * worker / workers)..<(batch * (worker + 1) / workers) {
            backward(
              source.pointer + n * head.outputChannels, tape: tape.storage + n * layout.count,
              layout: layout, buffers: buffers, threads: perImageThreads,
              into: target.pointer + n * imageCount)
          }
        }
      }
    }
  }

  /// One image's backward pass from its feature gradient to its input gradient `[3, H, W]`.
  private func backward(
    _ featureGradient: UnsafePointer<Float>, tape: UnsafeMutablePointer<Float>,
    layout: TapeLayout, buffers: [UnsafeMutablePointer<Float>], threads: Int,
    into inputGradient: UnsafeMutablePointer<Float>
  ) {
    guard let headTranspose else { preconditionFailure("The plan is not differentiable.") }
    // The pool spreads each feature's gradient evenly over the head's positions.
    Self.spreadPooledGradient(
      featureGradient, channels: head.outputChannels, positions: headPositions,
      masking: headClamp == nil ? nil : tape + layout.head, into: buffers[0])
    var current = buffers[0]
    var next = buffers[1]
    let lastChannels = blocks.last?.projection.outputChannels ?? stem.outputChannels
    precondition(headTranspose.outputChannels == lastChannels)
    multiply(headTranspose, current, positions: headPositions, residual: nil, into: next, threads)
    swap(&current, &next)
    for (index, block) in blocks.enumerated().reversed() {
      guard let projectionTranspose = block.projectionTranspose else { preconditionFailure() }
      let others = buffers.filter { $0 != current }
      let (filteredGradient, hiddenGradient) = (others[0], others[1])
      multiply(
        projectionTranspose, current, positions: block.outputPositions, residual: nil,
        into: filteredGradient, threads)
      if block.depthwiseClamp != nil {
        Self.maskReLU6(
          filteredGradient, by: tape + layout.filtered[index],
          count: ChannelBlocks.elementCount(
            channels: block.depthwise.channels, positions: block.outputPositions))
      }
      let (source, target) = (SharedPointer(filteredGradient), SharedMutablePointer(hiddenGradient))
      split(block.depthwise.blockCount, threads) { range in
        block.depthwise.applyInputGradient(
          source.pointer, inputGradient: target.pointer, blocks: range)
      }
      if let expansion = block.expansion, let expansionTranspose = block.expansionTranspose,
        let offset = layout.expanded[index]
      {
        if block.expansionClamp != nil {
          Self.maskReLU6(
            hiddenGradient, by: tape + offset,
            count: ChannelBlocks.elementCount(
              channels: expansion.outputChannels, positions: block.inputPositions))
        }
        // The skip adds the block's output gradient to its input gradient.
        multiply(
          expansionTranspose, hiddenGradient, positions: block.inputPositions,
          residual: block.addsInput ? current : nil, into: filteredGradient, threads)
        current = filteredGradient
      } else {
        if block.addsInput {
          let count = ChannelBlocks.elementCount(
            channels: block.depthwise.channels, positions: block.inputPositions)
          for i in 0..<count { hiddenGradient[i] += current[i] }
        }
        current = hiddenGradient
      }
    }
    if stemClamp != nil {
      Self.maskReLU6(
        current, by: tape + layout.stem,
        count: ChannelBlocks.elementCount(
          channels: stem.outputChannels, positions: stem.outputHeight * stem.outputWidth))
    }
    stem.applyInputGradient(current, inputGradient: inputGradient)
  }

  /// `convolution` (a transposed pointwise stage) on one image's blocked map, its output
  /// blocks split over `threads`.
  private func multiply(
    _ convolution: BlockedPointwiseConvolution, _ input: UnsafeMutablePointer<Float>,
    positions: Int, residual: UnsafeMutablePointer<Float>?, into output: UnsafeMutablePointer<Float>,
    _ threads: Int
  ) {
    let (source, added, target) = (
      SharedPointer(input), residual.map(SharedPointer.init), SharedMutablePointer(output)
    )
    split(convolution.outputBlockCount, threads, alignment: 4) { range in
      convolution.apply(
        source.pointer, positions: positions, residual: added?.pointer, clampingTo: nil,
        output: target.pointer, outputBlocks: range)
    }
  }

  /// `gradient[i] ← 0` where the ReLU6 output `output[i]` is not strictly inside (0, 6) (the
  /// activation's derivative, zero at both kinks as in PyTorch); `count` is a multiple of 16.
  static func maskReLU6(
    _ gradient: UnsafeMutablePointer<Float>, by output: UnsafePointer<Float>, count: Int
  ) {
    let (zero, six) = (SIMD16<Float>(repeating: 0), SIMD16<Float>(repeating: 6))
    let (g, y) = (UnsafeMutableRawPointer(gradient), UnsafeRawPointer(output))
    let bytes = ChannelBlocks.width * MemoryLayout<Float>.stride
    for v in 0..<(count / ChannelBlocks.width) {
      let value = y.loadUnaligned(fromByteOffset: v * bytes, as: SIMD16<Float>.self)
      var vector = g.loadUnaligned(fromByteOffset: v * bytes, as: SIMD16<Float>.self)
      vector.replace(with: zero, where: .!((value .> zero) .& (value .< six)))
      g.storeBytes(of: vector, toByteOffset: v * bytes, as: SIMD16<Float>.self)
    }
  }

  /// The blocked gradient of a global average pool's input: `∂L/∂f[c] / positions` at every
  /// position, masked by the ReLU6 output `masking` when given; padding lanes 0.
  static func spreadPooledGradient(
    _ featureGradient: UnsafePointer<Float>, channels: Int, positions: Int,
    masking output: UnsafeMutablePointer<Float>?, into gradient: UnsafeMutablePointer<Float>
  ) {
    let width = ChannelBlocks.width
    let scale = 1 / Float(positions)
    for b in 0..<ChannelBlocks.blockCount(channels) {
      var lanes = SIMD16<Float>(repeating: 0)
      for lane in 0..<width where b * width + lane < channels {
        lanes[lane] = featureGradient[b * width + lane] * scale
      }
      let slab = UnsafeMutableRawPointer(gradient + b * positions * width)
      for p in 0..<positions {
        slab.storeBytes(
          of: lanes, toByteOffset: p * width * MemoryLayout<Float>.stride, as: SIMD16<Float>.self)
      }
    }
    if let output {
      maskReLU6(
        gradient, by: output,
        count: ChannelBlocks.elementCount(channels: channels, positions: positions))
    }
  }
}

/// The recorded feature maps of a batch, `images × stride` floats, freed with the last
/// pullback that holds them. Written once by the forward pass, then only read.
final class Recording: @unchecked Sendable {
  let storage: UnsafeMutablePointer<Float>

  init(images: Int, stride: Int) {
    storage = UnsafeMutablePointer<Float>.allocate(capacity: max(images * stride, 1))
  }

  deinit { storage.deallocate() }
}
