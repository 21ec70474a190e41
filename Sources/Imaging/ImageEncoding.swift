/// The file format, and its settings, that `ImageFile.encode` writes.
public enum ImageEncoding: Sendable, Hashable {
  /// Lossless PNG, 8 or 16 bits per sample, colour type chosen by the channel count (1 → gray,
  /// 3 → RGB, 4 → RGBA). No gamma or colour-space chunk is written except sRGB on 8-bit files,
  /// so readers take the samples as sRGB-encoded values.
  case png(bitDepth: PNGBitDepth = .eight)
  /// Baseline JPEG through libjpeg-turbo: `quality` in 1...100, accurate DCT. `[1, H, W]` tensors
  /// become grayscale JPEGs (the subsampling is then ignored).
  case jpeg(quality: Int = 90, chromaSubsampling: ChromaSubsampling = .s420)

  /// The encoding a file name's extension implies: `.png` → `.png()`, `.jpg`/`.jpeg` →
  /// `.jpeg()`; `nil` for anything else. Case-insensitive.
  public init?(fileExtension: String) {
    switch fileExtension.lowercased() {
    case "png": self = .png()
    case "jpg", "jpeg", "jpe", "jfif": self = .jpeg()
    default: return nil
    }
  }

  /// The container format.
  public var format: ImageFormat {
    switch self {
    case .png: return .png
    case .jpeg: return .jpeg
    }
  }
}

/// Bits per PNG sample.
public enum PNGBitDepth: Int, Sendable, Hashable {
  case eight = 8
  case sixteen = 16

  /// The largest sample value, `2^bits − 1`.
  var maximum: Float { self == .eight ? 255 : 65535 }
}

/// How JPEG compression samples the two chroma channels.
public enum ChromaSubsampling: Sendable, Hashable {
  /// Full resolution.
  case s444
  /// Half width.
  case s422
  /// Half width and half height (the common default; Pillow's too).
  case s420
}
