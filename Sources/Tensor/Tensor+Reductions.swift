/// Reductions along axes and over all elements.
///
/// A reduction along axes removes those axes from the shape, or keeps them with extent 1 when
/// `keepingDimensions` is true (so that the result broadcasts against the input):
/// `[2, 3, 4].sum(alongAxes: 1)` is `[2, 4]`, or `[2, 1, 4]` keeping dimensions. Axes may be
/// negative (`-1` is the last axis); reducing along no axes returns the tensor unchanged.
///
/// Edge cases:
/// - `sum` and `mean` accumulate in `Double` and round once, so their error does not grow with
///   the element count; the sum of no elements is 0 and their mean is NaN.
/// - NaN propagates: `sum`, `mean`, `maximum` and `minimum` of a slice holding a NaN are NaN
///   (like NumPy's `max`, not `nanmax`); `argmax` and `argmin` return the index of the first NaN
///   (like NumPy).
/// - `maximum`, `minimum`, `argmax` and `argmin` of an empty slice break a precondition.
///
/// The extrema are named `maximum` and `minimum` rather than `max` and `min`: an instance method
/// named `max` would hide the global `Swift.max(_:_:)` inside every `extension Tensor`.
/// - `argmax` and `argmin` return the first index among equal extremes.
extension Tensor {
  // MARK: Kernels

  /// The resolved, deduplicated axes, and this tensor's shape with those axes set to 1.
  func reductionShape(_ axes: [Int]) -> (axes: Set<Int>, keptShape: [Int]) {
    let resolved = Set(axes.map(normalizedAxis))
    var kept = shape
    for axis in resolved { kept[axis] = 1 }
    return (resolved, kept)
  }

  /// `keptShape` with the reduced axes removed unless `keepingDimensions`.
  func reductionResultShape(_ kept: [Int], axes: Set<Int>, keepingDimensions: Bool) -> [Int] {
    keepingDimensions ? kept : kept.indices.filter { !axes.contains($0) }.map { kept[$0] }
  }

  /// Runs `body` over this tensor with a dense accumulator of shape `kept` (the reduced axes
  /// walked with stride 0). `body(o, i, n, so, si)` folds the run of `n` input elements starting
  /// at storage index `i` (stride `si`) into accumulator cells starting at `o` (stride `so`).
  @inline(__always)
  func forEachReductionRun(
    kept: [Int], axes: Set<Int>, _ body: (Int, Int, Int, Int, Int) -> Void
  ) {
    var accumulatorStrides = Tensor.contiguousStrides(for: kept)
    for axis in axes { accumulatorStrides[axis] = 0 }
    let zeros = [Int](repeating: 0, count: rank)
    let loop = StridedLoop(shape: shape, accumulatorStrides, strides, zeros)
    let n = loop.innerCount
    let (so, si, _) = loop.innerStrides
    loop.forEachRun(0, offset, 0) { o, i, _ in body(o, i, n, so, si) }
  }

  /// Sums along `axes` in Double, returning the accumulator (shaped like `kept`).
  func doubleSums(kept: [Int], axes: Set<Int>) -> [Double] {
    var sums = [Double](repeating: 0, count: kept.reduce(1, *))
    let p = storage.pointer
    sums.withUnsafeMutableBufferPointer { acc in
      guard let a = acc.baseAddress else { return }
      forEachReductionRun(kept: kept, axes: axes) { o, i, n, so, si in
        if so == 0 {
          if si == 1 {
            a[o] += denseSum(p + i, n)
          } else {
            var s = 0.0
            for k in 0..<n { s += Double(p[i + k * si]) }
            a[o] += s
          }
        } else if so == 1 && si == 1 {
          for k in 0..<n { a[o + k] += Double(p[i + k]) }
        } else {
          for k in 0..<n { a[o + k * so] += Double(p[i + k * si]) }
        }
      }
    }
    return sums
  }

