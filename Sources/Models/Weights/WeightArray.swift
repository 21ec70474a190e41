import Foundation
import Tensor

/// One array read from a weight file, in its stored element type: `shape`, `dtype` and the
/// elements as dense row-major little-endian bytes.
///
/// Readers produce `WeightArray`s so that nothing is lost before the caller decides: `tensor()`
/// converts any type to `Float`; `int64Scalars()` gives integer arrays (such as batch norm's
/// `num_batches_tracked`) exactly. For memory-mapped safetensors and stored zip entries `data`
/// is a slice of the mapped file, not a copy.
public struct WeightArray: Sendable, Equatable {
  /// The stored element type.
  public let dtype: WeightDType
  /// The extent of each axis (`[]` for a scalar).
  public let shape: [Int]
  /// `shape.product × dtype.byteCount` bytes: the elements in row-major order, little-endian.
  public let data: Data

  /// An array over existing bytes.
  ///
  /// - Precondition: `shape` has no negative extent and `data.count` equals
  ///   `shape.product × dtype.byteCount`.
  public init(dtype: WeightDType, shape: [Int], data: Data) {
    precondition(shape.allSatisfy { $0 >= 0 }, "A weight array shape cannot be negative: \(shape).")
    let expected = WeightArray.byteCount(shape: shape, dtype: dtype)
    precondition(
      expected == data.count,
      "A \(dtype) array of shape \(shape) needs \(expected.map(String.init) ?? "too many") bytes, "
        + "got \(data.count).")
    self.dtype = dtype
    self.shape = shape
    self.data = data
  }

