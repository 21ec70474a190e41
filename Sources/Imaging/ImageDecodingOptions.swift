/// An opaque colour with components in [0, 1], in the image's own (sRGB-encoded) values.
public struct RGBColor: Sendable, Hashable {
  public var red: Float
  public var green: Float
  public var blue: Float

  public init(red: Float, green: Float, blue: Float) {
    self.red = red
    self.green = green
    self.blue = blue
  }

  /// `(1, 1, 1)`.
  public static let white = RGBColor(red: 1, green: 1, blue: 1)
  /// `(0, 0, 0)`.
  public static let black = RGBColor(red: 0, green: 0, blue: 0)
}

/// What decoding does with transparency (an alpha channel or a PNG `tRNS` chunk).
public enum AlphaPolicy: Sendable, Hashable {
  /// Blend each pixel over an opaque background: `out = a·c + (1 − a)·background`, per channel,
  /// on the stored (sRGB-encoded) values, straight (non-premultiplied) colour `c` and alpha `a`
  /// in [0, 1]. Result `[3, H, W]`. The default, over white, matches what an image viewer on a
  /// white page shows.
  case composite(over: RGBColor)
  /// Ignore alpha and keep the stored colour. Result `[3, H, W]`.
  case drop
  /// Keep straight alpha as a fourth channel: result `[4, H, W]` for every image (alpha 1 where
  /// the file has none), the layout `ImageFile.encode` takes back.
  case keep

  /// `.composite(over: .white)`.
  public static let `default` = AlphaPolicy.composite(over: .white)
}

/// What the JPEG decoder does when libjpeg-turbo reports a recoverable problem (a warning such
/// as "Corrupt JPEG data: 3 extraneous bytes before marker"): the pixels it returns may be
/// partly wrong.
public enum JPEGWarningPolicy: Sendable, Hashable {
  /// Throw `ImageError.corruptData` with the decoder's message. The default.
  case fail
  /// Keep the decoded pixels. Truncated data still throws `ImageError.truncated`: the decoder
  /// would fill the missing rows with gray.
  case accept
}

/// Limits and choices for decoding.
///
/// Limits are checked against the header before the pixel buffer is allocated, so a small file
/// that declares a huge image costs nothing.
public struct ImageDecodingOptions: Sendable, Hashable {
  /// What to do with transparency.
  public var alpha: AlphaPolicy
  /// The largest `width · height` accepted. Default 100 megapixels (a `[3, H, W]` Float tensor of
  /// 1.2 GB).
  public var maximumPixelCount: Int
  /// The largest file read from disk, in bytes. Default 1 GiB.
  public var maximumByteCount: Int
  /// What to do with JPEG decoder warnings.
  public var jpegWarnings: JPEGWarningPolicy

  public init(
    alpha: AlphaPolicy = .default, maximumPixelCount: Int = 100_000_000,
    maximumByteCount: Int = 1 << 30, jpegWarnings: JPEGWarningPolicy = .fail
  ) {
    precondition(maximumPixelCount > 0, "maximumPixelCount must be positive.")
    precondition(maximumByteCount > 0, "maximumByteCount must be positive.")
    self.alpha = alpha
    self.maximumPixelCount = maximumPixelCount
    self.maximumByteCount = maximumByteCount
    self.jpegWarnings = jpegWarnings
  }

  /// The defaults: composite over white, 100 megapixels, 1 GiB, JPEG warnings fail.
  public static let `default` = ImageDecodingOptions()
}