  /// The NaN-propagating maximum (`largest`) or minimum along `axes`.
  func extremum(alongAxes axes: [Int], keepingDimensions: Bool, largest: Bool) -> Tensor {
    let (resolved, kept) = reductionShape(axes)
    for axis in resolved {
      precondition(
        shape[axis] > 0,
        "Cannot take the maximum or minimum along the empty axis \(axis) of \(shape).")
    }
    let p = storage.pointer
    var result = Tensor(shape: kept, repeating: largest ? -.infinity : .infinity)
    result.withUnsafeMutableBufferPointer { acc in
      guard let a = acc.baseAddress else { return }
      forEachReductionRun(kept: kept, axes: resolved) { o, i, n, so, si in
        if so == 0 && si == 1 {
          let m = denseExtremum(p + i, n, largest: largest)
          let x = a[o]
          if !x.isNaN && (m.isNaN || (largest ? m > x : m < x)) { a[o] = m }
        } else if so == 1 && si == 1 {
          denseExtremumUpdate(a + o, with: p + i, n, largest: largest)
        } else if largest {
          // `x > m || x.isNaN` keeps the first NaN: nothing compares greater than NaN.
          for k in 0..<n {
            let x = p[i + k * si]
            let m = a[o + k * so]
            a[o + k * so] = x > m || x.isNaN ? x : m
          }
        } else {
          for k in 0..<n {
            let x = p[i + k * si]
            let m = a[o + k * so]
            a[o + k * so] = x < m || x.isNaN ? x : m
          }
        }
      }
    }
    return result.reshaped(
      to: reductionResultShape(kept, axes: resolved, keepingDimensions: keepingDimensions))
  }

  /// The index along `axis` of the first element `x` of each lane with `better(x, best)` never
  /// true afterwards (the first extremum; the first NaN if there is one).
  @inline(__always)
  func argExtremum(
    alongAxis axis: Int, keepingDimensions: Bool, _ better: (Float, Float) -> Bool
  ) -> Tensor {
    let axis = normalizedAxis(axis)
    let length = shape[axis]
    precondition(
      length > 0, "Cannot take argmax or argmin along the empty axis \(axis) of \(shape).")
    var laneShape = shape
    var laneStrides = strides
    laneShape.remove(at: axis)
    laneStrides.remove(at: axis)
    let zeros = [Int](repeating: 0, count: laneShape.count)
    let loop = StridedLoop(
      shape: laneShape, Tensor.contiguousStrides(for: laneShape), laneStrides, zeros)
    let runLength = loop.innerCount
    let (_, runStride, _) = loop.innerStrides
    let step = strides[axis]
    let p = storage.pointer
    let result = Tensor(shape: laneShape) { out in
      guard let po = out.baseAddress else { return }
      loop.forEachRun(0, offset, 0) { o, i, _ in
        for r in 0..<runLength {
          let base = i + r * runStride
          var best = 0
          var bestValue = p[base]
          if !bestValue.isNaN {
            for k in 1..<length {
              let x = p[base + k * step]
              if x.isNaN {
                best = k
                break
              }
              if better(x, bestValue) {
                best = k
                bestValue = x
              }
            }
          }
          po[o + r] = Float(best)
        }
      }
    }
    return keepingDimensions ? result.expandingShape(at: axis) : result
  }

  // MARK: Sum and mean

