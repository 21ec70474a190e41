import Tensor

/// The mini-batches of one pass over a dataset, in order or in a seeded random order.
///
/// The order is drawn once, at initialisation, by a Fisher–Yates shuffle whose bounded random
/// integers come from the generator by rejection sampling (see `seededPermutation`), so one seed
/// gives the same batches on every platform and Swift version (the standard library's
/// `shuffle(using:)` does not promise a fixed algorithm).
///
/// ```swift
/// var rng = SeededGenerator(seed: 7)
/// for batch in MiniBatches(train, batchSize: 64, shuffledUsing: &rng) {
///   // batch.images [≤ 64, 1, 28, 28], batch.labels, batch.indices
/// }
/// ```
///
/// - Complexity: O(N) to draw the order; each batch copies its images, O(B · C · H · W).
public struct MiniBatches: Sequence, Sendable {
  /// One batch: gathered images, their labels and their positions in the dataset.
  public struct Batch: Sendable {
    /// `[B, C, H, W]`, contiguous.
    public var images: Tensor
    /// `B` class indices.
    public var labels: [Int]
    /// The dataset positions of the `B` examples.
    public var indices: [Int]
  }

  /// The dataset the batches come from.
  public let dataset: ImageDataset
  /// The largest batch size (the last batch may be smaller).
  public let batchSize: Int
  /// The order in which examples are visited.
  public let order: [Int]
  /// Whether a last batch smaller than `batchSize` is left out.
  public let dropsLastPartialBatch: Bool

  /// The batches of `dataset` in its own order.
  ///
  /// - Precondition: `batchSize ≥ 1`.
  public init(_ dataset: ImageDataset, batchSize: Int, dropsLastPartialBatch: Bool = false) {
    self.init(
      dataset, batchSize: batchSize, order: Array(0..<dataset.count),
      dropsLastPartialBatch: dropsLastPartialBatch)
  }

  /// The batches of `dataset` in a random order drawn from `rng`.
  ///
  /// - Precondition: `batchSize ≥ 1`.
  public init(
    _ dataset: ImageDataset, batchSize: Int, shuffledUsing rng: inout some RandomNumberGenerator,
    dropsLastPartialBatch: Bool = false
  ) {
    self.init(
      dataset, batchSize: batchSize, order: seededPermutation(dataset.count, using: &rng),
      dropsLastPartialBatch: dropsLastPartialBatch)
  }

  private init(_ dataset: ImageDataset, batchSize: Int, order: [Int], dropsLastPartialBatch: Bool) {
    precondition(batchSize >= 1, "A batch size must be at least 1, not \(batchSize).")
    self.dataset = dataset
    self.batchSize = batchSize
    self.order = order
    self.dropsLastPartialBatch = dropsLastPartialBatch
  }

  /// The number of batches.
  public var count: Int {
    dropsLastPartialBatch
      ? order.count / batchSize : (order.count + batchSize - 1) / batchSize
  }

  /// The batch at position `index` in `0 ..< count`.
  public subscript(index: Int) -> Batch {
    precondition(index >= 0 && index < count, "Batch \(index) is outside 0..<\(count).")
    let start = index * batchSize
    let indices = Array(order[start..<Swift.min(start + batchSize, order.count)])
    let (images, labels) = dataset.batch(at: indices)
    return Batch(images: images, labels: labels, indices: indices)
  }

  public func makeIterator() -> Iterator { Iterator(batches: self) }

  /// Yields the batches in order.
  public struct Iterator: IteratorProtocol {
    let batches: MiniBatches
    var position = 0

    public mutating func next() -> Batch? {
      guard position < batches.count else { return nil }
      defer { position += 1 }
      return batches[position]
    }
  }
}

/// A uniformly random permutation of `0 ..< count`: Fisher–Yates, swapping position `i` (from
/// the last down to 1) with a position `j` uniform in `0 ... i`, where `j = r mod (i + 1)` for
/// the first 64-bit draw `r ≥ 2⁶⁴ mod (i + 1)` (rejection removes the modulo bias).
///
/// The sequence of draws, hence the permutation, depends only on the generator's output.
///
/// - Complexity: O(count) time and draws (rejections are rarer than 1 in 2⁴⁰ for counts below
///   2²⁴).
public func seededPermutation(_ count: Int, using rng: inout some RandomNumberGenerator) -> [Int] {
  precondition(count >= 0, "A permutation needs a count ≥ 0, not \(count).")
  var result = Array(0..<count)
  var i = count - 1
  while i > 0 {
    let bound = UInt64(i + 1)
    let threshold = (0 &- bound) % bound  // 2⁶⁴ mod bound
    var draw = rng.next()
    while draw < threshold { draw = rng.next() }
    result.swapAt(i, Int(draw % bound))
    i -= 1
  }
  return result
}
