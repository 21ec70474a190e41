/// Views: new shapes and strides over the same storage, without copying.
extension Tensor {
  /// The same elements with a new shape. A view when the tensor is contiguous, otherwise a copy.
  ///
  /// One axis of `newShape` may be `-1`; it is inferred from the element count.
  public func reshaped(to newShape: [Int]) -> Tensor {
    var resolved = newShape
    let inferred = newShape.indices.filter { newShape[$0] == -1 }
    precondition(inferred.count <= 1, "Only one axis of \(newShape) may be -1.")
    if let axis = inferred.first {
      let known = newShape.enumerated().filter { $0.offset != axis }.map(\.element).reduce(1, *)
      precondition(
        known > 0 && count % known == 0, "Cannot reshape \(shape) to \(newShape).")
      resolved[axis] = count / known
    }
    Tensor.checkShape(resolved)
    precondition(
      resolved.reduce(1, *) == count,
      "Cannot reshape a tensor of shape \(shape) (\(count) elements) to \(newShape).")
    let dense = contiguous()
    return Tensor(
      storage: dense.storage, shape: resolved, strides: Tensor.contiguousStrides(for: resolved),
      offset: dense.offset)
  }

  /// A view with the axes reordered: axis `i` of the result is axis `order[i]` of this tensor.
  public func permuted(_ order: [Int]) -> Tensor {
    precondition(
      order.count == rank && Set(order) == Set(0..<rank),
      "\(order) is not a permutation of the \(rank) axes of \(shape).")
    return Tensor(
      storage: storage, shape: order.map { shape[$0] }, strides: order.map { strides[$0] },
      offset: offset)
  }

  /// A view with the last two axes swapped (the matrix transpose for rank 2).
  public func transposed() -> Tensor {
    precondition(rank >= 2, "Cannot transpose a tensor of rank \(rank).")
    var order = Array(0..<rank)
    order.swapAt(rank - 1, rank - 2)
    return permuted(order)
  }

  /// A view of the elements whose index along `axis` lies in `range`.
  public func sliced(axis: Int, _ range: Range<Int>) -> Tensor {
    let axis = normalizedAxis(axis)
    precondition(
      range.lowerBound >= 0 && range.upperBound <= shape[axis],
      "Slice \(range) is out of bounds for axis \(axis) of shape \(shape).")
    var newShape = shape
    newShape[axis] = range.count
    return Tensor(
      storage: storage, shape: newShape, strides: strides,
      offset: offset + range.lowerBound * strides[axis])
  }

  /// A view of one index along `axis`, with that axis removed (`x[i]` for axis 0).
  public func selecting(axis: Int, index: Int) -> Tensor {
    let axis = normalizedAxis(axis)
    precondition(
      index >= 0 && index < shape[axis],
      "Index \(index) is out of bounds for axis \(axis) of shape \(shape).")
    var newShape = shape
    var newStrides = strides
    newShape.remove(at: axis)
    newStrides.remove(at: axis)
    return Tensor(
      storage: storage, shape: newShape, strides: newStrides,
      offset: offset + index * strides[axis])
  }

  /// `x[i]`: the sub-tensor at index `i` of the first axis.
  public subscript(index index: Int) -> Tensor {
    selecting(axis: 0, index: index)
  }

  /// A view with a new axis of extent 1 inserted at `axis`.
  public func expandingShape(at axis: Int) -> Tensor {
    precondition(axis >= 0 && axis <= rank, "Cannot insert axis \(axis) into shape \(shape).")
    var newShape = shape
    var newStrides = strides
    newShape.insert(1, at: axis)
    newStrides.insert(axis < rank ? strides[axis] * shape[axis] : 1, at: axis)
    return Tensor(storage: storage, shape: newShape, strides: newStrides, offset: offset)
  }

  /// A view with the axes of extent 1 removed (only `axes` if given).
  public func squeezingShape(at axes: [Int]? = nil) -> Tensor {
    let remove = Set(axes.map { $0.map(normalizedAxis) } ?? shape.indices.filter { shape[$0] == 1 })
    for axis in remove {
      precondition(shape[axis] == 1, "Cannot squeeze axis \(axis) of shape \(shape).")
    }
    let keep = shape.indices.filter { !remove.contains($0) }
    return Tensor(
      storage: storage, shape: keep.map { shape[$0] }, strides: keep.map { strides[$0] },
      offset: offset)
  }

  /// A view broadcast to `newShape` (NumPy rules: leading axes are added, axes of extent 1 are
  /// repeated with stride 0). Writing to the result copies it first.
  public func broadcast(to newShape: [Int]) -> Tensor {
    precondition(
      newShape.count >= rank, "Cannot broadcast shape \(shape) to the lower rank \(newShape).")
    let lead = newShape.count - rank
    var newStrides = [Int](repeating: 0, count: newShape.count)
    for axis in 0..<rank {
      let target = newShape[lead + axis]
      if shape[axis] == target {
        newStrides[lead + axis] = strides[axis]
      } else {
        precondition(shape[axis] == 1, "Cannot broadcast shape \(shape) to \(newShape).")
        newStrides[lead + axis] = 0
      }
    }
    return Tensor(storage: storage, shape: newShape, strides: newStrides, offset: offset)
  }

  /// The shape two tensors broadcast to, by NumPy rules.
  public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
    let rank = Swift.max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
      let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
      let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
      precondition(x == y || x == 1 || y == 1, "Shapes \(a) and \(b) do not broadcast.")
      result[i] = x == 1 ? y : x
    }
    return result
  }

  /// Joins tensors along an existing axis; all other extents must match.
  public static func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
    precondition(!tensors.isEmpty, "Cannot concatenate an empty list of tensors.")
    let first = tensors[0]
    let axis = first.normalizedAxis(axis)
    for t in tensors {
      precondition(
        t.rank == first.rank
          && t.shape.indices.allSatisfy { $0 == axis || t.shape[$0] == first.shape[$0] },
        "Cannot concatenate shapes \(tensors.map(\.shape)) along axis \(axis).")
    }
    var shape = first.shape
    shape[axis] = tensors.map { $0.shape[axis] }.reduce(0, +)
    var result = Tensor(zeros: shape)
    var start = 0
    for t in tensors {
      result.assign(t, axis: axis, at: start)
      start += t.shape[axis]
    }
    return result
  }

  /// Stacks tensors of one shape along a new leading axis.
  public static func stack(_ tensors: [Tensor]) -> Tensor {
    concatenate(tensors.map { $0.expandingShape(at: 0) }, axis: 0)
  }

  /// Copies `source` into the slice of this tensor starting at `start` along `axis`.
  public mutating func assign(_ source: Tensor, axis: Int, at start: Int) {
    let axis = normalizedAxis(axis)
    precondition(
      source.rank == rank, "Cannot assign shape \(source.shape) into a tensor of shape \(shape).")
    makeUnique()
    let target = sliced(axis: axis, start..<(start + source.shape[axis]))
    precondition(
      target.shape == source.shape, "Cannot assign shape \(source.shape) into \(target.shape).")
    var destinations = [Int]()
    destinations.reserveCapacity(source.count)
    target.forEachStorageIndex { destinations.append($0) }
    var i = 0
    let pointer = storage.pointer
    source.forEachStorageIndex { index in
      pointer[destinations[i]] = source.storage.pointer[index]
      i += 1
    }
  }

  @usableFromInline
  func normalizedAxis(_ axis: Int) -> Int {
    let resolved = axis < 0 ? axis + rank : axis
    precondition(resolved >= 0 && resolved < rank, "Axis \(axis) is out of range for \(shape).")
    return resolved
  }
}