  /// The sum of the elements along `axes`: `y[j] = Σᵢ x[i]` over the indices `i` that agree with
  /// `j` outside `axes`. Accumulates in Double.
  ///
  /// - Complexity: O(n) for the `n` elements of this tensor.
  public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
    let (resolved, kept) = reductionShape(axes)
    if resolved.isEmpty { return self }
    let sums = doubleSums(kept: kept, axes: resolved)
    return Tensor(
      shape: reductionResultShape(kept, axes: resolved, keepingDimensions: keepingDimensions),
      scalars: sums.lazy.map { Float($0) })
  }

  /// The sum of the elements along the given axes (see `sum(alongAxes:keepingDimensions:)`).
  ///
  /// - Complexity: O(n).
  public func sum(alongAxes axes: Int..., keepingDimensions: Bool = false) -> Tensor {
    sum(alongAxes: axes, keepingDimensions: keepingDimensions)
  }

  /// The sum of all elements, accumulated in Double (0 for an empty tensor).
  ///
  /// - Complexity: O(n).
  public func sum() -> Float {
    Float(doubleSums(kept: [Int](repeating: 1, count: rank), axes: Set(0..<rank))[0])
  }

  /// The mean along `axes`: the sum divided by the number of elements reduced (NaN when none).
  ///
  /// - Complexity: O(n).
  public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
    let (resolved, kept) = reductionShape(axes)
    if resolved.isEmpty { return self }
    let reducedCount = Double(resolved.map { shape[$0] }.reduce(1, *))
    let sums = doubleSums(kept: kept, axes: resolved)
    return Tensor(
      shape: reductionResultShape(kept, axes: resolved, keepingDimensions: keepingDimensions),
      scalars: sums.lazy.map { Float($0 / reducedCount) })
  }

  /// The mean along the given axes (see `mean(alongAxes:keepingDimensions:)`).
  ///
  /// - Complexity: O(n).
  public func mean(alongAxes axes: Int..., keepingDimensions: Bool = false) -> Tensor {
    mean(alongAxes: axes, keepingDimensions: keepingDimensions)
  }

  /// The mean of all elements (NaN for an empty tensor).
  ///
  /// - Complexity: O(n).
  public func mean() -> Float {
    let total = doubleSums(kept: [Int](repeating: 1, count: rank), axes: Set(0..<rank))[0]
    return Float(total / Double(count))
  }

  // MARK: Maximum and minimum

  /// The largest element along `axes` (NaN if the slice holds a NaN).
  ///
  /// - Precondition: every reduced axis has at least one element.
  /// - Complexity: O(n).
  public func maximum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
    extremum(alongAxes: axes, keepingDimensions: keepingDimensions, largest: true)
  }

  /// The largest element along the given axes (NaN if the slice holds a NaN).
  ///
  /// - Complexity: O(n).
  public func maximum(alongAxes axes: Int..., keepingDimensions: Bool = false) -> Tensor {
    maximum(alongAxes: axes, keepingDimensions: keepingDimensions)
  }

  /// The largest element (NaN if any element is NaN).
  ///
  /// - Precondition: the tensor is not empty.
  /// - Complexity: O(n).
  public func maximum() -> Float {
    precondition(count > 0, "Cannot take the maximum of an empty tensor of shape \(shape).")
    return maximum(alongAxes: Array(0..<rank)).scalar
  }

  /// The smallest element along `axes` (NaN if the slice holds a NaN).
  ///
  /// - Precondition: every reduced axis has at least one element.
  /// - Complexity: O(n).
  public func minimum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
    extremum(alongAxes: axes, keepingDimensions: keepingDimensions, largest: false)
  }

  /// The smallest element along the given axes (NaN if the slice holds a NaN).
  ///
  /// - Complexity: O(n).
  public func minimum(alongAxes axes: Int..., keepingDimensions: Bool = false) -> Tensor {
    minimum(alongAxes: axes, keepingDimensions: keepingDimensions)
  }

  /// The smallest element (NaN if any element is NaN).
  ///
  /// - Precondition: the tensor is not empty.
  /// - Complexity: O(n).
  public func minimum() -> Float {
    precondition(count > 0, "Cannot take the minimum of an empty tensor of shape \(shape).")
    return minimum(alongAxes: Array(0..<rank)).scalar
  }

  // MARK: Arg-extrema

  /// The index along `axis` of the largest element of each lane, as exact integer values
  /// (`Float` represents every index below 2²⁴). Ties give the first index; a NaN counts as
  /// larger than everything (the index of the first NaN is returned, as in NumPy).
  ///
  /// `logits.argmax(alongAxis: 1)` of `[N, K]` logits is the `[N]` predicted classes.
  ///
  /// - Precondition: `shape[axis] > 0`.
  /// - Complexity: O(n).
  public func argmax(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
    argExtremum(alongAxis: axis, keepingDimensions: keepingDimensions) { $0 > $1 }
  }

  /// The index along `axis` of the smallest element of each lane (first on ties; first NaN if
  /// any).
  ///
  /// - Precondition: `shape[axis] > 0`.
  /// - Complexity: O(n).
  public func argmin(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
    argExtremum(alongAxis: axis, keepingDimensions: keepingDimensions) { $0 < $1 }
  }

  /// The row-major position of the largest element (first on ties; first NaN if any).
  ///
  /// - Precondition: the tensor is not empty.
  /// - Complexity: O(n).
  public func argmax() -> Int {
    precondition(count > 0, "Cannot take the argmax of an empty tensor of shape \(shape).")
    return Int(reshaped(to: [count]).argmax(alongAxis: 0).scalar)
  }

  /// The row-major position of the smallest element (first on ties; first NaN if any).
  ///
  /// - Precondition: the tensor is not empty.
  /// - Complexity: O(n).
  public func argmin() -> Int {
    precondition(count > 0, "Cannot take the argmin of an empty tensor of shape \(shape).")
    return Int(reshaped(to: [count]).argmin(alongAxis: 0).scalar)
  }

  // MARK: Adjoint of broadcasting

  /// Sums this tensor down to `targetShape`, a shape that broadcasts to this one: over the
  /// leading axes broadcasting added and over the axes where `targetShape` has extent 1.
  ///
  /// This is the adjoint (backward) of `broadcast(to:)`: the gradient of `x + b` with respect to
  /// a bias `b` of shape `[C, 1, 1]` is `gradient.unbroadcasted(to: [C, 1, 1])`.
  ///
  /// - Precondition: `targetShape` broadcasts to `shape`.
  /// - Complexity: O(n).
  public func unbroadcasted(to targetShape: [Int]) -> Tensor {
    precondition(
      targetShape.count <= rank
        && targetShape.indices.allSatisfy {
          targetShape[$0] == 1 || targetShape[$0] == shape[rank - targetShape.count + $0]
        },
      "Cannot unbroadcast shape \(shape) to \(targetShape): it does not broadcast to \(shape).")
    let lead = rank - targetShape.count
    var axes = Array(0..<lead)
    for axis in targetShape.indices where targetShape[axis] == 1 && shape[lead + axis] != 1 {
      axes.append(lead + axis)
    }
    return sum(alongAxes: axes, keepingDimensions: true).reshaped(to: targetShape)
  }
}

