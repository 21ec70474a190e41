/// A strided, copy-on-write, n-dimensional array of `Float`.
///
/// A tensor is a view: a shared storage buffer, a `shape`, `strides` (in elements, one per axis)
/// and an `offset` to its first element. Reshaping contiguous data, permuting axes, slicing along
/// an axis and broadcasting produce new views of the same storage without copying; the first
/// mutation of a shared storage copies it (value semantics, like `Array`).
///
/// Images are `[channels, height, width]` or batches `[batch, channels, height, width]` (NCHW, as
/// in PyTorch), so that torchvision weights load without transposes.
///
/// The module and the type share the name `Tensor`. Plain `Tensor` names the type; where another
/// module also declares a `Tensor`, qualify it with a module selector, `Tensor::Tensor` (Swift 6.3
/// and later). `Tensor.Tensor` does not compile: the first `Tensor` already resolves to the type.
public struct Tensor: Sendable {
  @usableFromInline var storage: TensorStorage
  /// The extent of each axis.
  public private(set) var shape: [Int]
  /// The distance, in elements, between neighbours along each axis (0 for a broadcast axis).
  public private(set) var strides: [Int]
  /// The index in storage of the element at all-zero indices.
  public private(set) var offset: Int

  @usableFromInline
  init(storage: TensorStorage, shape: [Int], strides: [Int], offset: Int) {
    self.storage = storage
    self.shape = shape
    self.strides = strides
    self.offset = offset
  }

  /// A contiguous tensor of the given shape with every element equal to `value`.
  public init(shape: [Int], repeating value: Float) {
    Tensor.checkShape(shape)
    let count = shape.reduce(1, *)
    self.init(
      storage: TensorStorage(repeating: value, count: count), shape: shape,
      strides: Tensor.contiguousStrides(for: shape), offset: 0)
  }

  /// A contiguous tensor of zeros.
  public init(zeros shape: [Int]) {
    self.init(shape: shape, repeating: 0)
  }

  /// A contiguous tensor holding `scalars` in row-major order.
  ///
  /// - Precondition: `scalars.count` equals the product of `shape`.
  public init<C: Collection>(shape: [Int], scalars: C) where C.Element == Float {
    Tensor.checkShape(shape)
    let count = shape.reduce(1, *)
    precondition(
      scalars.count == count,
      "Cannot make a tensor of shape \(shape) (\(count) elements) from \(scalars.count) scalars.")
    let storage = TensorStorage(uninitializedCount: count)
    // Arrays and buffers: one bulk copy (this initialiser is not specialised across modules, and
    // element-wise iteration through the generic Collection witnesses costs ~10 ns per element).
    let copied: Void? = scalars.withContiguousStorageIfAvailable { buffer in
      if let base = buffer.baseAddress { storage.pointer.initialize(from: base, count: count) }
    }
    if copied != nil {
      self.init(
        storage: storage, shape: shape, strides: Tensor.contiguousStrides(for: shape), offset: 0)
      return
    }
    var index = 0
    for value in scalars {
      (storage.pointer + index).initialize(to: value)
      index += 1
    }
    self.init(
      storage: storage, shape: shape, strides: Tensor.contiguousStrides(for: shape), offset: 0)
  }

  /// A rank-0 tensor holding one value.
  public init(_ scalar: Float) {
    self.init(shape: [], repeating: scalar)
  }

  /// A contiguous tensor of the given shape whose elements are written by `body`, in row-major
  /// order, into an uninitialised buffer of exactly `shape.product` elements.
  ///
  /// `body` must initialise every element.
  @inlinable
  public init(
    shape: [Int],
    unsafeUninitializedCapacity body: (UnsafeMutableBufferPointer<Float>) throws -> Void
  ) rethrows {
    Tensor.checkShape(shape)
    let count = shape.reduce(1, *)
    let storage = TensorStorage(uninitializedCount: count)
    try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    self.init(
      storage: storage, shape: shape, strides: Tensor.contiguousStrides(for: shape), offset: 0)
  }

  /// The number of axes.
  @inlinable public var rank: Int { shape.count }

  /// The number of elements (the product of `shape`; 1 for a scalar).
  @inlinable public var count: Int { shape.reduce(1, *) }

  /// Whether the elements are laid out densely in row-major order, starting at `offset`.
  public var isContiguous: Bool {
    var expected = 1
    for axis in stride(from: rank - 1, through: 0, by: -1) where shape[axis] != 1 {
      if strides[axis] != expected { return false }
      expected *= shape[axis]
    }
    return true
  }

