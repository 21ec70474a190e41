/// The heap buffer behind one or more `Tensor` values.
///
/// A tensor owns a reference to its storage; copies share it until one of them mutates, at which
/// point the mutating tensor makes its own copy (copy-on-write). The buffer is 64-byte aligned so
/// that vector kernels and BLAS see cache-line aligned data.
@usableFromInline
final class TensorStorage: @unchecked Sendable {
  // `@unchecked Sendable` is sound because a storage shared between tensors is never written:
  // every mutating path goes through `Tensor.makeUnique()` first.
  @usableFromInline let pointer: UnsafeMutablePointer<Float>
  @usableFromInline let count: Int

  @usableFromInline
  init(uninitializedCount count: Int) {
    precondition(count >= 0, "Cannot allocate a tensor with \(count) elements.")
    self.count = count
    let raw = UnsafeMutableRawPointer.allocate(
      byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
    self.pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
  }

  @usableFromInline
  convenience init(repeating value: Float, count: Int) {
    self.init(uninitializedCount: count)
    pointer.initialize(repeating: value, count: count)
  }

  @usableFromInline
  func copy() -> TensorStorage {
    let result = TensorStorage(uninitializedCount: count)
    result.pointer.initialize(from: pointer, count: count)
    return result
  }

  deinit {
    UnsafeMutableRawPointer(pointer).deallocate()
  }
}
