import Foundation

/// Element-wise arithmetic with NumPy broadcasting.
///
/// Two shapes broadcast when, aligned at their last axes, every pair of extents is equal or one of
/// them is 1 (missing leading axes count as 1): `[2, 3, 4] + [3, 1]` gives `[2, 3, 4]`. Results are
/// new contiguous tensors; the operands are never copied to be broadcast (a broadcast axis is
/// walked with stride 0).
///
/// Arithmetic follows IEEE 754 in `Float`: `x / 0` is `±inf`, `0 / 0` and anything involving NaN is
/// NaN. The non-arithmetic functions below say how they treat NaN (they all propagate it).
///
/// Two contiguous operands of one shape take a fast path: one flat loop the compiler vectorises.
/// Anything else (views, broadcasting) takes the strided path, which merges axes into long runs
/// first (see `StridedLoop`). Both run on the calling thread: these loops are limited by memory
/// bandwidth, and splitting them over the two cores of a shared machine measured slower (a
/// closure handed to another thread is no longer inlined into the loop, and the second core is
/// often busy); parallelism belongs to the callers' batches and to BLAS.
extension Tensor {
  // MARK: Kernels

  /// `op(a, b)` element by element, broadcasting `a` and `b` to their common shape.
  @inline(__always)
  static func zipElements(
    _ a: Tensor, _ b: Tensor, _ op: (Float, Float) -> Float
  ) -> Tensor {
    let pa = a.storage.pointer
    let pb = b.storage.pointer
    if a.shape == b.shape && a.isContiguous && b.isContiguous {
      let ia = a.offset
      let ib = b.offset
      return Tensor(shape: a.shape) { out in
        guard let po = out.baseAddress else { return }
        for k in 0..<out.count { po[k] = op(pa[ia + k], pb[ib + k]) }
      }
    }
    let shape = broadcastShape(a.shape, b.shape)
    let av = a.broadcast(to: shape)
    let bv = b.broadcast(to: shape)
    let loop = StridedLoop(shape: shape, contiguousStrides(for: shape), av.strides, bv.strides)
    let n = loop.innerCount
    let (_, sa, sb) = loop.innerStrides
    return Tensor(shape: shape) { out in
      guard let po = out.baseAddress else { return }
      // The output is dense, so its inner stride is 1 (or the run has one element).
      loop.forEachRun(0, av.offset, bv.offset) { o, i, j in
        if sa == 1 && sb == 1 {
          for k in 0..<n { po[o + k] = op(pa[i + k], pb[j + k]) }
        } else if sa == 1 && sb == 0 {
          let y = pb[j]
          for k in 0..<n { po[o + k] = op(pa[i + k], y) }
        } else if sa == 0 && sb == 1 {
          let x = pa[i]
          for k in 0..<n { po[o + k] = op(x, pb[j + k]) }
        } else {
          for k in 0..<n { po[o + k] = op(pa[i + k * sa], pb[j + k * sb]) }
        }
      }
    }
  }

  /// `op(x)` for every element, as a new contiguous tensor of the same shape.
  @inline(__always)
  func mapElements(_ op: (Float) -> Float) -> Tensor {
    let pa = storage.pointer
    let base = offset
    if isContiguous {
      return Tensor(shape: shape) { out in
        guard let po = out.baseAddress else { return }
        for k in 0..<out.count { po[k] = op(pa[base + k]) }
      }
    }
    let zeros = [Int](repeating: 0, count: rank)
    let loop = StridedLoop(shape: shape, Tensor.contiguousStrides(for: shape), strides, zeros)
    let n = loop.innerCount
    let (_, sa, _) = loop.innerStrides
    return Tensor(shape: shape) { out in
      guard let po = out.baseAddress else { return }
      loop.forEachRun(0, base, 0) { o, i, _ in
        if sa == 1 {
          for k in 0..<n { po[o + k] = op(pa[i + k]) }
        } else {
          for k in 0..<n { po[o + k] = op(pa[i + k * sa]) }
        }
      }
    }
  }

