/// The chunk framing of a PNG stream: where each chunk starts and ends, the `IHDR` fields, and
/// which colour-space chunks are present. Checked for framing only: CRCs and pixel data are
/// libpng's job.
///
/// A PNG stream is the 8-byte signature followed by chunks, each `length` (4 bytes, big-endian,
/// at most 2³¹ − 1), `type` (4 ASCII letters), `length` bytes of data and a CRC-32 (4 bytes);
/// `IHDR` comes first and `IEND` last.
///
/// This walk lets the decoder (1) tell a truncated file from a corrupt one before libpng sees it,
/// (2) check the image size against the limits before anything is allocated, and (3) remove the
/// colour-space chunks (`gAMA`, `cHRM`, `sRGB`, `iCCP`) so that libpng's simplified API returns
/// the stored sample values unchanged: given such a chunk it would convert 8-bit samples to its
/// idea of sRGB and 16-bit samples to linear light.
struct PNGChunks {
  /// The fields of the `IHDR` chunk.
  struct Header: Equatable {
    var width: Int
    var height: Int
    var bitDepth: Int
    var colorType: Int
    var interlaced: Bool
  }

  /// How far to walk.
  enum Extent {
    /// Up to the first `IDAT` chunk header (enough for the image's size and colour model).
    case header
    /// Up to `IEND`; a stream that ends before it is truncated.
    case complete
  }

  /// The `IHDR` fields.
  private(set) var header: Header
  /// Whether a `tRNS` chunk (transparency for palette, gray or RGB images) precedes the pixels.
  private(set) var hasTransparency = false
  /// The byte ranges (whole chunks, framing included) of `gAMA`, `cHRM`, `sRGB` and `iCCP`.
  private(set) var colorSpaceChunks: [Range<Int>] = []

  /// The chunk types whose removal makes libpng's simplified API return stored values.
  static let colorSpaceTypes: Set<String> = ["gAMA", "cHRM", "sRGB", "iCCP"]

  /// Walks the chunks of `bytes`.
  ///
  /// - Throws: `ImageError.truncated` if the data ends inside a chunk or (for `.complete`)
  ///   before `IEND`; `ImageError.corruptData` for a bad signature, a chunk length above 2³¹ − 1,
  ///   a chunk type that is not four letters, a first chunk other than a 13-byte `IHDR`, or an
  ///   invalid bit depth / colour type pair; `ImageError.emptyImage` for a zero width or height.
  /// - Complexity: O(number of chunks); chunk data is not read except `IHDR`'s.
  init(_ bytes: UnsafeRawBufferPointer, file: String, extent: Extent) throws {
    func corrupt(_ reason: String) -> ImageError {
      .corruptData(file: file, format: .png, reason: reason)
    }
    let truncated = ImageError.truncated(file: file, format: .png)
    let count = bytes.count
    guard count >= 8 else { throw truncated }
    guard bytes.starts(with: ImageFormat.pngSignature) else {
      throw corrupt("missing PNG signature")
    }
    var offset = 8
    var parsedHeader: Header?
    var transparency = false
    var colorChunks: [Range<Int>] = []
    walk: while true {
      guard count - offset >= 8 else { throw truncated }
      let length = Int(PNGChunks.bigEndianUInt32(bytes, at: offset))
      guard length <= Int(Int32.max) else {
        throw corrupt("chunk length \(length) at byte \(offset) exceeds 2^31 − 1")
      }
      let typeBytes = (0..<4).map { bytes[offset + 4 + $0] }
      guard typeBytes.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) })
      else {
        throw corrupt("invalid chunk type \(typeBytes) at byte \(offset)")
      }
      let type = String(decoding: typeBytes, as: UTF8.self)
      if parsedHeader == nil {
        guard type == "IHDR", length == 13 else {
          throw corrupt("the first chunk is \(type) (\(length) bytes), not a 13-byte IHDR")
        }
      }
      if type == "IDAT" && extent == .header { break walk }
      let end = offset + 12 + length
      guard end <= count else { throw truncated }
      switch type {
      case "IHDR" where parsedHeader == nil:
        parsedHeader = try PNGChunks.parseHeader(bytes, at: offset + 8, file: file)
      case "tRNS":
        transparency = true
      case "IEND":
        break walk
      case _ where PNGChunks.colorSpaceTypes.contains(type):
        colorChunks.append(offset..<end)
      default:
        break
      }
      offset = end
    }
    guard let parsedHeader else { throw truncated }
    header = parsedHeader
    hasTransparency = transparency
    colorSpaceChunks = colorChunks
  }

  /// `bytes` without the colour-space chunks (every other byte unchanged; each chunk carries
  /// its own CRC, so the result is a valid PNG stream).
  ///
  /// - Complexity: O(`bytes.count`).
  func removingColorSpaceChunks(from bytes: UnsafeRawBufferPointer) -> [UInt8] {
    var kept = [UInt8]()
    kept.reserveCapacity(bytes.count)
    var start = 0
    for range in colorSpaceChunks {
      kept.append(contentsOf: bytes[start..<range.lowerBound])
      start = range.upperBound
    }
    kept.append(contentsOf: bytes[start..<bytes.count])
    return kept
  }

  /// The `IHDR` data at `offset`: width, height (4 bytes each), bit depth, colour type,
  /// compression, filter and interlace methods (1 byte each).
  private static func parseHeader(
    _ bytes: UnsafeRawBufferPointer, at offset: Int, file: String
  ) throws -> Header {
    func corrupt(_ reason: String) -> ImageError {
      .corruptData(file: file, format: .png, reason: reason)
    }
    let width = Int(bigEndianUInt32(bytes, at: offset))
    let height = Int(bigEndianUInt32(bytes, at: offset + 4))
    let bitDepth = Int(bytes[offset + 8])
    let colorType = Int(bytes[offset + 9])
    let interlace = Int(bytes[offset + 12])
    guard width <= Int(Int32.max), height <= Int(Int32.max) else {
      throw corrupt("IHDR size \(width)×\(height) exceeds 2^31 − 1")
    }
    guard width > 0, height > 0 else {
      throw ImageError.emptyImage(file: file, width: width, height: height)
    }
    let allowedDepths: [Int: [Int]] = [
      0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16],
    ]
    guard let depths = allowedDepths[colorType], depths.contains(bitDepth) else {
      throw corrupt("IHDR bit depth \(bitDepth) is invalid for colour type \(colorType)")
    }
    guard interlace <= 1 else { throw corrupt("IHDR interlace method \(interlace) is unknown") }
    return Header(
      width: width, height: height, bitDepth: bitDepth, colorType: colorType,
      interlaced: interlace == 1)
  }

  private static func bigEndianUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
    (0..<4).reduce(0) { ($0 << 8) | UInt32(bytes[offset + $1]) }
  }
}
