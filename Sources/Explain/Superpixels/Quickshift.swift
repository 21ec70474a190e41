import Foundation
import Tensor

/// Quickshift superpixels (Vedaldi & Soatto, "Quick shift and kernel methods for mode seeking",
/// ECCV 2008) with the semantics of scikit-image's `skimage.segmentation.quickshift` (0.24), the
/// segmenter LIME uses for images.
///
/// Each pixel is a point `(ratio·L, ratio·a, ratio·b, y, x)`. Its Parzen density is
/// `Σ_q exp(−‖p − q‖² / (2·kernelSize²))` over the pixels `q` of the `(2w+1)²` window around it,
/// `w = ⌈3·kernelSize⌉`; a tiny Gaussian noise (standard deviation 1e−5, seeded) breaks ties.
/// Every pixel links to the nearest pixel of its window with a higher density; links longer
/// than `maxDistance` are cut, and each tree of links is one superpixel.
///
/// ```swift
/// let map = try Quickshift().segment(image)   // LIME's defaults: 4, 200, 0.2
/// ```
///
/// Differences from scikit-image: the tie-breaking noise comes from `SeededGenerator`, not
/// NumPy's PCG64, so pixels whose densities tie to within about 1e−5 may link differently. With
/// LIME's parameters the maps equal scikit-image's on the test photographs (adjusted Rand
/// index 1); with short cut-offs they differ as much as scikit-image's own maps for two seeds.
/// Superpixels are numbered in row-major order of first appearance (scikit-image numbers them
/// by the flat index of their root).
public struct Quickshift: Segmenter {
  /// Width (standard deviation) of the Gaussian Parzen kernel; larger gives fewer superpixels.
  public var kernelSize: Double
  /// Links longer than this (in the scaled feature space) are cut; larger gives fewer superpixels.
  public var maxDistance: Double
  /// Weight of colour against position (the colour values are multiplied by it).
  public var ratio: Double
  /// Standard deviation of the Gaussian smoothing applied first (0: none).
  public var sigma: Double
  /// Whether the RGB image is converted to CIE Lab (D65) first.
  public var convertToLab: Bool
  /// Seed of the tie-breaking noise.
  public var seed: UInt64

  /// A quickshift segmenter. The defaults are LIME's (`kernel_size=4, max_dist=200, ratio=0.2`).
  ///
  /// - Parameters:
  ///   - kernelSize: the Parzen kernel width, at least 1 (scikit-image's `kernel_size`).
  ///   - maxDistance: the cut-off distance, at least 0 (`max_dist`); `.infinity` never cuts.
  ///   - ratio: the colour weight, at least 0 (`ratio`).
  ///   - sigma: the pre-smoothing width, at least 0 (`sigma`).
  ///   - convertToLab: convert RGB to Lab first (`convert2lab`).
  ///   - seed: the tie-breaking noise seed (`rng`).
  public init(
    kernelSize: Double = 4, maxDistance: Double = 200, ratio: Double = 0.2, sigma: Double = 0,
    convertToLab: Bool = true, seed: UInt64 = 42
  ) {
    self.kernelSize = kernelSize
    self.maxDistance = maxDistance
    self.ratio = ratio
    self.sigma = sigma
    self.convertToLab = convertToLab
    self.seed = seed
  }

  /// The quickshift superpixels of `image` `[3, H, W]` (values in [0, 1]).
  ///
  /// Rows are processed in parallel over `ComputeThreads`; the result does not depend on the
  /// thread count.
  ///
  /// - Throws: `SegmentationError.wrongShape` unless `[3, H, W]`, `.emptyImage`,
  ///   `.nonFiniteInput`, `.invalidParameter` for `kernelSize < 1`, a negative or NaN
  ///   `maxDistance`, a negative `ratio` or `sigma`, or a non-finite `kernelSize`, `ratio` or
  ///   `sigma`.
  /// - Complexity: O(H·W·(2⌈3·kernelSize⌉+1)²) time, O(H·W) memory.
  public func segment(_ image: Tensor) throws -> SuperpixelMap {
    try requireParameter("kernelSize", kernelSize, "at least 1") { $0 >= 1 }
    guard maxDistance >= 0 else {  // +∞ (never cut) is allowed, NaN is not.
      throw SegmentationError.invalidParameter(
        "maxDistance must be at least 0, not \(maxDistance)")
    }
    try requireParameter("ratio", ratio, "at least 0") { $0 >= 0 }
    try requireParameter("sigma", sigma, "at least 0") { $0 >= 0 }
    var input = try SegmentationInput(image)
    if convertToLab { input.convertToLab() }
    input.smooth(sigma: sigma)
    input.scale(by: ratio)
    let roots = QuickshiftKernel(
      features: input.values, height: input.height, width: input.width,
      kernelSize: kernelSize, maxDistance: maxDistance, seed: seed
    ).roots()
    return SuperpixelMap(height: input.height, width: input.width, compactLabels: roots)
  }
}

