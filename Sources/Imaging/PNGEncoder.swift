import CPNG
import Foundation
import Tensor

/// Encodes `[C, H, W]` tensors as PNG with libpng's simplified API (`png_image_write_to_memory`).
///
/// Channels: 1 → gray, 3 → RGB, 4 → RGBA (straight alpha in the tensor). Values are clamped to
/// [0, 1] and rounded half up (`PixelLayout.interleavedSamples`).
///
/// 8-bit files get libpng's `sRGB` chunk. For 16-bit files libpng writes `gAMA` 1.0 and `cHRM`
/// (it calls 16-bit data linear light); this encoder removes both, so that every reader takes the
/// samples as the same sRGB-encoded values the tensor holds (16-bit `v₁₆ / 65535` and 8-bit
/// `v₈ / 255` files of one tensor then look alike). libpng's 16-bit writer takes colour
/// premultiplied by alpha and divides it back, so 16-bit RGBA colour is exact where α = 1, within
/// about `1 / α₁₆` of a step elsewhere, and lost (written as 0) where α = 0; 8-bit RGBA is exact.
enum PNGEncoder {
  /// The PNG bytes of `image`.
  ///
  /// - Precondition: `image` is `[1|3|4, H, W]` with `H, W ≥ 1`.
  /// - Throws: `ImageError.notANumber`, `.encodingFailed` (libpng's message).
  /// - Complexity: O(`C · H · W`).
  static func encode(_ image: Tensor, bitDepth: PNGBitDepth, file: String) throws -> Data {
    precondition(
      image.rank == 3 && [1, 3, 4].contains(image.shape[0]) && image.shape[1] > 0
        && image.shape[2] > 0,
      "A PNG image must be [1, 3 or 4 channels, height ≥ 1, width ≥ 1], not \(image.shape).")
    let (channels, height, width) = (image.shape[0], image.shape[1], image.shape[2])
    // Gray is no flag; RGB is the colour flag; RGBA adds the alpha flag.
    var format: UInt32 = 0
    if channels >= 3 { format |= UInt32(PNG_FORMAT_FLAG_COLOR) }
    if channels == 4 { format |= UInt32(PNG_FORMAT_FLAG_ALPHA) }
    guard width <= Int(Int32.max) / 8, height <= Int(Int32.max) else {
      throw ImageError.encodingFailed(
        file: file, format: .png, reason: "\(width)×\(height) is too large for PNG")
    }
    let encoded: [UInt8]
    switch bitDepth {
    case .eight:
      let samples = try PixelLayout.interleavedSamples(of: image, as: UInt8.self, file: file)
      encoded = try samples.withUnsafeBytes {
        try write($0, width: width, height: height, format: format, file: file)
      }
    case .sixteen:
      format |= UInt32(PNG_FORMAT_FLAG_LINEAR)
      let samples = try PixelLayout.interleavedSamples(
        of: image, as: UInt16.self, premultiplyingAlpha: true, file: file)
      let written = try samples.withUnsafeBytes {
        try write($0, width: width, height: height, format: format, file: file)
      }
      encoded = try written.withUnsafeBytes { bytes in
        let chunks = try PNGChunks(bytes, file: file, extent: .complete)
        return chunks.removingColorSpaceChunks(from: bytes)
      }
    }
    return Data(encoded)
  }

  /// Runs `png_image_write_to_memory` into a buffer a little larger than the raw samples plus
  /// their filter bytes (deflate's worst case adds 5 bytes per 16 KiB block, IDAT framing 12 bytes
  /// per chunk), so that one compression pass suffices; grows it once if libpng asks for more.
  private static func write(
    _ samples: UnsafeRawBufferPointer, width: Int, height: Int, format: UInt32, file: String
  ) throws -> [UInt8] {
    var capacity = samples.count + height + samples.count / 256 + 4096
    for _ in 0..<2 {
      var image = png_image()
      image.version = UInt32(PNG_IMAGE_VERSION)
      image.width = UInt32(width)
      image.height = UInt32(height)
      image.format = format
      defer { png_image_free(&image) }
      var size = capacity
      var output = [UInt8](repeating: 0, count: capacity)
      let succeeded = output.withUnsafeMutableBytes { out in
        png_image_write_to_memory(&image, out.baseAddress, &size, 0, samples.baseAddress, 0, nil)
      }
      if succeeded != 0 {
        output.removeSubrange(size...)
        return output
      }
      guard size > capacity else {
        throw ImageError.encodingFailed(
          file: file, format: .png, reason: PNGDecoder.message(of: image))
      }
      capacity = size
    }
    throw ImageError.encodingFailed(
      file: file, format: .png, reason: "libpng asked for ever more output memory")
  }
}