  /// `self[i] = op(self[i], other[i])` with `other` broadcast to this tensor's shape, writing into
  /// this tensor's storage (after copying it if it is shared).
  @inline(__always)
  mutating func updateElements(with other: Tensor, _ op: (Float, Float) -> Float) {
    let shape = Tensor.broadcastShape(self.shape, other.shape)
    precondition(
      shape == self.shape,
      "Cannot update a tensor of shape \(self.shape) in place with one of shape \(other.shape): "
        + "the result would have shape \(shape).")
    makeUnique()
    let po = storage.pointer
    let pb = other.storage.pointer
    if isContiguous && other.isContiguous && other.shape == self.shape {
      let io = offset
      let ib = other.offset
      for k in 0..<count { po[io + k] = op(po[io + k], pb[ib + k]) }
      return
    }
    let bv = other.broadcast(to: shape)
    let loop = StridedLoop(shape: shape, strides, strides, bv.strides)
    let n = loop.innerCount
    let (so, _, sb) = loop.innerStrides
    loop.forEachRun(offset, offset, bv.offset) { o, _, j in
      if so == 1 && sb == 1 {
        for k in 0..<n { po[o + k] = op(po[o + k], pb[j + k]) }
      } else if so == 1 && sb == 0 {
        let y = pb[j]
        for k in 0..<n { po[o + k] = op(po[o + k], y) }
      } else {
        for k in 0..<n { po[o + k * so] = op(po[o + k * so], pb[j + k * sb]) }
      }
    }
  }

  /// `self[i] = op(self[i])` in place (after copying the storage if it is shared).
  @inline(__always)
  mutating func updateElements(_ op: (Float) -> Float) {
    makeUnique()
    let po = storage.pointer
    if isContiguous {
      let io = offset
      for k in 0..<count { po[io + k] = op(po[io + k]) }
      return
    }
    let zeros = [Int](repeating: 0, count: rank)
    let loop = StridedLoop(shape: shape, strides, zeros, zeros)
    let n = loop.innerCount
    let (so, _, _) = loop.innerStrides
    loop.forEachRun(offset, 0, 0) { o, _, _ in
      for k in 0..<n { po[o + k * so] = op(po[o + k * so]) }
    }
  }

  // MARK: Tensor ∘ tensor

  /// The element-wise sum, broadcasting both operands.
  ///
  /// - Complexity: O(n) for the `n` elements of the broadcast shape.
  public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { zipElements(lhs, rhs) { $0 + $1 } }

  /// The element-wise difference, broadcasting both operands.
  ///
  /// - Complexity: O(n) for the `n` elements of the broadcast shape.
  public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { zipElements(lhs, rhs) { $0 - $1 } }

  /// The element-wise (Hadamard) product, broadcasting both operands.
  ///
  /// - Complexity: O(n) for the `n` elements of the broadcast shape.
  public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { zipElements(lhs, rhs) { $0 * $1 } }

  /// The element-wise quotient, broadcasting both operands (IEEE: `x / 0` is `±inf` or NaN).
  ///
  /// - Complexity: O(n) for the `n` elements of the broadcast shape.
  public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { zipElements(lhs, rhs) { $0 / $1 } }

  // MARK: Tensor ∘ scalar

  /// Adds `rhs` to every element.

