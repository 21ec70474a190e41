import Tensor

extension EfficientNetLite {
  /// The inference path of EfficientNet-Lite on 16-channel blocks (`ChannelBlocks`, the "NCHWc"
  /// layout of onnxruntime): the stem writes its output in blocks, every MBConv stage and the
  /// head read and write blocks, and the global average pool reads them, so no feature map is
  /// ever transposed and no weight is packed during a forward pass (the pointwise weights are
  /// packed once, with the folding, in `FoldedConvolution.blockedPointwise`).
  ///
  /// One image runs through three buffers of the size of the largest feature map: a block's
  /// input, its expanded map (then its output) and its depthwise output. The buffers are
  /// allocated once per worker and reused for every image it runs.
  ///
  /// The arithmetic per output element does not depend on the batch, the thread count or how a
  /// layer's output is split over threads, so the features are bit-identical across them.
  struct BlockedInference {
    /// One MBConv block on blocks.
    struct Block {
      var expansion: BlockedPointwiseConvolution?
      var expansionClamp: ClosedRange<Float>?
      var depthwise: BlockedDepthwiseConvolution
      var depthwiseClamp: ClosedRange<Float>?
      var projection: BlockedPointwiseConvolution
      var projectionClamp: ClosedRange<Float>?
      /// The transposed expansion and projection (input gradients), nil when a unit cannot
      /// be differentiated on blocks.
      var expansionTranspose: BlockedPointwiseConvolution?
      var projectionTranspose: BlockedPointwiseConvolution?
      var addsInput: Bool
      var inputPositions: Int
      var outputPositions: Int
    }

    var stem: BlockedDenseConvolution
    var stemClamp: ClosedRange<Float>?
    var blocks: [Block]
    var head: BlockedPointwiseConvolution
    var headClamp: ClosedRange<Float>?
    var headTranspose: BlockedPointwiseConvolution?
    var headPositions: Int
    /// The floats of the largest blocked feature map.
    var bufferCount: Int

    /// The plan for `height × width` images, or nil when a pointwise stage has no blocked form
    /// (a network whose 1×1 layers are strided or padded).
    init?(_ network: EfficientNetLite, height: Int, width: Int) {
      let stemFolded = network.stem.folded
      stem = BlockedDenseConvolution(
        weight: stemFolded.weight, bias: stemFolded.bias,
        configuration: stemFolded.configuration, inputHeight: height, inputWidth: width)
      stemClamp = Self.clamp(network.stem)
      var (h, w) = (stem.outputHeight, stem.outputWidth)
      var largest = ChannelBlocks.elementCount(
        channels: stem.outputChannels, positions: h * w)
      blocks = []
      for block in network.blocks {
        var expansion: BlockedPointwiseConvolution?
        if let stage = block.expansion {
          guard let blocked = stage.blockedPointwise else { return nil }
          expansion = blocked
          largest = max(
            largest, ChannelBlocks.elementCount(channels: blocked.outputChannels, positions: h * w))
        }
        let folded = block.depthwise.folded
        let depthwise = BlockedDepthwiseConvolution(
          weight: folded.weight, bias: folded.bias, configuration: folded.configuration,
          inputHeight: h, inputWidth: w)
        guard let projection = block.projection.blockedPointwise else { return nil }
        let (outputHeight, outputWidth) = (depthwise.outputHeight, depthwise.outputWidth)
        largest = max(
          largest,
          ChannelBlocks.elementCount(
            channels: depthwise.channels, positions: outputHeight * outputWidth),
          ChannelBlocks.elementCount(
            channels: projection.outputChannels, positions: outputHeight * outputWidth))
        blocks.append(
          Block(
            expansion: expansion, expansionClamp: block.expansion.flatMap(Self.clamp),
            depthwise: depthwise, depthwiseClamp: Self.clamp(block.depthwise),
            projection: projection, projectionClamp: Self.clamp(block.projection),
            expansionTranspose: block.expansion?.blockedPointwiseTranspose,
            projectionTranspose: block.projection.blockedPointwiseTranspose,
            addsInput: block.hasIdentitySkip, inputPositions: h * w,
            outputPositions: outputHeight * outputWidth))
        (h, w) = (outputHeight, outputWidth)
      }
      guard let head = network.head.blockedPointwise else { return nil }
      self.head = head
      headClamp = Self.clamp(network.head)
      headTranspose = network.head.blockedPointwiseTranspose
      headPositions = h * w
      bufferCount = max(
        largest, ChannelBlocks.elementCount(channels: head.outputChannels, positions: h * w))
    }

    private static func clamp(_ unit: FoldedConvolution) -> ClosedRange<Float>? {
      unit.activation == .relu6 ? 0...6 : nil
    }

    /// The pooled features `[N, F]` of normalised images `[N, 3, H, W]`: the images spread over
    /// the cores (each image on one core), or, for one image, each layer's output blocks spread
    /// over the cores.
    func pooledFeatures(_ input: Tensor) -> Tensor {
      let (batch, imageCount) = (input.shape[0], input.count / max(input.shape[0], 1))
      let featureCount = head.outputChannels
      let threads = ComputeThreads.count
      return input.withUnsafeBufferPointer { images in
        Tensor(shape: [batch, featureCount]) { features in
          guard let images = images.baseAddress, let features = features.baseAddress else {
            return
          }
          let (source, target) = (SharedPointer(images), SharedMutablePointer(features))
          if batch == 1 || threads == 1 {
            withBuffers { buffers in
              for n in 0..<batch {
                run(
                  source.pointer + n * imageCount, buffers, threads: threads,
                  features: target.pointer + n * featureCount)
              }
            }
            return
          }
          let workers = min(threads, batch)
          ComputeThreads.parallelFor(workers) { worker in
            withBuffers { buffers in
              for n in (batch * worker / workers)..<(batch * (worker + 1) / workers) {
                run(
                  source.pointer + n * imageCount, buffers, threads: 1,
                  features: target.pointer + n * featureCount)
              }
            }
          }
        }
      }
    }

