import FuzzSupport
import Models

/// One fuzz input: the bytes as a `.npz` archive when they start like a zip, as one
/// `.npy` array otherwise.
func fuzzNumPy(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let data = Fuzz.data(bytes, count)
  Fuzz.expectTypedErrors {
    if data.starts(with: [0x50, 0x4B]) {
      let archive = try ZipArchive(data, name: "fuzz.npz", limits: Fuzz.weightLimits)
      Fuzz.touch(try NumPyArchive.read(archive: archive, limits: Fuzz.weightLimits))
    } else {
      Fuzz.touch(try NumPyArray.read(data, name: "fuzz.npy", limits: Fuzz.weightLimits))
    }
  }
  return 0
}