  /// - Complexity: O(n).
  public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs.mapElements { $0 + rhs } }
  /// Adds `lhs` to every element.
  /// - Complexity: O(n).
  public static func + (lhs: Float, rhs: Tensor) -> Tensor { rhs.mapElements { lhs + $0 } }
  /// Subtracts `rhs` from every element.
  /// - Complexity: O(n).
  public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs.mapElements { $0 - rhs } }
  /// `lhs − x` for every element `x`.
  /// - Complexity: O(n).
  public static func - (lhs: Float, rhs: Tensor) -> Tensor { rhs.mapElements { lhs - $0 } }
  /// Multiplies every element by `rhs`.
  /// - Complexity: O(n).
  public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.mapElements { $0 * rhs } }
  /// Multiplies every element by `lhs`.
  /// - Complexity: O(n).
  public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs.mapElements { lhs * $0 } }
  /// Divides every element by `rhs`.
  /// - Complexity: O(n).
  public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs.mapElements { $0 / rhs } }
  /// `lhs / x` for every element `x`.
  /// - Complexity: O(n).
  public static func / (lhs: Float, rhs: Tensor) -> Tensor { rhs.mapElements { lhs / $0 } }

  /// The element-wise negation.

  /// - Complexity: O(n).
  public static prefix func - (operand: Tensor) -> Tensor { operand.mapElements { -$0 } }

  // MARK: Compound assignment

  /// Adds `rhs` (broadcast to `lhs.shape`) to `lhs` in place.
  ///
  /// - Precondition: `rhs.shape` broadcasts to `lhs.shape` (the result keeps the shape of `lhs`).
  /// - Complexity: O(n); no allocation when `lhs` owns its storage and is not a broadcast view.
  public static func += (lhs: inout Tensor, rhs: Tensor) {
    lhs.updateElements(with: rhs) { $0 + $1 }
  }
  /// Subtracts `rhs` (broadcast to `lhs.shape`) from `lhs` in place.
  /// - Complexity: O(n).
  public static func -= (lhs: inout Tensor, rhs: Tensor) {
    lhs.updateElements(with: rhs) { $0 - $1 }
  }
  /// Multiplies `lhs` by `rhs` (broadcast to `lhs.shape`) in place.
  /// - Complexity: O(n).
  public static func *= (lhs: inout Tensor, rhs: Tensor) {
    lhs.updateElements(with: rhs) { $0 * $1 }
  }
  /// Divides `lhs` by `rhs` (broadcast to `lhs.shape`) in place.
  /// - Complexity: O(n).
  public static func /= (lhs: inout Tensor, rhs: Tensor) {
    lhs.updateElements(with: rhs) { $0 / $1 }
  }

  /// Adds `rhs` to every element of `lhs` in place.
  /// - Complexity: O(n).
  public static func += (lhs: inout Tensor, rhs: Float) { lhs.updateElements { $0 + rhs } }
  /// Subtracts `rhs` from every element of `lhs` in place.
  /// - Complexity: O(n).
  public static func -= (lhs: inout Tensor, rhs: Float) { lhs.updateElements { $0 - rhs } }
  /// Multiplies every element of `lhs` by `rhs` in place.
  /// - Complexity: O(n).
  public static func *= (lhs: inout Tensor, rhs: Float) { lhs.updateElements { $0 * rhs } }
  /// Divides every element of `lhs` by `rhs` in place.
  /// - Complexity: O(n).
  public static func /= (lhs: inout Tensor, rhs: Float) { lhs.updateElements { $0 / rhs } }

  // MARK: Comparisons to masks

  /// A mask: 1 where `lhs > rhs`, 0 elsewhere (0 where either is NaN). Broadcasts.
  /// - Complexity: O(n).
  public static func .> (lhs: Tensor, rhs: Tensor) -> Tensor {
    zipElements(lhs, rhs) { $0 > $1 ? 1 : 0 }
  }
  /// A mask: 1 where `lhs ≥ rhs`, 0 elsewhere (0 where either is NaN). Broadcasts.
  /// - Complexity: O(n).
  public static func .>= (lhs: Tensor, rhs: Tensor) -> Tensor {
    zipElements(lhs, rhs) { $0 >= $1 ? 1 : 0 }
  }
  /// A mask: 1 where `lhs < rhs`, 0 elsewhere (0 where either is NaN). Broadcasts.
  /// - Complexity: O(n).
  public static func .< (lhs: Tensor, rhs: Tensor) -> Tensor {
    zipElements(lhs, rhs) { $0 < $1 ? 1 : 0 }
  }
  /// A mask: 1 where `lhs ≤ rhs`, 0 elsewhere (0 where either is NaN). Broadcasts.
  /// - Complexity: O(n).
  public static func .<= (lhs: Tensor, rhs: Tensor) -> Tensor {
    zipElements(lhs, rhs) { $0 <= $1 ? 1 : 0 }
  }
  /// A mask: 1 where `lhs > rhs`, 0 elsewhere (0 for NaN).
  /// - Complexity: O(n).
  public static func .> (lhs: Tensor, rhs: Float) -> Tensor { lhs.mapElements { $0 > rhs ? 1 : 0 } }
  /// A mask: 1 where `lhs ≥ rhs`, 0 elsewhere (0 for NaN).
  /// - Complexity: O(n).
  public static func .>= (lhs: Tensor, rhs: Float) -> Tensor {
    lhs.mapElements { $0 >= rhs ? 1 : 0 }
  }
  /// A mask: 1 where `lhs < rhs`, 0 elsewhere (0 for NaN).
  /// - Complexity: O(n).
  public static func .< (lhs: Tensor, rhs: Float) -> Tensor { lhs.mapElements { $0 < rhs ? 1 : 0 } }
  /// A mask: 1 where `lhs ≤ rhs`, 0 elsewhere (0 for NaN).
  /// - Complexity: O(n).
  public static func .<= (lhs: Tensor, rhs: Float) -> Tensor {
    lhs.mapElements { $0 <= rhs ? 1 : 0 }
  }

  // MARK: Unary functions

  /// `transform(x)` for every element, as a new contiguous tensor of the same shape.
  ///
  /// For the common functions prefer the dedicated ones (`exp`, `relu`, ...): they are
  /// specialised and vectorised, while `transform` is called through a closure.
  /// - Complexity: O(n) calls of `transform`.
  public func map(_ transform: (Float) throws -> Float) rethrows -> Tensor {
    Tensor(shape: shape, scalars: try scalars.map(transform))
  }

  /// Every element squared, `x²`.

  /// - Complexity: O(n).
  public func squared() -> Tensor { mapElements { $0 * $0 } }

  /// Every element limited to `[minimum, maximum]`: `min(max(x, minimum), maximum)`.
  /// NaN stays NaN.
  ///
  /// - Precondition: `minimum <= maximum`.
  /// - Complexity: O(n).
  public func clamped(min minimum: Float, max maximum: Float) -> Tensor {
    precondition(minimum <= maximum, "Cannot clamp to the empty range [\(minimum), \(maximum)].")
    return mapElements { $0 < minimum ? minimum : ($0 > maximum ? maximum : $0) }
  }

  /// Every element limited to `[minimum[i], maximum[i]]` (both broadcast to this tensor's shape),
  /// as used to project onto an ε-ball around an image. NaN stays NaN.
  ///
  /// - Complexity: O(n).
  public func clamped(min minimum: Tensor, max maximum: Tensor) -> Tensor {
    let shape = Tensor.broadcastShape(self.shape, minimum.shape)
    precondition(
      shape == self.shape,
      "Cannot clamp a tensor of shape \(self.shape) to bounds of shape \(minimum.shape).")
    var result = Tensor.zipElements(self, minimum) { $0 < $1 ? $1 : $0 }
    result.updateElements(with: maximum) { $0 > $1 ? $1 : $0 }
    return result
  }
}

