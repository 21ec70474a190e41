/// An image file format this library decodes and encodes.
public enum ImageFormat: String, Sendable, Hashable, CaseIterable {
  case png
  case jpeg

  /// The format's usual name, for messages: `"PNG"`, `"JPEG"`.
  public var name: String {
    switch self {
    case .png: return "PNG"
    case .jpeg: return "JPEG"
    }
  }

  /// The format whose signature starts `bytes`, or `nil`; the file name plays no part.
  ///
  /// PNG: the 8-byte signature `89 50 4E 47 0D 0A 1A 0A`. JPEG: `FF D8 FF` (start-of-image
  /// followed by the first marker).
  ///
  /// - Complexity: O(1); reads at most the first 8 bytes.
  public init?<Bytes: Collection<UInt8>>(sniffing bytes: Bytes) {
    if bytes.starts(with: ImageFormat.pngSignature) {
      self = .png
    } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
      self = .jpeg
    } else {
      return nil
    }
  }

  /// The 8 bytes that open every PNG file.
  static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// The name of another, unsupported, image format whose signature starts `bytes` (for an
  /// error message that says more than "unrecognized"), or `nil`.
  static func unsupportedFormatName<Bytes: Collection<UInt8>>(sniffing bytes: Bytes) -> String? {
    let head = Array(bytes.prefix(12))
    func starts(_ prefix: String) -> Bool { head.starts(with: Array(prefix.utf8)) }
    if starts("GIF87a") || starts("GIF89a") { return "GIF" }
    if starts("BM") && head.count >= 6 { return "BMP" }
    if head.starts(with: [0x49, 0x49, 0x2A, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) {
      return "TIFF"
    }
    if starts("RIFF") && head.count >= 12 && Array(head[8..<12]) == Array("WEBP".utf8) {
      return "WebP"
    }
    if head.count >= 12 && Array(head[4..<8]) == Array("ftyp".utf8) {
      return "HEIF/AVIF (ISO media)"
    }
    if head.starts(with: [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20])
      || head.starts(with: [0xFF, 0x4F, 0xFF, 0x51])
    {
      return "JPEG 2000"
    }
    if head.starts(with: [0xFF, 0x0A]) { return "JPEG XL" }
    if head.starts(with: [0x00, 0x00, 0x01, 0x00]) { return "ICO" }
    if starts("8BPS") { return "Photoshop PSD" }
    if head.starts(with: [0x93] + Array("NUMPY".utf8)) {
      return "NumPy .npy (not an image file)"
    }
    return nil
  }
}
