/// Splits the work of a convolution or pooling kernel over `ComputeThreads.count` workers
/// (internal).
///
/// Work is a list of independent items (an image, a channel, a tile of output positions...). Each
/// worker takes one contiguous range of items and owns a scratch buffer for the whole range, so
/// buffers are allocated once per call and per worker, never per item. When more than one worker
/// runs, OpenBLAS is held to one thread (the workers are the parallelism); a single worker leaves
/// BLAS its `ComputeThreads.count` threads, so one large GEMM still uses every core. The two are
/// never combined, so the cores are not oversubscribed.
enum ConvolutionWorkers {
  /// The number of workers worth starting for `items` items.
  static func count(for items: Int) -> Int {
    max(1, min(ComputeThreads.count, items))
  }

  /// Runs `body(worker, range, scratch)` for `workers` contiguous ranges covering `0..<items`;
  /// `scratch` points to `scratchCount` uninitialised floats, 64-byte aligned, private to the
  /// worker.
  ///
  /// - Complexity: the items' own cost, plus one allocation per worker.
  static func run(
    workers: Int, items: Int, scratchCount: Int,
    _ body: (_ worker: Int, _ range: Range<Int>, _ scratch: UnsafeMutablePointer<Float>) -> Void
  ) {
    guard items > 0 else { return }
    let workers = max(1, min(workers, items))
    if workers == 1 {
      withScratch(scratchCount) { body(0, 0..<items, $0) }
      return
    }
    ComputeThreads.withSingleThreadedBLAS {
      ComputeThreads.parallelFor(workers) { worker in
        let range = (items * worker / workers)..<(items * (worker + 1) / workers)
        withScratch(scratchCount) { body(worker, range, $0) }
      }
    }
  }

  /// Calls `body` with a 64-byte aligned buffer of `count` uninitialised floats.
  static func withScratch<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
    let raw = UnsafeMutableRawPointer.allocate(
      byteCount: max(count, 16) * MemoryLayout<Float>.stride, alignment: 64)
    defer { raw.deallocate() }
    return body(raw.bindMemory(to: Float.self, capacity: max(count, 16)))
  }
}

/// How the output positions of one image are cut into tiles for im2col + GEMM (internal).
///
/// A tile's patch matrix (`patchSize × tileSize` floats) is sized to stay in the core's L2
/// cache, so that GEMM reads it right after im2col wrote it. When there are fewer images × groups
/// than workers, the tile count is rounded up to a multiple of the workers so that they finish
/// together.
struct ConvolutionTiling {
  /// Output positions per tile (the GEMM `N` dimension).
  let tileSize: Int
  /// Tiles per output plane.
  let tileCount: Int

  /// Bytes of patch matrix per tile.
  static let targetBytes = 384 * 1024

  init(patchSize: Int, outputPlane: Int, units: Int, workers: Int) {
    let bytes = patchSize * outputPlane * MemoryLayout<Float>.stride
    var count = max(1, (bytes + Self.targetBytes - 1) / Self.targetBytes)
    count = min(count, max(1, outputPlane / 16))
    if units < 4 * workers {
      // Few units: balance the tiles so that every worker gets the same number.
      while (units * count) % workers != 0 && count < outputPlane { count += 1 }
    }
    let size = (outputPlane + count - 1) / max(count, 1)
    self.tileSize = max(size, 1)
    self.tileCount = (outputPlane + tileSize - 1) / tileSize
  }

  /// The output positions of tile `index`.
  func positions(_ index: Int, outputPlane: Int) -> Range<Int> {
    let start = index * tileSize
    return start..<min(start + tileSize, outputPlane)
  }
}
