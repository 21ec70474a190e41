@testable import Models
import FuzzSupport

/// One fuzz input: the bytes as a legacy (pre-zip, consecutive pickles) PyTorch
/// checkpoint.
func fuzzTorchLegacy(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let data = Fuzz.data(bytes, count)
  Fuzz.expectTypedErrors {
    Fuzz.touch(try TorchCheckpoint.readLegacy(data, name: "fuzz.pth", limits: Fuzz.weightLimits))
  }
  return 0
}
