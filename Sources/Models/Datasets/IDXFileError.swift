import Foundation

/// Why an IDX file could not be read. Every case names the file.
public enum IDXFileError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file could not be opened or read.
  case unreadable(file: String, reason: String)
  /// The file starts like gzip but its header, deflate stream or trailer is wrong.
  case corruptGzip(file: String, reason: String)
  /// The (uncompressed) file is larger than the accepted `limit` bytes.
  case tooLarge(file: String, bytes: Int, limit: Int)
  /// The first two bytes are not zero; `found` holds the first bytes of the (inflated) file.
  case badMagic(file: String, found: [UInt8])
  /// The type byte of the magic number is not one of the six IDX types.
  case unsupportedDataType(file: String, code: UInt8)
  /// The magic number and extents need `needed` bytes; the file has `available`.
  case truncatedHeader(file: String, needed: Int, available: Int)
  /// The extents promise `expectedBytes` of elements (`Int.max` if their product overflows);
  /// the file holds `foundBytes` after the header.
  case sizeMismatch(
    file: String, dimensions: [Int], dataType: IDXFile.DataType, expectedBytes: Int,
    foundBytes: Int)
  /// The elements are of type `found`, the caller needs `expected`.
  case wrongDataType(file: String, expected: IDXFile.DataType, found: IDXFile.DataType)

  /// The file the error is about.
  public var file: String {
    switch self {
    case .unreadable(let file, _), .corruptGzip(let file, _), .tooLarge(let file, _, _),
      .badMagic(let file, _), .unsupportedDataType(let file, _),
      .truncatedHeader(let file, _, _), .sizeMismatch(let file, _, _, _, _),
      .wrongDataType(let file, _, _):
      return file
    }
  }

  public var description: String {
    switch self {
    case .unreadable(let file, let reason):
      return "\(file): cannot read the file: \(reason)."
    case .corruptGzip(let file, let reason):
      return "\(file): corrupt gzip data: \(reason)."
    case .tooLarge(let file, let bytes, let limit):
      return "\(file): \(bytes) bytes uncompressed is more than the limit of \(limit)."
    case .badMagic(let file, let found):
      let hex = found.map { String(format: "%02x", $0) }.joined(separator: " ")
      return "\(file): not an IDX file (it starts with \(hex), not 00 00)."
    case .unsupportedDataType(let file, let code):
      return "\(file): unknown IDX element type 0x\(String(format: "%02x", code))."
    case .truncatedHeader(let file, let needed, let available):
      return "\(file): the IDX header needs \(needed) bytes but the file has \(available)."
    case .sizeMismatch(let file, let dimensions, let dataType, let expected, let found):
      let promised = expected == Int.max ? "more bytes than can be addressed" : "\(expected) bytes"
      return "\(file): extents \(dimensions) of \(dataType) need \(promised) of data, "
        + "the file holds \(found)."
    case .wrongDataType(let file, let expected, let found):
      return "\(file): the elements are \(found), not \(expected)."
    }
  }
}
