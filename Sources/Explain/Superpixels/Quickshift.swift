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
/// NumPy's PCG64, so pixels whose densities tie to within about 1e−5 may link differently.
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
  ///   - maxDistance: the cut-off distance, at least 0 (`max_dist`).
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
  ///   `.nonFiniteInput`, `.invalidParameter` for `kernelSize < 1`, a negative `maxDistance`,
  ///   `ratio` or `sigma`, or a non-finite one.
  /// - Complexity: O(H·W·(2⌈3·kernelSize⌉+1)²) time, O(H·W) memory.
  public func segment(_ image: Tensor) throws -> SuperpixelMap {
    try requireParameter("kernelSize", kernelSize, "at least 1") { $0 >= 1 }
    try requireParameter("maxDistance", maxDistance, "at least 0") { $0 >= 0 }
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
  let features: [Double]
  let height: Int
  let width: Int
  let kernelSize: Double
  let maxDistance: Double
  let seed: UInt64

  /// The window radius `⌈3·kernelSize⌉`.
  var radius: Int { Int((3 * kernelSize).rounded(.up)) }

  /// `(dy² + dx²)` for every offset of the window, row-major over `(2r+1)²`.
  func spatialDistances() -> [Double] {
    let r = radius
    let side = 2 * r + 1
    var result = [Double](repeating: 0, count: side * side)
    for dy in -r...r {
      for dx in -r...r { result[(dy + r) * side + dx + r] = Double(dy * dy + dx * dx) }
    }
    return result
  }

  /// The root of every pixel's tree, as an index into the pixels.
  func roots() -> [Int32] {
    let count = height * width
    let spatial = spatialDistances()
    var density = [Double](repeating: 0, count: count)
    computeDensities(into: &density, spatial: spatial)
    var generator = SeededGenerator(seed: seed)
    for index in 0..<count { density[index] += 0.00001 * Double(generator.nextGaussian()) }
    var parent = [Int32](repeating: 0, count: count)
    linkToDenserNeighbours(density: density, spatial: spatial, parent: &parent)
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

  private func computeDensities(into density: inout [Double], spatial: [Double]) {
    let (height, width, r) = (self.height, self.width, self.radius)
    let side = 2 * r + 1
    let scale = -0.5 / (kernelSize * kernelSize)
    features.withUnsafeBufferPointer { f in
      spatial.withUnsafeBufferPointer { s in
        density.withUnsafeMutableBufferPointer { output in
          let out = UncheckedPointer(output.baseAddress!)
          ComputeThreads.parallelFor(height) { row in
            let rowMin = max(row - r, 0)
            let rowMax = min(row + r + 1, height)
            for column in 0..<width {
              let columnMin = max(column - r, 0)
              let columnMax = min(column + r + 1, width)
              let p = (row * width + column) * 3
              let (p0, p1, p2) = (f[p], f[p + 1], f[p + 2])
              var sum = 0.0
              for otherRow in rowMin..<rowMax {
                let spatialRow = (otherRow - row + r) * side + r - column
                var q = (otherRow * width + columnMin) * 3
                for otherColumn in columnMin..<columnMax {
                  let t0 = p0 - f[q]
                  let t1 = p1 - f[q + 1]
                  let t2 = p2 - f[q + 2]
                  let distance = t0 * t0 + t1 * t1 + t2 * t2 + s[spatialRow + otherColumn]
                  sum += exp(distance * scale)
                  q += 3
                }
              }
              out.pointer[row * width + column] = sum
            }
          }
        }
      }
    }
  }

  private func linkToDenserNeighbours(
    density: [Double], spatial: [Double], parent: inout [Int32]
  ) {
    let (height, width, r) = (self.height, self.width, self.radius)
    let side = 2 * r + 1
    features.withUnsafeBufferPointer { f in
      spatial.withUnsafeBufferPointer { s in
        density.withUnsafeBufferPointer { d in
          parent.withUnsafeMutableBufferPointer { output in
            let out = UncheckedPointer(output.baseAddress!)
            ComputeThreads.parallelFor(height) { row in
              let rowMin = max(row - r, 0)
              let rowMax = min(row + r + 1, height)
              for column in 0..<width {
                let columnMin = max(column - r, 0)
                let columnMax = min(column + r + 1, width)
                let index = row * width + column
                let p = index * 3
                let (p0, p1, p2) = (f[p], f[p + 1], f[p + 2])
                let own = d[index]
                var closest = Double.greatestFiniteMagnitude
                var best = index
                for otherRow in rowMin..<rowMax {
                  let spatialRow = (otherRow - row + r) * side + r - column
                  for otherColumn in columnMin..<columnMax {
                    let other = otherRow * width + otherColumn
                    guard d[other] > own else { continue }
                    let q = other * 3
                    let t0 = p0 - f[q]
                    let t1 = p1 - f[q + 1]
                    let t2 = p2 - f[q + 2]
                    let distance = t0 * t0 + t1 * t1 + t2 * t2 + s[spatialRow + otherColumn]
                    if distance < closest {
                      closest = distance
                      best = other
                    }
                  }
                }
                // scikit-image cuts when sqrt(closest) > max_dist.
                out.pointer[index] = closest.squareRoot() > maxDistance ? Int32(index) : Int32(best)
              }
            }
          }
        }
      }
    }
  }
}

/// A raw pointer handed to `parallelFor` bodies that write disjoint elements.
struct UncheckedPointer<Element>: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Element>
  init(_ pointer: UnsafeMutablePointer<Element>) { self.pointer = pointer }
}
