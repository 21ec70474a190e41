/// What an image file's header says, read without decoding its pixels.
public struct ImageInfo: Sendable, Hashable {
  /// How the file stores colour.
  public enum ColorModel: String, Sendable, Hashable {
    /// One luminance channel (PNG colour types 0 and 4; JPEG grayscale).
    case gray
    /// Red, green, blue (PNG colour types 2 and 6; JPEG YCbCr or RGB).
    case rgb
    /// Indices into a palette of RGB colours (PNG colour type 3).
    case palette
    /// Cyan, magenta, yellow, black (JPEG CMYK or YCCK).
    case cmyk
  }

  /// Columns.
  public var width: Int
  /// Rows.
  public var height: Int
  /// The file format, found from the signature.
  public var format: ImageFormat
  /// How the file stores colour.
  public var colorModel: ColorModel
  /// Bits per stored sample: 1, 2, 4, 8 or 16 for PNG (the index size for a palette), 8 for
  /// JPEG.
  public var bitDepth: Int
  /// Whether the file carries transparency: an alpha channel, or a PNG `tRNS` chunk.
  public var hasAlpha: Bool

  public init(
    width: Int, height: Int, format: ImageFormat, colorModel: ColorModel, bitDepth: Int,
    hasAlpha: Bool
  ) {
    self.width = width
    self.height = height
    self.format = format
    self.colorModel = colorModel
    self.bitDepth = bitDepth
    self.hasAlpha = hasAlpha
  }

  /// `width · height`.
  public var pixelCount: Int { width * height }
}