    private func withBuffers(_ body: ([UnsafeMutablePointer<Float>]) -> Void) {
      let storage = UnsafeMutablePointer<Float>.allocate(capacity: 3 * bufferCount)
      defer { storage.deallocate() }
      body((0..<3).map { storage + $0 * bufferCount })
    }

    /// Where one image's feature maps go: the stem's output, each block's expanded and
    /// depthwise outputs (`nil`: into the block's output buffer, which the expansion's output
    /// may share because the projection reads only the depthwise output), the head's output,
    /// and the two buffers that block inputs and outputs alternate between.
    struct Destinations {
      var stem: UnsafeMutablePointer<Float>
      var expanded: (Int) -> UnsafeMutablePointer<Float>?
      var filtered: (Int) -> UnsafeMutablePointer<Float>
      var head: UnsafeMutablePointer<Float>
      var alternating: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)
    }

    /// One image through the network into `features`, each layer split over `threads` threads,
    /// with the feature maps where `buffers` (three of `bufferCount` floats) say.
    private func run(
      _ image: UnsafePointer<Float>, _ buffers: [UnsafeMutablePointer<Float>], threads: Int,
      features: UnsafeMutablePointer<Float>
    ) {
      let destinations = Destinations(
        stem: buffers[0], expanded: { _ in nil }, filtered: { _ in buffers[2] },
        head: buffers[2], alternating: (buffers[0], buffers[1]))
      run(image, into: destinations, threads: threads, features: features)
    }

    /// One image through the network, its feature maps written where `destinations` says and
    /// its pooled features into `features`.
    func run(
      _ image: UnsafePointer<Float>, into destinations: Destinations, threads: Int,
      features: UnsafeMutablePointer<Float>
    ) {
      let stemOutput = SharedMutablePointer(destinations.stem)
      split(stem.outputHeight, threads) { rows in
        stem.apply(image, clampingTo: stemClamp, output: stemOutput.pointer, outputRows: rows)
      }
      var input = destinations.stem
      for (index, block) in blocks.enumerated() {
        let output =
          input == destinations.alternating.1
          ? destinations.alternating.0 : destinations.alternating.1
        var hidden = UnsafePointer(input)
        if let expansion = block.expansion {
          let expanded = destinations.expanded(index) ?? output
          let (source, target) = (SharedPointer(input), SharedMutablePointer(expanded))
          split(expansion.outputBlockCount, threads, alignment: 4) { range in
            expansion.apply(
              source.pointer, positions: block.inputPositions, residual: nil,
              clampingTo: block.expansionClamp, output: target.pointer, outputBlocks: range)
          }
          hidden = UnsafePointer(expanded)
        }
        let filtered = destinations.filtered(index)
        let (hiddenSource, filteredTarget) = (SharedPointer(hidden), SharedMutablePointer(filtered))
        split(block.depthwise.blockCount, threads) { range in
          block.depthwise.apply(
            hiddenSource.pointer, clampingTo: block.depthwiseClamp,
            output: filteredTarget.pointer, blocks: range)
        }
        let (filteredSource, residual, target) = (
          SharedPointer(filtered), SharedPointer(input), SharedMutablePointer(output)
        )
        split(block.projection.outputBlockCount, threads, alignment: 4) { range in
          block.projection.apply(
            filteredSource.pointer, positions: block.outputPositions,
            residual: block.addsInput ? residual.pointer : nil,
            clampingTo: block.projectionClamp, output: target.pointer, outputBlocks: range)
        }
        input = output
      }
      let (source, target) = (SharedPointer(input), SharedMutablePointer(destinations.head))
      split(head.outputBlockCount, threads, alignment: 4) { range in
        head.apply(
          source.pointer, positions: headPositions, residual: nil, clampingTo: headClamp,
          output: target.pointer, outputBlocks: range)
      }
      ChannelBlocks.averagePool(
        destinations.head, channels: head.outputChannels, positions: headPositions,
        into: features)
    }

    /// `body` on `threads` contiguous parts of `0..<count` whose bounds are multiples of
    /// `alignment` (the pointwise kernel's group of 4 output blocks: a part that starts inside
    /// a group runs narrower, slower register tiles), in parallel when `threads > 1`.
    func split(
      _ count: Int, _ threads: Int, alignment: Int = 1, _ body: (Range<Int>) -> Void
    ) {
      let groups = (count + alignment - 1) / alignment
      let parts = min(threads, groups)
      if parts <= 1 {
        body(0..<count)
        return
      }
      ComputeThreads.parallelFor(parts) { part in
        let start = min(count, alignment * (groups * part / parts))
        let end = min(count, alignment * (groups * (part + 1) / parts))
        body(start..<end)
      }
    }
  }
}

/// A read-only pointer shared by the iterations of one `parallelFor`.
struct SharedPointer: @unchecked Sendable {
  let pointer: UnsafePointer<Float>
  init(_ pointer: UnsafePointer<Float>) { self.pointer = pointer }
  init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = UnsafePointer(pointer) }
}

/// A pointer the iterations of one `parallelFor` write at disjoint places.
struct SharedMutablePointer: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Float>
  init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}
