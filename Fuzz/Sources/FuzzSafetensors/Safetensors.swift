import FuzzSupport
import Models

/// One fuzz input: the bytes as a safetensors file.
func fuzzSafetensors(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let data = Fuzz.data(bytes, count)
  Fuzz.expectTypedErrors {
    Fuzz.touch(try Safetensors.read(data, name: "fuzz.safetensors", limits: Fuzz.weightLimits))
  }
  return 0
}