/// The two window passes of quickshift on scaled features (three per pixel).
private struct QuickshiftKernel {
  let height: Int
  let width: Int
  let kernelSize: Double
  let maxDistance: Double
  let seed: UInt64
  /// The three feature planes, each `H × W` row-major.
  let planes: [[Double]]

  init(
    features: [Double], height: Int, width: Int, kernelSize: Double, maxDistance: Double,
    seed: UInt64
  ) {
    self.height = height
    self.width = width
    self.kernelSize = kernelSize
    self.maxDistance = maxDistance
    self.seed = seed
    planes = (0..<3).map { channel in
      (0..<(height * width)).map { features[$0 * 3 + channel] }
    }
  }

  /// The window radius `⌈3·kernelSize⌉`, capped at the image's larger side (a wider window
  /// holds no more pixels).
  var radius: Int { Int(min((3 * kernelSize).rounded(.up), Double(max(height, width)))) }

  /// Rows per block of the density pass: blocks are fixed (not tied to the thread count), so the
  /// order of every sum, and the result, is the same on any number of threads.
  static let blockRows = 8

  /// The root of every pixel's tree, as an index into the pixels.
  func roots() -> [Int32] {
    let count = height * width
    var density = densities()
    var generator = SeededGenerator(seed: seed)
    for index in 0..<count { density[index] += 0.00001 * Double(generator.nextGaussian()) }
    let parent = linksToDenserNeighbours(density: density)
    // Follow each link to its root; a parent is always denser, so there are no cycles.
    var root = [Int32](repeating: -1, count: count)
    var path = [Int32]()
    for start in 0..<count where root[start] < 0 {
      var node = Int32(start)
      path.removeAll(keepingCapacity: true)
      while root[Int(node)] < 0, parent[Int(node)] != node {
        path.append(node)
        node = parent[Int(node)]
      }
      let top = root[Int(node)] >= 0 ? root[Int(node)] : node
      root[Int(node)] = top
      for visited in path { root[Int(visited)] = top }
    }
    return root
  }

  /// `Σ_q exp(−‖p − q‖² / 2k²)` over each pixel's window (itself included).
  ///
  /// The weight is symmetric, so each pair is evaluated once: a pixel visits the later pixels of
  /// its window (same row to the right, the `r` rows below) and adds the weight to both. Each
  /// block of rows accumulates into its own buffer (its rows and the `r` below), and the buffers
  /// are added in block order.
  private func densities() -> [Double] {
    let (height, width, r) = (self.height, self.width, self.radius)
    let scale = -0.5 / (kernelSize * kernelSize)
    let blockRows = QuickshiftKernel.blockRows
    let blocks = (height + blockRows - 1) / blockRows
    let bufferRows = blockRows + min(r, height - 1)
    var partial = [Double](repeating: 0, count: blocks * bufferRows * width)
    planes[0].withUnsafeBufferPointer { f0 in
      planes[1].withUnsafeBufferPointer { f1 in
        planes[2].withUnsafeBufferPointer { f2 in
          partial.withUnsafeMutableBufferPointer { partialBuffer in
            let output = UncheckedPointer(partialBuffer.baseAddress!)
            ComputeThreads.parallelFor(blocks) { block in
              let firstRow = block * blockRows
              let buffer = output.pointer + block * bufferRows * width
              for row in firstRow..<min(firstRow + blockRows, height) {
                let local = row - firstRow
                for column in 0..<width {
                  let index = row * width + column
                  let (p0, p1, p2) = (f0[index], f1[index], f2[index])
                  var own = SIMD4<Double>()
                  var ownScalar = 1.0  // exp(0), the pixel itself
                  for dy in 0...min(r, height - 1 - row) {
                    let spatialY = Double(dy * dy)
                    let start = dy == 0 ? column + 1 : max(column - r, 0)
                    let end = min(column + r + 1, width)
                    guard start < end else { continue }
                    let otherRow = row + dy
                    let q0 = f0.baseAddress! + otherRow * width
                    let q1 = f1.baseAddress! + otherRow * width
                    let q2 = f2.baseAddress! + otherRow * width
                    let target = buffer + (local + dy) * width
                    var c = start
                    let base = SIMD4<Double>(0, 1, 2, 3) - Double(column)
                    while c + 4 <= end {
                      let dx = base + Double(c)
                      let t0 = p0 - load4(q0 + c)
                      let t1 = p1 - load4(q1 + c)
                      let t2 = p2 - load4(q2 + c)
                      let distance = t0 * t0 + t1 * t1 + t2 * t2 + (dx * dx + spatialY)
                      let weight = fastExp(distance * scale)
                      own += weight
                      add4(weight, to: target + c)
                      c += 4
                    }
                    while c < end {
                      let dx = Double(c - column)
                      let t0 = p0 - q0[c]
                      let t1 = p1 - q1[c]
                      let t2 = p2 - q2[c]
                      let distance = t0 * t0 + t1 * t1 + t2 * t2 + (dx * dx + spatialY)
                      let weight = fastExp(SIMD4(repeating: distance * scale))[0]
                      ownScalar += weight
                      target[c] += weight
                      c += 1
                    }
                  }
                  buffer[local * width + column] += own.sum() + ownScalar
                }
              }
            }
          }
        }
      }
    }
    var density = [Double](repeating: 0, count: height * width)
    for block in 0..<blocks {
      let firstRow = block * blockRows
      for local in 0..<bufferRows where firstRow + local < height {
        let source = (block * bufferRows + local) * width
        let target = (firstRow + local) * width
        for column in 0..<width { density[target + column] += partial[source + column] }
      }
    }
    return density
  }

