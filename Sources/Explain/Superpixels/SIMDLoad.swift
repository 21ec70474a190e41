/// The four doubles at `pointer` (any alignment).
@inline(__always)
func load4(_ pointer: UnsafePointer<Double>) -> SIMD4<Double> {
  UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Double>.self)
}

/// Adds `value` to the four doubles at `pointer` (any alignment).
@inline(__always)
func add4(_ value: SIMD4<Double>, to pointer: UnsafeMutablePointer<Double>) {
  let raw = UnsafeMutableRawPointer(pointer)
  raw.storeBytes(of: raw.loadUnaligned(as: SIMD4<Double>.self) + value, as: SIMD4<Double>.self)
}