  /// A float32 array holding the elements of `tensor` (any layout) in row-major order.
  ///
  /// - Complexity: O(`tensor.count`).
  public init(_ tensor: Tensor) {
    var bytes = Data(count: tensor.count * 4)
    tensor.withUnsafeBufferPointer { source in
      bytes.withUnsafeMutableBytes { target in
        for i in 0..<source.count {
          target.storeBytes(
            of: source[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
        }
      }
    }
    self.init(dtype: .float32, shape: tensor.shape, data: bytes)
  }

  /// The number of elements (1 for a scalar).
  public var count: Int { shape.reduce(1, *) }

  /// `shape.product × dtype.byteCount`, or `nil` when that overflows `Int`.
  static func byteCount(shape: [Int], dtype: WeightDType) -> Int? {
    var total = dtype.byteCount
    for extent in shape {
      guard extent >= 0 else { return nil }
      let (product, overflow) = total.multipliedReportingOverflow(by: extent)
      if overflow { return nil }
      total = product
    }
    return total
  }

  /// The elements converted to `Float`, as a contiguous tensor of the same shape.
  ///
  /// float64 and integers round to nearest; halves and bfloat16 convert exactly; `bool` is 0 or 1.
  /// - Complexity: O(count); a copy of the data.
  public func tensor() -> Tensor {
    let n = count
    return data.withUnsafeBytes { raw in
      Tensor(shape: shape) { out in
        for i in 0..<n { out[i] = element(raw, i) }
      }
    }
  }

  /// The elements as exact 64-bit integers, or `nil` for floating-point arrays (uint64 values
  /// above `Int64.max` wrap, as NumPy's `astype(int64)` does).
  /// - Complexity: O(count).
  public func int64Scalars() -> [Int64]? {
    guard !dtype.isFloatingPoint else { return nil }
    let n = count
    return data.withUnsafeBytes { raw in
      (0..<n).map { i -> Int64 in
        switch dtype {
        case .int64: return raw.element(Int64.self, i)
        case .uint64: return Int64(bitPattern: raw.element(UInt64.self, i))
        case .int32: return Int64(raw.element(Int32.self, i))
        case .uint32: return Int64(raw.element(UInt32.self, i))
        case .int16: return Int64(raw.element(Int16.self, i))
        case .uint16: return Int64(raw.element(UInt16.self, i))
        case .int8: return Int64(raw.load(fromByteOffset: i, as: Int8.self))
        case .uint8, .bool: return Int64(raw[i])
        case .float64, .float32, .float16, .bfloat16: return 0  // excluded by the guard above
        }
      }
    }
  }

  /// The elements converted to `Double` (exact except for 64-bit integers beyond 2⁵³).
  /// - Complexity: O(count).
  public func doubleScalars() -> [Double] {
    let n = count
    if dtype == .float64 {
      return data.withUnsafeBytes { raw in
        (0..<n).map { i in
          Double(bitPattern: raw.element(UInt64.self, i))
        }
      }
    }
    if let integers = int64Scalars() {
      if dtype == .uint64 { return integers.map { Double(UInt64(bitPattern: $0)) } }
      return integers.map(Double.init)
    }
    return data.withUnsafeBytes { raw in (0..<n).map { Double(element(raw, $0)) } }
  }

  /// Element `i` of `raw` (the bytes of `data`) converted to `Float`.
  @inline(__always)
  private func element(_ raw: UnsafeRawBufferPointer, _ i: Int) -> Float {
    switch dtype {
    case .float32:
      return Float(bitPattern: raw.element(UInt32.self, i))
    case .float64:
      return Float(Double(bitPattern: raw.element(UInt64.self, i)))
    case .float16:
      return WeightDType.float(fromHalfBits: raw.element(UInt16.self, i))
    case .bfloat16:
      return WeightDType.float(fromBFloat16Bits: raw.element(UInt16.self, i))
    case .int64: return Float(raw.element(Int64.self, i))
    case .uint64: return Float(raw.element(UInt64.self, i))
    case .int32: return Float(raw.element(Int32.self, i))
    case .uint32: return Float(raw.element(UInt32.self, i))
    case .int16: return Float(raw.element(Int16.self, i))
    case .uint16: return Float(raw.element(UInt16.self, i))
    case .int8: return Float(raw.load(fromByteOffset: i, as: Int8.self))
    case .uint8: return Float(raw[i])
    case .bool: return raw[i] == 0 ? 0 : 1
    }
  }
}

extension WeightArray {
  /// Dense row-major little-endian bytes of the strided view `shape`/`strides`/`offset` (all in
  /// elements of `elementSize` bytes) of `source`, byte-swapping each element when `swapBytes`.
  ///
  /// - Precondition: `elementSize` is 1, 2, 4 or 8 and every element the view addresses lies
  ///   inside `source` (callers validate views read from files before calling).
  /// - Complexity: O(number of elements × elementSize).
  static func gather(
    _ source: UnsafeRawBufferPointer, elementSize: Int, shape: [Int], strides: [Int], offset: Int,
    swapBytes: Bool
  ) -> Data {
    precondition(
      [1, 2, 4, 8].contains(elementSize)
        && viewFits(
          shape: shape, strides: strides, offset: offset,
          storageCount: source.count / max(elementSize, 1)),
      "A strided view \(shape) / \(strides) + \(offset) must lie inside its storage.")
    let count = shape.reduce(1, *)
    var result = Data(count: count * elementSize)
    guard count > 0, let input = source.baseAddress else { return result }
    if shape.isEmpty || strides == Tensor.contiguousStrides(for: shape), !swapBytes {
      result.withUnsafeMutableBytes { target in
        target.baseAddress?.copyMemory(
          from: input + offset * elementSize, byteCount: count * elementSize)
      }
      return result
    }
    // Walk the outer axes like an odometer; copy the innermost axis in a tight loop.
    let rank = shape.count
    let innerCount = rank == 0 ? 1 : shape[rank - 1]
    let innerStride = rank == 0 ? 0 : strides[rank - 1]
    result.withUnsafeMutableBytes { target in
      guard let out = target.baseAddress else { return }
      func copyRows<T: FixedWidthInteger>(_: T.Type) {
        var index = [Int](repeating: 0, count: max(rank - 1, 0))
        var base = offset
        var written = 0
        while written < count {
          var position = base
          for _ in 0..<innerCount {
            var value = input.loadUnaligned(fromByteOffset: position * elementSize, as: T.self)
            if swapBytes { value = value.byteSwapped }
            out.storeBytes(of: value, toByteOffset: written * elementSize, as: T.self)
            position += innerStride
            written += 1
          }
          var axis = rank - 2
          while axis >= 0 {
            index[axis] += 1
            base += strides[axis]
            if index[axis] < shape[axis] { break }
            base -= strides[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
          }
        }
      }
      switch elementSize {
      case 1: copyRows(UInt8.self)
      case 2: copyRows(UInt16.self)
      case 4: copyRows(UInt32.self)
      default: copyRows(UInt64.self)
      }
    }
    return result
  }

  /// Whether every element of the strided view `shape`/`strides`/`offset` (in elements) lies in
  /// `0 ..< storageCount`, computed without overflow. Negative extents, strides or offsets are
  /// rejected; an empty view fits when its offset is at most `storageCount`.
  /// - Complexity: O(rank).
  static func viewFits(shape: [Int], strides: [Int], offset: Int, storageCount: Int) -> Bool {
    guard shape.count == strides.count, offset >= 0, storageCount >= 0 else { return false }
    guard shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else { return false }
    if shape.contains(0) { return offset <= storageCount }
    var last = offset
    for (extent, stride) in zip(shape, strides) {
      let (step, o1) = (extent - 1).multipliedReportingOverflow(by: stride)
      let (sum, o2) = last.addingReportingOverflow(step)
      if o1 || o2 { return false }
      last = sum
    }
    return last < storageCount
  }
}

extension UnsafeRawBufferPointer {
  /// Element `index` of an unaligned little-endian array of `T`.
  @inline(__always)
  func element<T: FixedWidthInteger>(_: T.Type, _ index: Int) -> T {
    T(littleEndian: loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self))
  }
}
