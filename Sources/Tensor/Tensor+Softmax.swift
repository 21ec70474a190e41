import Foundation

/// Softmax, log-softmax and log-sum-exp along one axis, with their backward passes.
///
/// All three subtract the lane maximum `m` before exponentiating, so no finite input overflows:
/// `softmax(x)ᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m)`,
/// `logSoftmax(x)ᵢ = (xᵢ − m) − log Σⱼ exp(xⱼ − m)`,
/// `logSumExp(x) = m + log Σⱼ exp(xⱼ − m)`. The sums are accumulated in Double.
///
/// Edge cases (as in PyTorch): a lane holding a NaN or `+inf` is all NaN after softmax and
/// log-softmax; a lane of only `-inf` is all NaN too (the distribution is undefined), while its
/// log-sum-exp is `-inf`; a `-inf` next to finite values gets probability 0 (log-probability
/// `-inf`).
extension Tensor {
  /// Calls `body` with the storage index of the first element of every lane along `axis` in each
  /// of three operands of shape `shape` (one stride list per operand).
  @inline(__always)
  static func forEachLane(
    shape: [Int], axis: Int, strides s0: [Int], _ s1: [Int], _ s2: [Int],
    bases: (Int, Int, Int), _ body: (Int, Int, Int) -> Void
  ) {
    var laneShape = shape
    var t0 = s0
    var t1 = s1
    var t2 = s2
    laneShape.remove(at: axis)
    t0.remove(at: axis)
    t1.remove(at: axis)
    t2.remove(at: axis)
    let loop = StridedLoop(shape: laneShape, t0, t1, t2)
    let n = loop.innerCount
    let (r0, r1, r2) = loop.innerStrides
    loop.forEachRun(bases.0, bases.1, bases.2) { a, b, c in
      for r in 0..<n { body(a + r * r0, b + r * r1, c + r * r2) }
    }
  }

  /// The maximum of a lane of `length` elements from `p[base]` with stride `step`; NaN if the
  /// lane holds a NaN.
  @inline(__always)
  static func laneMaximum(_ p: UnsafeMutablePointer<Float>, _ base: Int, _ step: Int, _ length: Int)
    -> Float
  {
    var m = -Float.infinity
    for k in 0..<length {
      let x = p[base + k * step]
      if x > m || x.isNaN { m = x }
      if m.isNaN { break }
    }
    return m
  }

  /// Applies `lane(input, inputBase, inputStep, output, outputBase, outputStep, length)` to every
  /// lane along `axis`, writing into a new dense tensor of this shape.
  @inline(__always)
  func mapLanes(
    alongAxis axis: Int,
    _ lane: (UnsafeMutablePointer<Float>, Int, Int, UnsafeMutablePointer<Float>, Int, Int, Int)
      -> Void
  ) -> Tensor {
    let axis = normalizedAxis(axis)
    let outputStrides = Tensor.contiguousStrides(for: shape)
    let zeros = [Int](repeating: 0, count: rank)
    let length = shape[axis]
    let step = strides[axis]
    let outputStep = outputStrides[axis]
    let p = storage.pointer
    return Tensor(shape: shape) { out in
      guard let po = out.baseAddress else { return }
      Tensor.forEachLane(
        shape: shape, axis: axis, strides: strides, outputStrides, zeros, bases: (offset, 0, 0)
      ) { i, o, _ in
        lane(p, i, step, po, o, outputStep, length)
      }
    }
  }

  /// The softmax along `axis` (default: the last): non-negative, summing to 1 along `axis`.
  ///
  /// `y = exp(x − m) / Σ exp(x − m)` with `m` the lane maximum (see the type's edge cases).
  ///
  /// - Complexity: O(n) exponentials for the `n` elements.
  public func softmax(alongAxis axis: Int = -1) -> Tensor {
    mapLanes(alongAxis: axis) { p, i, s, po, o, t, length in
      let m = Tensor.laneMaximum(p, i, s, length)
      var total = 0.0
      for k in 0..<length {
        let e = Foundation.exp(p[i + k * s] - m)
        po[o + k * t] = e
        total += Double(e)
      }
      let scale = Float(1 / total)
      for k in 0..<length { po[o + k * t] *= scale }
    }
  }

  /// The logarithm of the softmax along `axis` (default: the last), computed without forming the
  /// softmax: `log y = (x − m) − log Σ exp(x − m)`, accurate where the softmax underflows.
  ///
  /// - Complexity: O(n) exponentials for the `n` elements.
  public func logSoftmax(alongAxis axis: Int = -1) -> Tensor {
    mapLanes(alongAxis: axis) { p, i, s, po, o, t, length in
      let m = Tensor.laneMaximum(p, i, s, length)
      var total = 0.0
      for k in 0..<length { total += Double(Foundation.exp(p[i + k * s] - m)) }
      let logTotal = Float(Foundation.log(total))
      for k in 0..<length { po[o + k * t] = (p[i + k * s] - m) - logTotal }
    }
  }

