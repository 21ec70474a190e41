import CTurboJPEG
import Tensor

/// Decodes JPEG streams with TurboJPEG (libjpeg-turbo), which reports errors through return
/// codes and `tjGetErrorStr2` instead of `longjmp`.
///
/// Baseline and progressive, any chroma subsampling TurboJPEG recognises, grayscale (replicated
/// into three channels), RGB, and CMYK/YCCK. TurboJPEG returns CMYK as stored; like Pillow, this
/// decoder assumes the Adobe convention (inverted samples, as Photoshop writes them) and converts
/// without colour management: `R = C̃·K̃`, `G = M̃·K̃`, `B = Ỹ·K̃` with `X̃ = stored / 255`. Decoding
/// uses the accurate integer IDCT and smooth ("fancy") upsampling, libjpeg's defaults, as Pillow
/// does; its pixels agree with Pillow's within 1–2 / 255 (different libjpeg-turbo versions).
/// The EXIF orientation tag is not applied (Pillow and torchvision do not apply it either unless
/// asked).
///
/// Errors: before allocating, the header (`tjDecompressHeader3`) gives the size, checked against
/// the limits. A fatal decoder error throws `ImageError.corruptData`; data that ends before the
/// end-of-image marker throws `ImageError.truncated` (libjpeg would only warn and fill the rest
/// with gray); any other warning (`tjGetErrorCode == TJERR_WARNING`) follows
/// `ImageDecodingOptions.jpegWarnings`. Progressive files with an unreasonable number of scans
/// are refused (`TJFLAG_LIMITSCANS`).
enum JPEGDecoder {
  /// The header of a JPEG stream (its frame header is read; no pixels are decoded). A decoder
  /// warning while reading the header does not fail: the size is known.
  ///
  /// - Throws: `ImageError.truncated`, `.corruptData` or `.emptyImage`.
  /// - Complexity: O(size of the segments before the first scan).
  static func info(_ bytes: UnsafeRawBufferPointer, file: String) throws -> ImageInfo {
    try withDecompressor(file: file) { handle in
      let header = try readHeader(handle, bytes, file: file)
      let model: ImageInfo.ColorModel
      switch header.colorspace {
      case Int32(TJCS_GRAY.rawValue): model = .gray
      case Int32(TJCS_CMYK.rawValue), Int32(TJCS_YCCK.rawValue): model = .cmyk
      default: model = .rgb
      }
      return ImageInfo(
        width: header.width, height: header.height, format: .jpeg, colorModel: model,
        bitDepth: 8, hasAlpha: false)
    }
  }

  /// The pixels of a JPEG stream as `[3, H, W]` in [0, 1] (`[4, H, W]` with alpha 1 for
  /// `AlphaPolicy.keep`).
  ///
  /// - Throws: `ImageError.truncated`, `.corruptData`, `.emptyImage`, `.tooManyPixels` (checked
  ///   before allocating).
  /// - Complexity: O(`H · W`) time and memory.
  static func decode(
    _ bytes: UnsafeRawBufferPointer, file: String, options: ImageDecodingOptions
  ) throws -> Tensor {
    try withDecompressor(file: file) { handle in
      let header = try readHeader(handle, bytes, file: file)
      let (width, height) = (header.width, header.height)
      guard width * height <= options.maximumPixelCount else {
        throw ImageError.tooManyPixels(
          file: file, width: width, height: height, limit: options.maximumPixelCount)
      }
      let isCMYK =
        header.colorspace == Int32(TJCS_CMYK.rawValue)
        || header.colorspace == Int32(TJCS_YCCK.rawValue)
      let pixelFormat = isCMYK ? TJPF_CMYK : TJPF_RGB
      let channels = isCMYK ? 4 : 3
      let sampleCount = width * height * channels
      var warning = header.warning
      let samples = try [UInt8](unsafeUninitializedCapacity: sampleCount) { buffer, count in
        let status = tjDecompress2(
          handle, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt(bytes.count),
          buffer.baseAddress, Int32(width), 0, Int32(height), pixelFormat.rawValue,
          TJFLAG_LIMITSCANS)
        if status != 0 {
          let reason = errorMessage(handle)
          if JPEGMarkers.ending(of: bytes) == .truncated {
            throw ImageError.truncated(file: file, format: .jpeg)
          }
          guard tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue) else {
            throw ImageError.corruptData(file: file, format: .jpeg, reason: reason)
          }
          warning = warning ?? reason
        }
        count = sampleCount
      }
      if let warning, options.jpegWarnings == .fail {
        throw ImageError.corruptData(file: file, format: .jpeg, reason: warning)
      }
      return samples.withUnsafeBufferPointer { samples in
        isCMYK
          ? planarTensor(cmyk: samples, width: width, height: height, alpha: options.alpha)
          : PixelLayout.planarTensor(
            from: samples, width: width, height: height,
            layout: .init(channels: 3, maximum: 255, premultiplied: false), alpha: options.alpha)
      }
    }
  }

  /// Adobe-convention (inverted) CMYK samples to RGB: `R = C̃·K̃` etc., `X̃ = stored / 255`.
  private static func planarTensor(
    cmyk samples: UnsafeBufferPointer<UInt8>, width: Int, height: Int, alpha: AlphaPolicy
  ) -> Tensor {
    let plane = width * height
    let channels = alpha == .keep ? 4 : 3
    return Tensor(shape: [channels, height, width]) { output in
      guard let out = output.baseAddress else { return }
      for pixel in 0..<plane {
        let k = Float(samples[pixel * 4 + 3]) / 255
        for c in 0..<3 {
          out[c * plane + pixel] = Float(samples[pixel * 4 + c]) / 255 * k
        }
      }
      if channels == 4 { (out + 3 * plane).initialize(repeating: 1, count: plane) }
    }
  }

  private struct Header {
    var width: Int
    var height: Int
    var colorspace: Int32
    /// libjpeg's warning while reading the header segments (e.g. junk between segments).
    var warning: String?
  }

  private static func readHeader(
    _ handle: tjhandle, _ bytes: UnsafeRawBufferPointer, file: String
  ) throws -> Header {
    var width: Int32 = 0
    var height: Int32 = 0
    var subsampling: Int32 = 0
    var colorspace: Int32 = 0
    let status = tjDecompressHeader3(
      handle, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt(bytes.count),
      &width, &height, &subsampling, &colorspace)
    let warned = status != 0 && tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue)
    // A stream that ends before its frame header reads as a "tables-only" stream: success, with
    // the size left at 0.
    guard status == 0 || warned, width > 0, height > 0 else {
      if JPEGMarkers.ending(of: bytes) == .truncated {
        throw ImageError.truncated(file: file, format: .jpeg)
      }
      guard status == 0 else {
        throw ImageError.corruptData(file: file, format: .jpeg, reason: errorMessage(handle))
      }
      throw ImageError.emptyImage(file: file, width: Int(width), height: Int(height))
    }
    return Header(
      width: Int(width), height: Int(height), colorspace: colorspace,
      warning: warned ? errorMessage(handle) : nil)
  }

  private static func withDecompressor<R>(
    file: String, _ body: (tjhandle) throws -> R
  ) throws -> R {
    guard let handle = tjInitDecompress() else {
      throw ImageError.corruptData(
        file: file, format: .jpeg, reason: "TurboJPEG could not create a decompressor")
    }
    defer { tjDestroy(handle) }
    return try body(handle)
  }

  static func errorMessage(_ handle: tjhandle?) -> String {
    guard let text = tjGetErrorStr2(handle) else { return "unspecified TurboJPEG error" }
    return String(cString: text)
  }
}
