import Foundation
import FuzzSupport
import Imaging

/// One fuzz input: the bytes as an image file (the PNG corpus steers it; `ImageFile`
/// recognises the format by its signature), decoded with every alpha policy's path reachable
/// through `.keep` and the default, and its header read by `info`.
func fuzzPNG(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let data = Fuzz.data(bytes, count)
  Fuzz.expectTypedErrors {
    let info = try ImageFile.info(of: data, named: "fuzz")
    let image = try ImageFile.decode(data, named: "fuzz", options: Fuzz.imageOptions)
    precondition(image.shape == [3, info.height, info.width], "decode disagrees with info")
  }
  Fuzz.expectTypedErrors {
    var options = Fuzz.imageOptions
    options.alpha = .keep
    _ = try ImageFile.decode(data, named: "fuzz", options: options)
  }
  return 0
}