  /// Row-major strides for a dense tensor of the given shape.
  public static func contiguousStrides(for shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var running = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
      strides[axis] = running
      running *= shape[axis]
    }
    return strides
  }

  @usableFromInline
  static func checkShape(_ shape: [Int]) {
    precondition(shape.allSatisfy { $0 >= 0 }, "A tensor shape cannot be negative: \(shape).")
  }
}

// MARK: - Element access

extension Tensor {
  /// The storage index of the element at `indices`.
  @inlinable
  func storageIndex(_ indices: [Int]) -> Int {
    precondition(
      indices.count == rank,
      "Cannot index a tensor of shape \(shape) with \(indices.count) indices.")
    var index = offset
    for axis in 0..<rank {
      precondition(
        indices[axis] >= 0 && indices[axis] < shape[axis],
        "Index \(indices) is out of range for shape \(shape).")
      index += indices[axis] * strides[axis]
    }
    return index
  }

  /// The element at the given indices, one per axis.
  @inlinable
  public subscript(_ indices: Int...) -> Float {
    get { storage.pointer[storageIndex(indices)] }
    set {
      makeUnique()
      storage.pointer[storageIndex(indices)] = newValue
    }
  }

  /// The value of a tensor with exactly one element.
  public var scalar: Float {
    precondition(count == 1, "Cannot read a scalar from a tensor of shape \(shape).")
    return storage.pointer[offset]
  }

  /// The elements in row-major order.
  public var scalars: [Float] {
    let dense = contiguous()
    return Array(UnsafeBufferPointer(start: dense.storage.pointer + dense.offset, count: count))
  }

  /// Ensures the storage is referenced only by this tensor and that no axis is broadcast
  /// (stride 0 over more than one element), copying if needed.
  @inlinable
  mutating func makeUnique() {
    let broadcast = zip(shape, strides).contains { $0.0 > 1 && $0.1 == 0 }
    if broadcast {
      self = materialized()
    } else if !isKnownUniquelyReferenced(&storage) {
      storage = storage.copy()
    }
  }

  /// A dense row-major copy of this view (always a new buffer).
  public func materialized() -> Tensor {
    Tensor(shape: shape) { buffer in
      var position = 0
      forEachStorageIndex { index in
        (buffer.baseAddress! + position).initialize(to: storage.pointer[index])
        position += 1
      }
    }
  }

  /// This tensor if it is already contiguous, otherwise a dense copy.
  public func contiguous() -> Tensor {
    isContiguous ? self : materialized()
  }

  /// Calls `body` with the storage index of every element, in row-major order.
  @inlinable
  func forEachStorageIndex(_ body: (Int) -> Void) {
    let n = count
    if n == 0 { return }
    if rank == 0 {
      body(offset)
      return
    }
    let last = rank - 1
    let innerCount = shape[last]
    let innerStride = strides[last]
    var index = [Int](repeating: 0, count: rank)
    var base = offset
    while true {
      var position = base
      for _ in 0..<innerCount {
        body(position)
        position += innerStride
      }
      // Advance the outer indices like an odometer.
      var axis = last - 1
      while axis >= 0 {
        index[axis] += 1
        base += strides[axis]
        if index[axis] < shape[axis] { break }
        base -= strides[axis] * shape[axis]
        index[axis] = 0
        axis -= 1
      }
      if axis < 0 { return }
    }
  }

  /// Calls `body` with a pointer to the dense row-major elements of this tensor (copying first if
  /// it is not contiguous).
  @inlinable
  public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows
    -> R
  {
    let dense = contiguous()
    return try withExtendedLifetime(dense.storage) {
      try body(UnsafeBufferPointer(start: dense.storage.pointer + dense.offset, count: dense.count))
    }
  }

  /// Calls `body` with a mutable pointer to the dense row-major elements of this tensor, making
  /// the storage unique and contiguous first.
  @inlinable
  public mutating func withUnsafeMutableBufferPointer<R>(
    _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
  ) rethrows -> R {
    if !isContiguous {
      self = materialized()
    } else {
      makeUnique()
    }
    return try body(UnsafeMutableBufferPointer(start: storage.pointer + offset, count: count))
  }
}

extension Tensor: CustomStringConvertible {
  public var description: String {
    let values = scalars
    let shown = values.prefix(8).map { "\($0)" }.joined(separator: ", ")
    return "Tensor(shape: \(shape), [\(shown)\(values.count > 8 ? ", …" : "")])"
  }
}

extension Tensor: Equatable {
  /// Tensors are equal when their shapes and all elements are equal (layout is ignored).
  public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
    lhs.shape == rhs.shape && lhs.scalars == rhs.scalars
  }
}