// MARK: - Free functions (as in Swift for TensorFlow)

/// `eˣ` element-wise (`exp(NaN)` is NaN).

/// - Complexity: O(n).
public func exp(_ x: Tensor) -> Tensor { x.mapElements { Foundation.exp($0) } }

/// The natural logarithm element-wise: `log(0)` is `-inf`, `log(x < 0)` and `log(NaN)` are NaN.
/// - Complexity: O(n).
public func log(_ x: Tensor) -> Tensor { x.mapElements { Foundation.log($0) } }

/// The square root element-wise (`sqrt(x < 0)` is NaN).

/// - Complexity: O(n).
public func sqrt(_ x: Tensor) -> Tensor { x.mapElements { $0.squareRoot() } }

/// The absolute value element-wise.

/// - Complexity: O(n).
public func abs(_ x: Tensor) -> Tensor { x.mapElements { Swift.abs($0) } }

/// `max(x, 0)` element-wise; NaN stays NaN.

/// - Complexity: O(n).
public func relu(_ x: Tensor) -> Tensor { x.mapElements { $0 < 0 ? 0 : $0 } }

/// −1, 0 or 1 by the sign of each element (0 for ±0; NaN stays NaN).

/// - Complexity: O(n).
public func sign(_ x: Tensor) -> Tensor {
  x.mapElements { $0 > 0 ? 1 : ($0 < 0 ? -1 : ($0.isNaN ? $0 : 0)) }
}

/// The element-wise maximum of two broadcast tensors; NaN if either element is NaN (like
/// `numpy.maximum`, unlike `Swift.max`).
/// - Complexity: O(n).
public func max(_ a: Tensor, _ b: Tensor) -> Tensor {
  Tensor.zipElements(a, b) { ($0 > $1 || $0.isNaN) ? $0 : $1 }
}

/// The element-wise minimum of two broadcast tensors; NaN if either element is NaN (like
/// `numpy.minimum`).
/// - Complexity: O(n).
public func min(_ a: Tensor, _ b: Tensor) -> Tensor {
  Tensor.zipElements(a, b) { ($0 < $1 || $0.isNaN) ? $0 : $1 }
}