  /// `log Σ exp(x)` along `axis`, computed as `m + log Σ exp(x − m)`: `-inf` for a lane of only
  /// `-inf` (or an empty lane), `+inf` if the lane holds `+inf`, NaN if it holds a NaN.
  ///
  /// - Complexity: O(n) exponentials for the `n` elements.
  public func logSumExp(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
    let axis = normalizedAxis(axis)
    var kept = shape
    kept[axis] = 1
    var outputStrides = Tensor.contiguousStrides(for: kept)
    outputStrides[axis] = 0
    let zeros = [Int](repeating: 0, count: rank)
    let length = shape[axis]
    let step = strides[axis]
    let p = storage.pointer
    let result = Tensor(shape: kept) { out in
      guard let po = out.baseAddress else { return }
      Tensor.forEachLane(
        shape: shape, axis: axis, strides: strides, outputStrides, zeros, bases: (offset, 0, 0)
      ) { i, o, _ in
        let m = Tensor.laneMaximum(p, i, step, length)
        if !m.isFinite {
          po[o] = m
          return
        }
        var total = 0.0
        for k in 0..<length { total += Double(Foundation.exp(p[i + k * step] - m)) }
        po[o] = m + Float(Foundation.log(total))
      }
    }
    return keepingDimensions ? result : result.squeezingShape(at: [axis])
  }

  /// The backward pass of `softmax(alongAxis:)`: given `y = softmax(x)` and `g = ∂L/∂y`,
  /// returns `∂L/∂x = y ⊙ (g − Σ g ⊙ y)`, the sum taken along `axis` and broadcast back.
  ///
  /// - Precondition: `outputGradient` and `output` have the same shape.
  /// - Complexity: O(n).
  public static func softmaxBackward(
    outputGradient: Tensor, output: Tensor, alongAxis axis: Int = -1
  ) -> Tensor {
    precondition(
      outputGradient.shape == output.shape,
      "The softmax gradient \(outputGradient.shape) must have the output's shape \(output.shape).")
    let axis = output.normalizedAxis(axis)
    let shape = output.shape
    let resultStrides = contiguousStrides(for: shape)
    let length = shape[axis]
    let (gs, ys, rs) = (outputGradient.strides[axis], output.strides[axis], resultStrides[axis])
    let pg = outputGradient.storage.pointer
    let py = output.storage.pointer
    return Tensor(shape: shape) { out in
      guard let po = out.baseAddress else { return }
      forEachLane(
        shape: shape, axis: axis, strides: outputGradient.strides, output.strides, resultStrides,
        bases: (outputGradient.offset, output.offset, 0)
      ) { g, y, r in
        var inner = 0.0
        for k in 0..<length { inner += Double(pg[g + k * gs]) * Double(py[y + k * ys]) }
        let dot = Float(inner)
        for k in 0..<length { po[r + k * rs] = py[y + k * ys] * (pg[g + k * gs] - dot) }
      }
    }
  }

  /// The backward pass of `logSoftmax(alongAxis:)`: given `z = logSoftmax(x)` and `g = ∂L/∂z`,
  /// returns `∂L/∂x = g − exp(z) ⊙ Σ g`, the sum taken along `axis` and broadcast back.
  ///
  /// - Precondition: `outputGradient` and `output` have the same shape.
  /// - Complexity: O(n).
  public static func logSoftmaxBackward(
    outputGradient: Tensor, output: Tensor, alongAxis axis: Int = -1
  ) -> Tensor {
    precondition(
      outputGradient.shape == output.shape,
      "The log-softmax gradient \(outputGradient.shape) must have the output's shape "
        + "\(output.shape).")
    let axis = output.normalizedAxis(axis)
    let shape = output.shape
    let resultStrides = contiguousStrides(for: shape)
    let length = shape[axis]
    let (gs, zs, rs) = (outputGradient.strides[axis], output.strides[axis], resultStrides[axis])
    let pg = outputGradient.storage.pointer
    let pz = output.storage.pointer
    return Tensor(shape: shape) { out in
      guard let po = out.baseAddress else { return }
      forEachLane(
        shape: shape, axis: axis, strides: outputGradient.strides, output.strides, resultStrides,
        bases: (outputGradient.offset, output.offset, 0)
      ) { g, z, r in
        var total = 0.0
        for k in 0..<length { total += Double(pg[g + k * gs]) }
        let sum = Float(total)
        for k in 0..<length {
          po[r + k * rs] = pg[g + k * gs] - Foundation.exp(pz[z + k * zs]) * sum
        }
      }
    }
  }
}