/// `Σ p[0..<n]` in Double, with eight independent partial sums (two `SIMD4<Double>`), so the
/// additions pipeline instead of waiting on one another.
@inline(__always)
func denseSum(_ p: UnsafePointer<Float>, _ n: Int) -> Double {
  var low = SIMD4<Double>()
  var high = SIMD4<Double>()
  var k = 0
  while k + 8 <= n {
    let v = UnsafeRawPointer(p + k).loadUnaligned(as: SIMD8<Float>.self)
    low += SIMD4<Double>(v.lowHalf)
    high += SIMD4<Double>(v.highHalf)
    k += 8
  }
  var total = (low + high).sum()
  while k < n {
    total += Double(p[k])
    k += 1
  }
  return total
}

/// The maximum (`largest`) or minimum of `p[0..<n]`, NaN if one of them is NaN, eight lanes at
/// a time.
@inline(__always)
func denseExtremum(_ p: UnsafePointer<Float>, _ n: Int, largest: Bool) -> Float {
  var best = SIMD8<Float>(repeating: largest ? -.infinity : .infinity)
  var sawNaN = SIMDMask<SIMD8<Float>.MaskStorage>(repeating: false)
  var k = 0
  while k + 8 <= n {
    let v = UnsafeRawPointer(p + k).loadUnaligned(as: SIMD8<Float>.self)
    sawNaN .|= v .!= v
    best.replace(with: v, where: largest ? v .> best : v .< best)
    k += 8
  }
  if any(sawNaN) { return .nan }
  var result = largest ? best.max() : best.min()
  while k < n {
    let x = p[k]
    if x.isNaN { return x }
    if largest ? x > result : x < result { result = x }
    k += 1
  }
  return result
}

/// `m[k] = extremum(m[k], x[k])` for `k < n`, keeping NaN from either side, eight lanes at a
/// time.
@inline(__always)
func denseExtremumUpdate(
  _ m: UnsafeMutablePointer<Float>, with x: UnsafePointer<Float>, _ n: Int, largest: Bool
) {
  var k = 0
  while k + 8 <= n {
    let v = UnsafeRawPointer(x + k).loadUnaligned(as: SIMD8<Float>.self)
    var best = UnsafeRawPointer(m + k).loadUnaligned(as: SIMD8<Float>.self)
    // NaN in `best` stays: no comparison with NaN is true and `v .!= v` is false for numbers.
    best.replace(with: v, where: (largest ? v .> best : v .< best) .| (v .!= v))
    UnsafeMutableRawPointer(m + k).storeBytes(of: best, as: SIMD8<Float>.self)
    k += 8
  }
  while k < n {
    let (v, best) = (x[k], m[k])
    if (largest ? v > best : v < best) || v.isNaN { m[k] = v }
    k += 1
  }
}
