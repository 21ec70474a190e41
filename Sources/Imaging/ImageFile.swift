import Foundation
import Tensor

/// Reads and writes PNG and JPEG images as Float tensors in [0, 1].
///
/// ```swift
/// let image = try ImageFile.decode(contentsOf: url)          // [3, H, W]
/// let size = try ImageFile.info(contentsOf: url)             // width, height, format, …
/// try ImageFile.write(image, to: outputURL)                  // format from the extension
/// let jpeg = try ImageFile.encode(image, as: .jpeg(quality: 85))
/// ```
///
/// The format is found from the first bytes (the signature), never from the file name. Every
/// problem with a file or its bytes throws an `ImageError` naming the file; see `Docs/Imaging.md`
/// for the alpha policy, the limits and the exact rounding rules.
public enum ImageFile {
  /// The name used in errors about in-memory data when the caller gives none.
  public static let defaultDataName = "<data>"

  // MARK: Decoding

  /// The pixels of the PNG or JPEG file at `url`.
  ///
  /// - Returns: `[3, H, W]` in [0, 1] (gray replicated; alpha handled by `options.alpha`), or
  ///   `[4, H, W]` for `AlphaPolicy.keep`.
  /// - Throws: `ImageError`: `.fileNotFound`, `.notARegularFile`, `.unreadableFile`,
  ///   `.fileTooLarge`, `.emptyFile`, `.unrecognizedFormat`, `.unsupportedFormat`, `.truncated`,
  ///   `.corruptData`, `.emptyImage`, `.tooManyPixels`.
  /// - Complexity: O(file size + `H · W`).
  public static func decode(
    contentsOf url: URL, options: ImageDecodingOptions = .default
  ) throws -> Tensor {
    let data = try readFile(url, byteLimit: options.maximumByteCount)
    return try decode(data, named: url.path, options: options)
  }

  /// The pixels of a PNG or JPEG image held in memory; `name` is used in errors.
  ///
  /// - Returns: `[3, H, W]` in [0, 1], or `[4, H, W]` for `AlphaPolicy.keep`.
  /// - Throws: `ImageError` (as `decode(contentsOf:options:)`, without the file-system cases).
  /// - Complexity: O(`data.count` + `H · W`).
  public static func decode(
    _ data: Data, named name: String = defaultDataName, options: ImageDecodingOptions = .default
  ) throws -> Tensor {
    try data.withUnsafeBytes { bytes in
      switch try sniff(bytes, name: name) {
      case .png: return try PNGDecoder.decode(bytes, file: name, options: options)
      case .jpeg: return try JPEGDecoder.decode(bytes, file: name, options: options)
      }
    }
  }

  /// Width, height, format and colour model of the file at `url`, from its header only (no pixel
  /// is decoded; the pixel limit does not apply).
  ///
  /// - Throws: `ImageError` (as `decode(contentsOf:options:)`, except `.tooManyPixels`).
  /// - Complexity: O(file size) to read the file, O(header) to parse it.
  public static func info(
    contentsOf url: URL, options: ImageDecodingOptions = .default
  ) throws -> ImageInfo {
    let data = try readFile(url, byteLimit: options.maximumByteCount)
    return try info(of: data, named: url.path)
  }

  /// Width, height, format and colour model of an image held in memory, from its header only.
  ///
  /// - Throws: `ImageError` (as `decode(_:named:options:)`, except `.tooManyPixels`).
  public static func info(of data: Data, named name: String = defaultDataName) throws -> ImageInfo {
    try data.withUnsafeBytes { bytes in
      switch try sniff(bytes, name: name) {
      case .png: return try PNGDecoder.info(bytes, file: name)
      case .jpeg: return try JPEGDecoder.info(bytes, file: name)
      }
    }
  }

  // MARK: Encoding

  /// The bytes of `image` encoded as `encoding` says.
  ///
  /// `image` is `[1, H, W]` (gray), `[3, H, W]` (RGB) or, for PNG, `[4, H, W]` (RGBA, straight
  /// alpha). Values are clamped to [0, 1], then rounded half up: `⌊clamp(v, 0, 1) · (2ᵇ − 1) + ½⌋`
  /// for `b` bits.
  ///
  /// - Precondition: the shape is one of the above with `H, W ≥ 1`; a JPEG quality is in 1...100.
  /// - Throws: `ImageError.notANumber` (naming the first NaN), `.encodingFailed`.
  /// - Complexity: O(`C · H · W`).
  public static func encode(
    _ image: Tensor, as encoding: ImageEncoding, named name: String = defaultDataName
  ) throws -> Data {
    switch encoding {
    case .png(let bitDepth):
      return try PNGEncoder.encode(image, bitDepth: bitDepth, file: name)
    case .jpeg(let quality, let chromaSubsampling):
      return try JPEGEncoder.encode(
        image, quality: quality, chromaSubsampling: chromaSubsampling, file: name)
    }
  }

