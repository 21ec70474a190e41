import Tensor

/// Square cells of `cellSize × cellSize` pixels (the last row and column of cells cut by the
/// image border): a Captum-style `feature_mask` that ignores the pixels' values. LIME on a grid
/// is occlusion with random multi-cell masks; tests use it for its known layout.
///
/// Cells are numbered row-major: the cell of pixel `(y, x)` is
/// `(y / cellSize) · ⌈W / cellSize⌉ + x / cellSize`.
///
/// ```swift
/// let map = try GridSegmenter(cellSize: 32).segment(image)   // 7 × 7 = 49 cells on 224 × 224
/// ```
public struct GridSegmenter: Segmenter {
  /// The side of a cell in pixels.
  public var cellSize: Int

  /// A grid of square cells of side `cellSize` (at least 1, checked by `segment`).
  public init(cellSize: Int) {
    self.cellSize = cellSize
  }

  /// The grid cells of an image `[3, H, W]` (or `[C, H, W]` for any `C`: the values are not
  /// read beyond a finiteness check).
  ///
  /// - Throws: `SegmentationError.invalidParameter` when `cellSize < 1`, `.wrongShape` unless
  ///   rank 3, `.emptyImage`, `.nonFiniteInput`.
  /// - Complexity: O(C·H·W).
  public func segment(_ image: Tensor) throws -> SuperpixelMap {
    guard cellSize >= 1 else {
      throw SegmentationError.invalidParameter("cellSize must be at least 1, not \(cellSize)")
    }
    guard image.rank == 3 else { throw SegmentationError.wrongShape(image.shape) }
    let (height, width) = (image.shape[1], image.shape[2])
    guard image.shape[0] > 0, height > 0, width > 0 else { throw SegmentationError.emptyImage }
    guard image.contiguous().scalars.allSatisfy({ $0.isFinite }) else {
      throw SegmentationError.nonFiniteInput
    }
    return GridSegmenter.cells(height: height, width: width, cellSize: cellSize)
  }

  /// The grid map of an `height × width` image.
  ///
  /// - Precondition: all three positive.
  public static func cells(height: Int, width: Int, cellSize: Int) -> SuperpixelMap {
    precondition(height > 0 && width > 0 && cellSize > 0, "Sizes must be positive.")
    let columns = (width + cellSize - 1) / cellSize
    var labels = [Int32](repeating: 0, count: height * width)
    for y in 0..<height {
      for x in 0..<width { labels[y * width + x] = Int32((y / cellSize) * columns + x / cellSize) }
    }
    let rows = (height + cellSize - 1) / cellSize
    return SuperpixelMap(
      uncheckedHeight: height, width: width, labels: labels, count: rows * columns)
  }
}
