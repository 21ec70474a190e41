import Foundation
import Tensor

/// SLIC superpixels (Achanta et al., "SLIC Superpixels Compared to State-of-the-Art Superpixel
/// Methods", TPAMI 2012) with the semantics of scikit-image's `skimage.segmentation.slic` (0.24)
/// on a 2-D RGB image: k-means in `(L, a, b, y, x)` where each centre only looks at the pixels of
/// a window of `±2S` around it, followed by the merge of small disconnected pieces.
///
/// The steps, as scikit-image takes them:
/// 1. The image is rescaled linearly to [0, 1] (over all channels), converted to CIE Lab (D65)
///    and optionally smoothed by a Gaussian of `sigma` pixels.
/// 2. Centres start on a regular grid (`skimage.util.regular_grid` of about `segmentCount`
///    points), with colour 0; `S` is the larger grid step.
/// 3. For `iterations` rounds: each pixel joins the centre `k` (in order, first strictly smaller
///    wins) minimising `‖colour − c_k‖² / compactness² + ((y − y_k)² + (x − x_k)²) / S²` among
///    the centres whose window `|y − y_k| ≤ 2·S_y`, `|x − x_k| ≤ 2·S_x` contains it; centres move
///    to the means of their pixels. It stops early when no pixel changes.
/// 4. With `enforceConnectivity`, each 4-connected piece smaller than
///    `minSizeFactor · H·W / centres` joins the last labelled neighbour met by its breadth-first
///    search; a search stops growing at `maxSizeFactor · H·W / centres` pixels.
///
/// ```swift
/// let map = try SLIC(segmentCount: 100, compactness: 10).segment(image)
/// ```
///
/// Superpixels are numbered in row-major order of first appearance.
public struct SLIC: Segmenter {
  /// The approximate number of superpixels (`n_segments`).
  public var segmentCount: Int
  /// Weight of position against colour (`compactness`): larger gives squarer superpixels.
  public var compactness: Double
  /// The maximum number of k-means rounds (`max_num_iter`).
  public var iterations: Int
  /// Standard deviation of the Gaussian smoothing applied in Lab (0: none).
  public var sigma: Double
  /// Whether small disconnected pieces are merged into a neighbour.
  public var enforceConnectivity: Bool
  /// Pieces smaller than this fraction of the mean superpixel size are merged.
  public var minSizeFactor: Double
  /// The breadth-first search stops at this multiple of the mean superpixel size.
  public var maxSizeFactor: Double
  /// Whether the RGB image is converted to CIE Lab (D65) first.
  public var convertToLab: Bool

  /// A SLIC segmenter with scikit-image's defaults.
  ///
  /// - Parameters:
  ///   - segmentCount: the approximate number of superpixels, at least 1.
  ///   - compactness: the position weight, positive.
  ///   - iterations: the maximum number of k-means rounds, at least 1.
  ///   - sigma: the smoothing width in pixels, at least 0.
  ///   - enforceConnectivity: merge small disconnected pieces.
  ///   - minSizeFactor: the merge threshold as a fraction of the mean size, at least 0.
  ///   - maxSizeFactor: the search bound as a multiple of the mean size, positive.
  ///   - convertToLab: convert RGB to Lab first.
  public init(
    segmentCount: Int = 100, compactness: Double = 10, iterations: Int = 10, sigma: Double = 0,
    enforceConnectivity: Bool = true, minSizeFactor: Double = 0.5, maxSizeFactor: Double = 3,
    convertToLab: Bool = true
  ) {
    self.segmentCount = segmentCount
    self.compactness = compactness
    self.iterations = iterations
    self.sigma = sigma
    self.enforceConnectivity = enforceConnectivity
    self.minSizeFactor = minSizeFactor
    self.maxSizeFactor = maxSizeFactor
    self.convertToLab = convertToLab
  }

