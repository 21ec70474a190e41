@testable import Models
import FuzzSupport

/// One fuzz input: the bytes as a zip archive, read as a PyTorch checkpoint (the zip
/// reader, inflate, the restricted unpickler and the tensor rebuilding).
func fuzzTorchZip(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let data = Fuzz.data(bytes, count)
  Fuzz.expectTypedErrors {
    let archive = try ZipArchive(data, name: "fuzz.pth", limits: Fuzz.weightLimits)
    Fuzz.touch(try TorchCheckpoint.read(archive: archive, limits: Fuzz.weightLimits))
  }
  return 0
}
