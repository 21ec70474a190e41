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

  /// The number of workers available (`ComputeThreads.count`).
  static var available: Int { max(1, ComputeThreads.count) }

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

/// How the GEMMs of one convolution are cut up between workers (internal).
///
/// The output positions of each image are cut into tiles; a tile's patch matrix
/// (`patchSize × tileSize` floats) is sized to stay in the core's L2 cache, so that GEMM reads it
/// right after im2col wrote it, but a tile is never narrower than `minimumTile` positions: every
/// GEMM call packs the whole weight matrix again, which costs about as much as `4 / tileSize` of
/// the multiplication, so narrow tiles of a layer with many channels would spend more time
/// packing than multiplying. When there are fewer (image, group) units than workers, the tile
/// count is rounded up to a multiple of the workers so that they finish together; when even that
/// leaves fewer tiles than workers (small images at batch 1), `splitsRows` is set and the workers
/// split the rows of each GEMM instead (output channels forward, input channels backward).
struct ConvolutionTiling {
  /// Output positions per tile (the GEMM `N` dimension).
  let tileSize: Int
  /// Tiles per output plane.
  let tileCount: Int
  /// Whether the workers should split the rows of each unit's GEMMs rather than take tiles.
  let splitsRows: Bool

  /// Bytes of patch matrix per tile.
  static let targetBytes = 384 * 1024
  /// The narrowest tile worth a GEMM call of its own.
  static let minimumTile = 128

  /// - Parameter wholePlanes: start from one tile per output plane rather than cache-sized
  ///   ones (1×1 kernels: their patch matrix is the input itself, or a subsample of it, so there
  ///   is no im2col expansion to keep in cache, and every extra tile only packs the weights
  ///   again); the tiles are still split so that the workers get equal shares.
  init(patchSize: Int, outputPlane: Int, units: Int, workers: Int, wholePlanes: Bool = false) {
    let cacheTile = Self.targetBytes / max(patchSize * MemoryLayout<Float>.stride, 1)
    let size = wholePlanes ? max(outputPlane, 1) : max(Self.minimumTile, cacheTile)
    var count = max(1, (outputPlane + size - 1) / size)
    if units < 4 * workers {
      // Few units: balance the tiles so that every worker gets the same number, as long as the
      // tiles stay at least half the minimum width.
      while (units * count) % workers != 0 && outputPlane / (count + 1) >= Self.minimumTile / 2 {
        count += 1
      }
    }
    self.tileSize = max((outputPlane + count - 1) / count, 1)
    self.tileCount = (outputPlane + tileSize - 1) / tileSize
    self.splitsRows = units * tileCount < workers
  }

  /// The output positions of tile `index`.
  func positions(_ index: Int, outputPlane: Int) -> Range<Int> {
    let start = index * tileSize
    return start..<min(start + tileSize, outputPlane)
  }
}