  /// The SLIC superpixels of `image` `[3, H, W]`.
  ///
  /// The assignment step runs over rows in parallel (`ComputeThreads`); the result does not
  /// depend on the thread count.
  ///
  /// - Throws: `SegmentationError.wrongShape` unless `[3, H, W]`, `.emptyImage`,
  ///   `.nonFiniteInput`, `.invalidParameter` for `segmentCount < 1`, `compactness ≤ 0`,
  ///   `iterations < 1`, a negative `sigma` or `minSizeFactor`, `maxSizeFactor ≤ 0`, or a
  ///   non-finite value.
  /// - Complexity: O(iterations · H·W · 25) time (each pixel is in about 25 windows), O(H·W)
  ///   memory.
  public func segment(_ image: Tensor) throws -> SuperpixelMap {
    try requireParameter("segmentCount", Double(segmentCount), "at least 1") { $0 >= 1 }
    try requireParameter("compactness", compactness, "positive") { $0 > 0 }
    try requireParameter("iterations", Double(iterations), "at least 1") { $0 >= 1 }
    try requireParameter("sigma", sigma, "at least 0") { $0 >= 0 }
    try requireParameter("minSizeFactor", minSizeFactor, "at least 0") { $0 >= 0 }
    try requireParameter("maxSizeFactor", maxSizeFactor, "positive") { $0 > 0 }
    var input = try SegmentationInput(image)
    input.rescaleToUnitRange()
    if convertToLab { input.convertToLab() }
    input.smooth(sigma: sigma)
    input.scale(by: 1 / compactness)
    let (height, width) = (input.height, input.width)
    let grid = RegularGrid(height: height, width: width, points: segmentCount)
    var labels = kMeans(input, grid: grid)
    if enforceConnectivity {
      let segmentSize = Double(height * width) / Double(grid.centres.count)
      labels = SLIC.mergingSmallPieces(
        labels, height: height, width: width,
        minSize: Int(min(minSizeFactor * segmentSize, Double(height * width))),
        maxSize: max(Int(min(maxSizeFactor * segmentSize, Double(height * width))), 1))
    }
    return SuperpixelMap(height: height, width: width, compactLabels: labels)
  }

