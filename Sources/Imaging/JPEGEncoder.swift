import CTurboJPEG
import Foundation
import Tensor

/// Encodes `[1, H, W]` (grayscale) or `[3, H, W]` (RGB) tensors as baseline JPEG with TurboJPEG
/// (`tjCompress2`), using the accurate integer DCT. Values are clamped to [0, 1] and rounded half
/// up to 8 bits first (`PixelLayout.interleavedSamples`).
enum JPEGEncoder {
  /// The JPEG bytes of `image`.
  ///
  /// - Precondition: `image` is `[1|3, H, W]` with `H, W ≥ 1` (JPEG has no alpha: composite or
  ///   drop it first); `quality` is in 1...100.
  /// - Throws: `ImageError.notANumber`, `.encodingFailed` (TurboJPEG's message, e.g. a side above
  ///   65,535).
  /// - Complexity: O(`C · H · W`).
  static func encode(
    _ image: Tensor, quality: Int, chromaSubsampling: ChromaSubsampling, file: String
  ) throws -> Data {
    precondition(
      image.rank == 3 && [1, 3].contains(image.shape[0]) && image.shape[1] > 0
        && image.shape[2] > 0,
      "A JPEG image must be [1 or 3 channels, height ≥ 1, width ≥ 1] (JPEG has no alpha), "
        + "not \(image.shape).")
    precondition((1...100).contains(quality), "JPEG quality must be in 1...100, not \(quality).")
    let (channels, height, width) = (image.shape[0], image.shape[1], image.shape[2])
    guard width <= 65535, height <= 65535 else {
      throw ImageError.encodingFailed(
        file: file, format: .jpeg, reason: "\(width)×\(height) exceeds JPEG's 65535 per side")
    }
    let samples = try PixelLayout.interleavedSamples(of: image, as: UInt8.self, file: file)
    guard let handle = tjInitCompress() else {
      throw ImageError.encodingFailed(
        file: file, format: .jpeg, reason: "TurboJPEG could not create a compressor")
    }
    defer { tjDestroy(handle) }
    let subsampling: TJSAMP
    if channels == 1 {
      subsampling = TJSAMP_GRAY
    } else {
      switch chromaSubsampling {
      case .s444: subsampling = TJSAMP_444
      case .s422: subsampling = TJSAMP_422
      case .s420: subsampling = TJSAMP_420
      }
    }
    var output: UnsafeMutablePointer<UInt8>?
    var size: UInt = 0
    defer { tjFree(output) }
    let status = samples.withUnsafeBufferPointer { source in
      tjCompress2(
        handle, source.baseAddress, Int32(width), 0, Int32(height),
        (channels == 1 ? TJPF_GRAY : TJPF_RGB).rawValue, &output, &size,
        Int32(subsampling.rawValue), Int32(quality), TJFLAG_ACCURATEDCT)
    }
    guard status == 0, let output else {
      throw ImageError.encodingFailed(
        file: file, format: .jpeg, reason: JPEGDecoder.errorMessage(handle))
    }
    return Data(bytes: output, count: Int(size))
  }
}
