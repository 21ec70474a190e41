import Foundation
import Tensor

/// Squared Euclidean distances through matrix products: `‖x − y‖² = ‖x‖² + ‖y‖² − 2·x·yᵀ`,
/// clamped at 0, one block of rows at a time so that no `n × n` matrix is ever allocated.
///
/// The points are centred (their mean subtracted, in double precision) before the products:
/// distances do not change, and the cancellation of `‖x‖² + ‖y‖² − 2·x·yᵀ` in single precision
/// shrinks with the norms.
struct PointCloud: Sendable {
  /// The centred points `[n, d]`, contiguous.
  let points: Tensor
  /// `‖x_i‖²` of the centred points.
  let squaredNorms: [Float]

  var count: Int { points.shape[0] }

  /// Centres `features` by `mean` (the points' own mean when `nil`).
  init(_ features: Tensor, subtracting mean: [Double]? = nil) {
    precondition(features.rank == 2, "Points must be a matrix [n, d], not \(features.shape).")
    let (n, d) = (features.shape[0], features.shape[1])
    let source = features.contiguous()
    let centre = mean ?? PointCloud.mean(of: source)
    let centred = source.withUnsafeBufferPointer { x in
      Tensor(shape: [n, d]) { out in
        for i in 0..<n {
          for k in 0..<d { out[i * d + k] = Float(Double(x[i * d + k]) - centre[k]) }
        }
      }
    }
    var norms = [Float](repeating: 0, count: n)
    centred.withUnsafeBufferPointer { x in
      for i in 0..<n {
        var total = 0.0
        for k in 0..<d { total += Double(x[i * d + k]) * Double(x[i * d + k]) }
        norms[i] = Float(total)
      }
    }
    self.points = centred
    self.squaredNorms = norms
  }

  /// A cloud of already centred points and their squared norms.
  init(centred points: Tensor, squaredNorms: [Float]) {
    self.points = points
    self.squaredNorms = squaredNorms
  }

  /// The points at `indices` (copied), keeping this cloud's centring.
  func gathering(_ indices: [Int]) -> PointCloud {
    let d = points.shape[1]
    let gathered = points.withUnsafeBufferPointer { x in
      Tensor(shape: [indices.count, d]) { out in
        for (r, i) in indices.enumerated() {
          for k in 0..<d { out[r * d + k] = x[i * d + k] }
        }
      }
    }
    return PointCloud(centred: gathered, squaredNorms: indices.map { squaredNorms[$0] })
  }

  /// The column means of `[n, d]` features, in double precision.
  static func mean(of features: Tensor) -> [Double] {
    let (n, d) = (features.shape[0], features.shape[1])
    var total = [Double](repeating: 0, count: d)
    features.contiguous().withUnsafeBufferPointer { x in
      for i in 0..<n { for k in 0..<d { total[k] += Double(x[i * d + k]) } }
    }
    return n > 0 ? total.map { $0 / Double(n) } : total
  }

  /// The squared distances from rows `rows` of this cloud to rows `columns` of `other`,
  /// `[rows.count, columns.count]` row-major, clamped at 0 (never −0).
  ///
  /// - Complexity: one `sgemm` of `rows.count × columns.count × d`.
  func squaredDistances(
    rows: Range<Int>, to other: PointCloud, columns: Range<Int>
  ) -> Tensor {
    // One row: a matrix–vector product (sgemv) streams the other points once.
    var gram =
      rows.count == 1
      ? matmul(
        other.points.sliced(axis: 0, columns), points.selecting(axis: 0, index: rows.lowerBound)
      ).reshaped(to: [1, columns.count])
      : matmul(
        points.sliced(axis: 0, rows), transposed: false, other.points.sliced(axis: 0, columns),
        transposed: true)
    let width = columns.count
    let height = rows.count
    squaredNorms.withUnsafeBufferPointer { a in
      other.squaredNorms.withUnsafeBufferPointer { b in
        gram.withUnsafeMutableBufferPointer { g in
          let gBase = UncheckedPointer(g.baseAddress!)
          ComputeThreads.parallelFor(height) { r in
            let row = gBase.pointer + r * width
            let ar = a[rows.lowerBound + r]
            for c in 0..<width {
              let value = ar + b[columns.lowerBound + c] - 2 * row[c]
              row[c] = value > 0 ? value : 0
            }
          }
        }
      }
    }
    return gram
  }
}

/// A pointer carried into `ComputeThreads.parallelFor` bodies that write disjoint parts of it.
struct UncheckedPointer: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Float>
  init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}

/// A pointer to doubles, written in disjoint parts by parallel loop bodies.
struct UncheckedDoublePointer: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Double>
  init(_ pointer: UnsafeMutablePointer<Double>) { self.pointer = pointer }
}

extension PointCloud {
  /// Visits the squared distances `D[i, j]` of the upper block triangle: for each block of rows
  /// `I = [i0, i1)`, the block `D[I, i0..<n]` (`[i1 − i0, n − i0]` row-major), which holds the
  /// diagonal square `I × I` in full and the rectangle `I × [i1, n)` once. Every pair `i < j`
  /// is thus seen once in a rectangle or in the upper half of a square.
  ///
  /// - Complexity: `n²·d` multiply-adds (half of the full product) in total; peak memory one
  ///   block, `blockRows × n` floats.
  func forEachUpperBlock(
    blockRows: Int, _ body: (_ rows: Range<Int>, _ distances: UnsafeMutableBufferPointer<Float>) -> Void
  ) {
    let n = count
    var start = 0
    while start < n {
      let end = min(n, start + blockRows)
      var block = squaredDistances(rows: start..<end, to: self, columns: start..<n)
      block.withUnsafeMutableBufferPointer { body(start..<end, $0) }
      start = end
    }
  }
}