  /// The k-means rounds; the label of each pixel in `0..<centres`.
  private func kMeans(_ input: SegmentationInput, grid: RegularGrid) -> [Int32] {
    let (height, width) = (input.height, input.width)
    let count = height * width
    let centreCount = grid.centres.count
    // Centres as (y, x, c0, c1, c2); colours start at 0 as in scikit-image.
    var centres = [Double](repeating: 0, count: centreCount * 5)
    for (k, centre) in grid.centres.enumerated() {
      centres[k * 5] = Double(centre.y)
      centres[k * 5 + 1] = Double(centre.x)
    }
    let spatialWeight = 1 / (grid.step * grid.step)
    let (stepY, stepX) = (grid.stepY, grid.stepX)
    var labels = [Int32](repeating: 0, count: count)
    var distance = [Double](repeating: 0, count: count)
    let planes = (0..<3).map { channel in (0..<count).map { input.values[$0 * 3 + channel] } }
    for _ in 0..<iterations {
      // Each centre's window rows and columns; NaN centres (emptied) have none.
      var windows = [(rowMin: Int, rowMax: Int, columnMin: Int, columnMax: Int)]()
      windows.reserveCapacity(centreCount)
      var centresOfRow = [[Int32]](repeating: [], count: height)
      for k in 0..<centreCount {
        let (cy, cx) = (centres[k * 5], centres[k * 5 + 1])
        guard cy.isFinite, cx.isFinite else {
          windows.append((0, 0, 0, 0))
          continue
        }
        let window = (
          rowMin: Int(max(cy - Double(2 * stepY), 0)),
          rowMax: Int(min(cy + Double(2 * stepY + 1), Double(height))),
          columnMin: Int(max(cx - Double(2 * stepX), 0)),
          columnMax: Int(min(cx + Double(2 * stepX + 1), Double(width)))
        )
        windows.append(window)
        if window.rowMin < window.rowMax {
          for row in window.rowMin..<window.rowMax { centresOfRow[row].append(Int32(k)) }
        }
      }
      var changedRows = [Bool](repeating: false, count: height)
      planes[0].withUnsafeBufferPointer { f0 in
        planes[1].withUnsafeBufferPointer { f1 in
          planes[2].withUnsafeBufferPointer { f2 in
            centres.withUnsafeBufferPointer { c in
              labels.withUnsafeMutableBufferPointer { labelBuffer in
                distance.withUnsafeMutableBufferPointer { distanceBuffer in
                  changedRows.withUnsafeMutableBufferPointer { changedBuffer in
                    let label = UncheckedPointer(labelBuffer.baseAddress!)
                    let best = UncheckedPointer(distanceBuffer.baseAddress!)
                    let changed = UncheckedPointer(changedBuffer.baseAddress!)
                    ComputeThreads.parallelFor(height) { row in
                      var rowChanged = false
                      for column in 0..<width {
                        best.pointer[row * width + column] = .greatestFiniteMagnitude
                      }
                      for k32 in centresOfRow[row] {
                        let k = Int(k32)
                        let window = windows[k]
                        let cy = c[k * 5]
                        let cx = c[k * 5 + 1]
                        let (c0, c1, c2) = (c[k * 5 + 2], c[k * 5 + 3], c[k * 5 + 4])
                        var dy = cy - Double(row)
                        dy *= dy
                        // (0 + dy² + dx²) · weight + colour², in scikit-image's order of operations
                        // (its dz² is 0 on a 2-D image).
                        let centreX = SIMD4<Double>(repeating: cx)
                        var column = window.columnMin
                        while column + 4 <= window.columnMax {
                          let index = row * width + column
                          var dx = centreX - (SIMD4<Double>(0, 1, 2, 3) + Double(column))
                          dx *= dx
                          let t0 = load4(f0.baseAddress! + index) - c0
                          let t1 = load4(f1.baseAddress! + index) - c1
                          let t2 = load4(f2.baseAddress! + index) - c2
                          let total = (0 + dy + dx) * spatialWeight + (t0 * t0 + t1 * t1 + t2 * t2)
                          let current = load4(best.pointer + index)
                          let closer = current .> total
                          if any(closer) {
                            UnsafeMutableRawPointer(best.pointer + index).storeBytes(
                              of: current.replacing(with: total, where: closer),
                              as: SIMD4<Double>.self)
                            for lane in 0..<4 where closer[lane] {
                              label.pointer[index + lane] = k32
                            }
                            rowChanged = true
                          }
                          column += 4
                        }
                        while column < window.columnMax {
                          var dx = cx - Double(column)
                          dx *= dx
                          let index = row * width + column
                          let t0 = f0[index] - c0
                          let t1 = f1[index] - c1
                          let t2 = f2[index] - c2
                          let total = (0 + dy + dx) * spatialWeight + (t0 * t0 + t1 * t1 + t2 * t2)
                          if best.pointer[index] > total {
                            label.pointer[index] = k32
                            best.pointer[index] = total
                            rowChanged = true
                          }
                          column += 1
                        }
                      }
                      changed.pointer[row] = rowChanged
                    }
                  }
                }
              }
            }
          }
        }
      }
      guard changedRows.contains(true) else { break }
      // Means of the assigned pixels, summed in raster order.
      var sums = [Double](repeating: 0, count: centreCount * 5)
      var members = [Int](repeating: 0, count: centreCount)
      for row in 0..<height {
        for column in 0..<width {
          let index = row * width + column
          let k = Int(labels[index])
          members[k] += 1
          sums[k * 5] += Double(row)
          sums[k * 5 + 1] += Double(column)
          sums[k * 5 + 2] += input.values[index * 3]
          sums[k * 5 + 3] += input.values[index * 3 + 1]
          sums[k * 5 + 4] += input.values[index * 3 + 2]
        }
      }
      for k in 0..<centreCount {
        // An empty centre becomes NaN (0 / 0) and takes no pixel again, as in scikit-image.
        for feature in 0..<5 {
          centres[k * 5 + feature] = sums[k * 5 + feature] / Double(members[k])
        }
      }
    }
    return labels
  }