  /// Encodes `image` and writes it to `url` (atomically: a temporary file, then a rename).
  ///
  /// `encoding` defaults to what the file extension implies (`ImageEncoding(fileExtension:)`:
  /// `.png` → 8-bit PNG, `.jpg`/`.jpeg` → JPEG quality 90).
  ///
  /// - Throws: `ImageError.unsupportedFormat` for an extension naming no supported format when
  ///   `encoding` is `nil`, `.notANumber`, `.encodingFailed`, `.unwritableFile`.
  public static func write(_ image: Tensor, to url: URL, as encoding: ImageEncoding? = nil) throws {
    precondition(url.isFileURL, "ImageFile.write needs a file URL, not \(url).")
    let path = url.path
    guard let encoding = encoding ?? ImageEncoding(fileExtension: url.pathExtension) else {
      throw ImageError.unsupportedFormat(
        file: path, format: "the file extension \".\(url.pathExtension)\"")
    }
    let data = try encode(image, as: encoding, named: path)
    do {
      try data.write(to: url, options: .atomic)
    } catch {
      throw ImageError.unwritableFile(path: path, reason: reason(error))
    }
  }

  // MARK: Helpers

  /// The format of `bytes` from their signature.
  ///
  /// - Throws: `.emptyFile`; `.truncated` for a proper prefix of a PNG or JPEG signature;
  ///   `.unsupportedFormat` for a known other format; `.unrecognizedFormat` otherwise.
  static func sniff(_ bytes: UnsafeRawBufferPointer, name: String) throws -> ImageFormat {
    guard !bytes.isEmpty else { throw ImageError.emptyFile(file: name) }
    if let format = ImageFormat(sniffing: bytes) { return format }
    if bytes.count < ImageFormat.pngSignature.count,
      ImageFormat.pngSignature.starts(with: bytes)
    {
      throw ImageError.truncated(file: name, format: .png)
    }
    if bytes.count < 3, [0xFF, 0xD8].starts(with: bytes) {
      throw ImageError.truncated(file: name, format: .jpeg)
    }
    if let other = ImageFormat.unsupportedFormatName(sniffing: bytes) {
      throw ImageError.unsupportedFormat(file: name, format: other)
    }
    throw ImageError.unrecognizedFormat(file: name)
  }

  /// The bytes of the regular file at `url`, checking existence, type and size first.
  static func readFile(_ url: URL, byteLimit: Int) throws -> Data {
    precondition(url.isFileURL, "ImageFile needs a file URL, not \(url).")
    let path = url.path
    // `fileExists` follows symbolic links: false for a missing file and for a dangling link.
    guard FileManager.default.fileExists(atPath: path) else {
      throw ImageError.fileNotFound(path: path)
    }
    var attributes: [FileAttributeKey: Any]
    do {
      attributes = try FileManager.default.attributesOfItem(atPath: path)
      // attributesOfItem describes a symbolic link itself; describe its final target instead.
      if attributes[.type] as? FileAttributeType == .typeSymbolicLink {
        attributes = try FileManager.default.attributesOfItem(
          atPath: url.resolvingSymlinksInPath().path)
      }
    } catch {
      throw ImageError.unreadableFile(path: path, reason: reason(error))
    }
    guard attributes[.type] as? FileAttributeType == .typeRegular else {
      throw ImageError.notARegularFile(path: path)
    }
    let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
    guard size <= byteLimit else {
      throw ImageError.fileTooLarge(file: path, byteCount: size, limit: byteLimit)
    }
    // Not read at all when empty: Foundation's `Data(contentsOf:)` leaks its 4 KiB read buffer
    // on an empty file (LeakSanitizer, Swift 6.3.1). The check after reading stays for files
    // that shrink in between.
    guard size > 0 else { throw ImageError.emptyFile(file: path) }
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw ImageError.unreadableFile(path: path, reason: reason(error))
    }
    guard !data.isEmpty else { throw ImageError.emptyFile(file: path) }
    guard data.count <= byteLimit else {
      throw ImageError.fileTooLarge(file: path, byteCount: data.count, limit: byteLimit)
    }
    return data
  }

  private static func reason(_ error: Error) -> String {
    if let cocoa = error as? CocoaError, let underlying = cocoa.underlying as? POSIXError {
      return String(cString: strerror(underlying.code.rawValue))
    }
    return error.localizedDescription
  }
}