  /// Each pixel's nearest (in feature space) pixel of higher density within its window, or
  /// itself when there is none or it is farther than `maxDistance`.
  private func linksToDenserNeighbours(density: [Double]) -> [Int32] {
    let (height, width, r) = (self.height, self.width, self.radius)
    let maxDistance = self.maxDistance
    var parent = [Int32](repeating: 0, count: height * width)
    planes[0].withUnsafeBufferPointer { f0 in
      planes[1].withUnsafeBufferPointer { f1 in
        planes[2].withUnsafeBufferPointer { f2 in
          density.withUnsafeBufferPointer { d in
            parent.withUnsafeMutableBufferPointer { parentBuffer in
              let output = UncheckedPointer(parentBuffer.baseAddress!)
              ComputeThreads.parallelFor(height) { row in
                let rowMin = max(row - r, 0)
                let rowMax = min(row + r + 1, height)
                for column in 0..<width {
                  let columnMin = max(column - r, 0)
                  let columnMax = min(column + r + 1, width)
                  let index = row * width + column
                  let (p0, p1, p2) = (f0[index], f1[index], f2[index])
                  let own = d[index]
                  // Four lanes keep their own first minimum; the lanes are merged by distance,
                  // then by index, which gives the first minimum in raster order, as the
                  // sequential scan of scikit-image finds it.
                  let none = SIMD4<Double>(repeating: .greatestFiniteMagnitude)
                  var laneClosest = none
                  var laneBest = SIMD4<Int64>(repeating: Int64(index))
                  var closest = Double.greatestFiniteMagnitude
                  var best = index
                  let lanes = SIMD4<Double>(0, 1, 2, 3)
                  for otherRow in rowMin..<rowMax {
                    let dy = Double(otherRow - row)
                    let dy2 = SIMD4<Double>(repeating: dy * dy)
                    let rowStart = otherRow * width
                    var c = columnMin
                    while c + 4 <= columnMax {
                      let other = rowStart + c
                      let denser = load4(d.baseAddress! + other) .> own
                      if any(denser) {
                        let t0 = p0 - load4(f0.baseAddress! + other)
                        let t1 = p1 - load4(f1.baseAddress! + other)
                        let t2 = p2 - load4(f2.baseAddress! + other)
                        let dx = lanes + Double(c - column)
                        // scikit-image's order of terms: colour, then rows, then columns.
                        let distance = t0 * t0 + t1 * t1 + t2 * t2 + dy2 + dx * dx
                        let better = denser .& (distance .< laneClosest)
                        laneClosest.replace(with: distance, where: better)
                        laneBest.replace(
                          with: SIMD4<Int64>(repeating: Int64(other)) &+ SIMD4<Int64>(0, 1, 2, 3),
                          where: better)
                      }
                      c += 4
                    }
                    while c < columnMax {
                      let other = rowStart + c
                      if d[other] > own {
                        let t0 = p0 - f0[other]
                        let t1 = p1 - f1[other]
                        let t2 = p2 - f2[other]
                        let dx = Double(c - column)
                        let distance = t0 * t0 + t1 * t1 + t2 * t2 + dy * dy + dx * dx
                        if distance < closest || (distance == closest && other < best) {
                          closest = distance
                          best = other
                        }
                      }
                      c += 1
                    }
                  }
                  for lane in 0..<4 where laneClosest[lane] < none[lane] {
                    let (distance, other) = (laneClosest[lane], Int(laneBest[lane]))
                    if distance < closest || (distance == closest && other < best) {
                      closest = distance
                      best = other
                    }
                  }
                  // scikit-image cuts when sqrt(closest) > max_dist.
                  output.pointer[index] =
                    closest.squareRoot() > maxDistance ? Int32(index) : Int32(best)
                }
              }
            }
          }
        }
      }
    }
    return parent
  }
}

/// A raw pointer handed to `parallelFor` bodies that write disjoint elements.
struct UncheckedPointer<Element>: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Element>
  init(_ pointer: UnsafeMutablePointer<Element>) { self.pointer = pointer }
}