  /// scikit-image's `_enforce_label_connectivity_cython` on a 2-D map: 4-connected pieces in
  /// raster order of their first pixel; a piece (its search capped at `maxSize` pixels) smaller
  /// than `minSize` takes the label of the last already-labelled neighbour its search met.
  /// The result holds labels in `0..<pieces`.
  ///
  /// - Complexity: O(H·W).
  static func mergingSmallPieces(
    _ labels: [Int32], height: Int, width: Int, minSize: Int, maxSize: Int
  ) -> [Int32] {
    let count = height * width
    var connected = [Int32](repeating: -1, count: count)
    var queue = [Int](repeating: 0, count: maxSize)
    var nextLabel: Int32 = 0
    let neighbourOffsets = [(0, 1), (0, -1), (1, 0), (-1, 0)]
    for start in 0..<count where connected[start] < 0 {
      var adjacent = nextLabel
      let label = labels[start]
      connected[start] = nextLabel
      var size = 1
      var visited = 0
      queue[0] = start
      search: while visited < size, size < maxSize {
        let index = queue[visited]
        let (row, column) = (index / width, index % width)
        // Neighbours in scikit-image's order: x + 1, x − 1, y + 1, y − 1.
        for (dy, dx) in neighbourOffsets {
          let (y, x) = (row + dy, column + dx)
          guard y >= 0, y < height, x >= 0, x < width else { continue }
          let neighbour = y * width + x
          if labels[neighbour] == label, connected[neighbour] < 0 {
            connected[neighbour] = nextLabel
            queue[size] = neighbour
            size += 1
            if size >= maxSize {
              visited += 1
              break search
            }
          } else if connected[neighbour] >= 0, connected[neighbour] != nextLabel {
            adjacent = connected[neighbour]
          }
        }
        visited += 1
      }
      if size < minSize {
        for i in 0..<size { connected[queue[i]] = adjacent }
      } else {
        nextLabel += 1
      }
    }
    return connected
  }
}

/// scikit-image's `regular_grid((1, H, W), points)` for a 2-D image: about `points` centres
/// spaced evenly, the steps chosen on the sorted axis lengths.
struct RegularGrid {
  /// The centres in row-major order.
  let centres: [(y: Int, x: Int)]
  /// The row and column steps (1 when every pixel is a centre).
  let stepY: Int
  let stepX: Int
  /// The largest of the depth, row and column steps (`S`).
  let step: Double

  init(height: Int, width: Int, points: Int) {
    let shape = [1, height, width]
    let spaceSize = Double(height * width)
    var starts = [0, 0, 0]
    var steps = [1, 1, 1]
    if spaceSize > Double(points) {
      // A stable argsort, as NumPy's for three elements.
      let order = [0, 1, 2].sorted { shape[$0] < shape[$1] }
      let sorted = order.map { Double(shape[$0]) }
      var stepSizes = [Double](repeating: pow(spaceSize / Double(points), 1.0 / 3), count: 3)
      if zip(sorted, stepSizes).contains(where: { $0 < $1 }) {
        for dim in 0..<3 {
          stepSizes[dim] = sorted[dim]
          let remaining = sorted[(dim + 1)...].reduce(1, *)
          for later in (dim + 1)..<3 {
            stepSizes[later] = pow(remaining / Double(points), 1.0 / Double(3 - dim - 1))
          }
          if zip(sorted, stepSizes).allSatisfy({ $0 >= $1 }) { break }
        }
      }
      for (position, axis) in order.enumerated() {
        starts[axis] = Int((stepSizes[position] / 2).rounded(.down))
        steps[axis] = max(Int(stepSizes[position].rounded(.toNearestOrEven)), 1)
      }
    }
    var centres = [(y: Int, x: Int)]()
    for y in stride(from: starts[1], to: height, by: steps[1]) {
      for x in stride(from: starts[2], to: width, by: steps[2]) { centres.append((y, x)) }
    }
    if centres.isEmpty { centres = [(0, 0)] }  // Not reached: a start is below its length.
    self.centres = centres
    self.stepY = steps[1]
    self.stepX = steps[2]
    self.step = Double(steps.max()!)
  }
}
