/// Why an image could not be read, decoded or written.
///
/// Every case names the file it is about: a path, or the name given to in-memory data
/// (`"<data>"` unless the caller chose one). The decoders never trap on bad input; they throw one
/// of these instead.
public enum ImageError: Error, Equatable, Sendable {
  /// No file or folder exists at `path`.
  case fileNotFound(path: String)
  /// `path` names a folder (or another non-regular file), not an image file.
  case notARegularFile(path: String)
  /// The file exists but reading it failed (permissions, I/O error).
  case unreadableFile(path: String, reason: String)
  /// The file holds zero bytes.
  case emptyFile(file: String)
  /// The file is larger than `ImageDecodingOptions.maximumByteCount`.
  case fileTooLarge(file: String, byteCount: Int, limit: Int)
  /// The first bytes match no image format this library knows.
  case unrecognizedFormat(file: String)
  /// The bytes are an image format this library does not decode (GIF, BMP, TIFF, WebP…), or a
  /// file extension names no format it encodes.
  case unsupportedFormat(file: String, format: String)
  /// The data ends before the image does.
  case truncated(file: String, format: ImageFormat)
  /// The data is damaged or invalid; `reason` is the decoder's own message (a CRC mismatch, a
  /// bad Huffman code…).
  case corruptData(file: String, format: ImageFormat, reason: String)
  /// The header declares an image with no pixels.
  case emptyImage(file: String, width: Int, height: Int)
  /// The header declares more pixels than `ImageDecodingOptions.maximumPixelCount`; checked
  /// before any pixel buffer is allocated.
  case tooManyPixels(file: String, width: Int, height: Int, limit: Int)
  /// A pixel to encode is NaN (`channel`, `y`, `x` index the `[C, H, W]` tensor).
  case notANumber(file: String, channel: Int, y: Int, x: Int)
  /// The encoder reported a failure.
  case encodingFailed(file: String, format: ImageFormat, reason: String)
  /// Writing the encoded bytes to `path` failed.
  case unwritableFile(path: String, reason: String)
}

extension ImageError: CustomStringConvertible {
  public var description: String {
    switch self {
    case .fileNotFound(let path):
      return "\(path): no such file."
    case .notARegularFile(let path):
      return "\(path): not a regular file (a folder?); expected an image file."
    case .unreadableFile(let path, let reason):
      return "\(path): cannot be read (\(reason))."
    case .emptyFile(let file):
      return "\(file): the file is empty (0 bytes)."
    case .fileTooLarge(let file, let byteCount, let limit):
      return "\(file): \(byteCount) bytes is more than the limit of \(limit) bytes."
    case .unrecognizedFormat(let file):
      return "\(file): not a PNG or JPEG file (unrecognized first bytes)."
    case .unsupportedFormat(let file, let format):
      return "\(file): \(format) is not supported; only PNG and JPEG are."
    case .truncated(let file, let format):
      return "\(file): the \(format.name) data is truncated (ends before the image does)."
    case .corruptData(let file, let format, let reason):
      return "\(file): corrupt \(format.name) data: \(reason)."
    case .emptyImage(let file, let width, let height):
      return "\(file): the header declares an empty \(width)×\(height) image."
    case .tooManyPixels(let file, let width, let height, let limit):
      return "\(file): \(width)×\(height) = \(width * height) pixels is more than the limit of "
        + "\(limit) (ImageDecodingOptions.maximumPixelCount)."
    case .notANumber(let file, let channel, let y, let x):
      return "\(file): cannot encode NaN at [channel \(channel), y \(y), x \(x)]."
    case .encodingFailed(let file, let format, let reason):
      return "\(file): \(format.name) encoding failed: \(reason)."
    case .unwritableFile(let path, let reason):
      return "\(path): cannot be written (\(reason))."
    }
  }
}
