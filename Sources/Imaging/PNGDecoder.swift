import CPNG
import Tensor

/// Decodes PNG streams with libpng's simplified API (`png_image_*`), which reports errors through
/// return codes and `png_image.message` instead of `longjmp`.
///
/// Every PNG colour type and bit depth is read, interlaced or not. The samples come back as
/// stored: the colour-space chunks are removed first (see `PNGChunks`), so libpng applies no gamma
/// conversion, and 16-bit files are read as 16-bit ("linear" in libpng's terms), so `v / 65535` of
/// a 16-bit file equals `v / 255` of its 8-bit version wherever `v₁₆ = 257·v₈`. Pixels match
/// Pillow's and numpy's values exactly.
///
/// libpng returns 16-bit colour premultiplied by alpha; `PixelLayout` undoes it where the policy
/// asks for straight colour (exact to within `0.5 / α₁₆` of a 16-bit step; colour under α = 0 is
/// lost). 8-bit alpha is straight.
///
/// Errors: critical-chunk CRC mismatches (`IHDR`, `PLTE`, `IDAT`, `IEND`) and malformed data fail;
/// a CRC mismatch in an ancillary chunk (`tEXt`, `pHYs`, …) is a libpng warning: the chunk is
/// skipped and the image decodes.
enum PNGDecoder {
  /// The header of a PNG stream.
  ///
  /// - Throws: `ImageError` (truncated before the first `IDAT`, corrupt header chunks, empty
  ///   image).
  /// - Complexity: O(size of the chunks before the first `IDAT`).
  static func info(_ bytes: UnsafeRawBufferPointer, file: String) throws -> ImageInfo {
    let chunks = try PNGChunks(bytes, file: file, extent: .header)
    let header = chunks.header
    // libpng validates what precedes the pixels (CRCs, PLTE, tRNS) without reading them.
    try withStoredSamplesStream(bytes, chunks: chunks) { stream in
      var image = png_image()
      image.version = UInt32(PNG_IMAGE_VERSION)
      defer { png_image_free(&image) }
      guard png_image_begin_read_from_memory(&image, stream.baseAddress, stream.count) != 0 else {
        throw ImageError.corruptData(file: file, format: .png, reason: message(of: image))
      }
    }
    let model: ImageInfo.ColorModel
    switch header.colorType {
    case 0, 4: model = .gray
    case 3: model = .palette
    default: model = .rgb
    }
    return ImageInfo(
      width: header.width, height: header.height, format: .png, colorModel: model,
      bitDepth: header.bitDepth,
      hasAlpha: header.colorType == 4 || header.colorType == 6 || chunks.hasTransparency)
  }

  /// The pixels of a PNG stream as `[3, H, W]` (or `[4, H, W]` for `AlphaPolicy.keep`) in [0, 1].
  ///
  /// - Throws: `ImageError.truncated`, `.corruptData` (libpng's message), `.emptyImage`,
  ///   `.tooManyPixels` (checked before allocating).
  /// - Complexity: O(`H · W`) time and memory.
  static func decode(
    _ bytes: UnsafeRawBufferPointer, file: String, options: ImageDecodingOptions
  ) throws -> Tensor {
    let chunks = try PNGChunks(bytes, file: file, extent: .complete)
    let header = chunks.header
    guard header.width * header.height <= options.maximumPixelCount else {
      throw ImageError.tooManyPixels(
        file: file, width: header.width, height: header.height,
        limit: options.maximumPixelCount)
    }
    return try withStoredSamplesStream(bytes, chunks: chunks) { stream in
      var image = png_image()
      image.version = UInt32(PNG_IMAGE_VERSION)
      defer { png_image_free(&image) }
      guard png_image_begin_read_from_memory(&image, stream.baseAddress, stream.count) != 0 else {
        throw ImageError.corruptData(file: file, format: .png, reason: message(of: image))
      }
      guard Int(image.width) == header.width, Int(image.height) == header.height else {
        throw ImageError.corruptData(
          file: file, format: .png, reason: "libpng read a different size than IHDR declares")
      }
      // Ask for the file's own channels, without the colour map, at its own precision.
      let kept = UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA | PNG_FORMAT_FLAG_LINEAR)
      image.format &= kept
      let isSixteenBit = image.format & UInt32(PNG_FORMAT_FLAG_LINEAR) != 0
      let hasAlpha = image.format & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0
      let channels = Int(image.format & UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)) + 1
      let layout = PixelLayout.Interleaved(
        channels: channels, maximum: isSixteenBit ? 65535 : 255,
        premultiplied: isSixteenBit && hasAlpha)
      let sampleCount = header.width * header.height * channels
      if isSixteenBit {
        let samples = try [UInt16](unsafeUninitializedCapacity: sampleCount) { buffer, count in
          try finishRead(&image, into: UnsafeMutableRawPointer(buffer.baseAddress), file: file)
          count = sampleCount
        }
        return samples.withUnsafeBufferPointer {
          PixelLayout.planarTensor(
            from: $0, width: header.width, height: header.height, layout: layout,
            alpha: options.alpha)
        }
      } else {
        let samples = try [UInt8](unsafeUninitializedCapacity: sampleCount) { buffer, count in
          try finishRead(&image, into: UnsafeMutableRawPointer(buffer.baseAddress), file: file)
          count = sampleCount
        }
        return samples.withUnsafeBufferPointer {
          PixelLayout.planarTensor(
            from: $0, width: header.width, height: header.height, layout: layout,
            alpha: options.alpha)
        }
      }
    }
  }

  /// Calls `body` with the stream libpng should read: `bytes` itself, or a copy without the
  /// colour-space chunks when there are any.
  private static func withStoredSamplesStream<R>(
    _ bytes: UnsafeRawBufferPointer, chunks: PNGChunks,
    _ body: (UnsafeRawBufferPointer) throws -> R
  ) rethrows -> R {
    if chunks.colorSpaceChunks.isEmpty { return try body(bytes) }
    return try chunks.removingColorSpaceChunks(from: bytes).withUnsafeBytes(body)
  }

  private static func finishRead(
    _ image: inout png_image, into buffer: UnsafeMutableRawPointer?, file: String
  ) throws {
    // Row stride 0: libpng uses the minimum, width × channels components.
    guard png_image_finish_read(&image, nil, buffer, 0, nil) != 0 else {
      throw ImageError.corruptData(file: file, format: .png, reason: message(of: image))
    }
  }

  /// The text of `png_image.message` (libpng's last error or first warning).
  static func message(of image: png_image) -> String {
    withUnsafeBytes(of: image.message) { raw in
      let text = String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      return text.isEmpty ? "libpng reported an unspecified error" : text
    }
  }
}
