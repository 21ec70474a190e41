import Foundation

/// An IDX file: the array format of MNIST and Fashion-MNIST, read whole, gzip-compressed or not.
///
/// Layout (all integers big-endian): two zero bytes, a type code (`0x08` unsigned byte, `0x09`
/// signed byte, `0x0B` Int16, `0x0C` Int32, `0x0D` Float32, `0x0E` Float64), the number of
/// dimensions `d`, then `d` UInt32 extents, then `∏ extents` elements in row-major order.
/// Fashion-MNIST's images are `08 03 [N, 28, 28]`, its labels `08 01 [N]`.
///
/// ```swift
/// let labels = try IDXFile(contentsOf: url)          // t10k-labels-idx1-ubyte.gz
/// labels.dimensions                                  // [10000]
/// let values = try labels.unsignedBytes()           // 10000 bytes
/// ```
///
/// Every way a file can be wrong is an `IDXFileError` naming the file: the gzip layer is checked
/// (CRC-32 and length), then the magic number, the type code, the extents, and that the payload
/// holds exactly the elements they promise, with no byte missing or left over.
public struct IDXFile: Sendable {
  /// The element type given by the third byte of the magic number.
  public enum DataType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case unsignedByte = 0x08
    case signedByte = 0x09
    case int16 = 0x0B
    case int32 = 0x0C
    case float32 = 0x0D
    case float64 = 0x0E

    /// Bytes per element.
    public var byteCount: Int {
      switch self {
      case .unsignedByte, .signedByte: return 1
      case .int16: return 2
      case .int32, .float32: return 4
      case .float64: return 8
      }
    }

    public var description: String {
      switch self {
      case .unsignedByte: return "unsigned byte (0x08)"
      case .signedByte: return "signed byte (0x09)"
      case .int16: return "int16 (0x0B)"
      case .int32: return "int32 (0x0C)"
      case .float32: return "float32 (0x0D)"
      case .float64: return "float64 (0x0E)"
      }
    }
  }

  /// The largest uncompressed file accepted by default: 1 GiB (Fashion-MNIST's training images
  /// take 47 MB).
  public static let defaultLimit = 1 << 30

  /// The name used in errors (the path, for a file read from disk).
  public let file: String
  /// The element type.
  public let dataType: DataType
  /// The extents, outermost first.
  public let dimensions: [Int]
  /// The raw big-endian elements, exactly `count · dataType.byteCount` bytes.
  public let payload: Data

  /// The number of elements, `∏ dimensions`.
  public var count: Int { dimensions.reduce(1, *) }

  /// Reads the IDX file at `url`, inflating it first when it starts with the gzip magic bytes.
  ///
  /// - Parameter limit: the largest uncompressed size accepted, in bytes.
  /// - Throws: `IDXFileError` naming the file (unreadable, corrupt gzip, too large, bad magic
  ///   number, unknown type, truncated header, payload size mismatch).
  /// - Complexity: O(file size + uncompressed size).
  public init(contentsOf url: URL, limit: Int = IDXFile.defaultLimit) throws {
    let data: Data
    do {
      data = try Data(contentsOf: url, options: .mappedIfSafe)
    } catch {
      throw IDXFileError.unreadable(file: url.path, reason: error.localizedDescription)
    }
    try self.init(data: data, file: url.path, limit: limit)
  }

  /// Parses IDX bytes (gzip-compressed or not) held in memory; `file` names them in errors.
  ///
  /// - Throws: `IDXFileError`, as `init(contentsOf:limit:)`.
  /// - Complexity: O(`data.count` + uncompressed size).
  public init(data: Data, file: String, limit: Int = IDXFile.defaultLimit) throws {
    let raw: Data
    if Gzip.isGzip(data) {
      raw = try Gzip.decompress(data, file: file, limit: limit)
    } else {
      guard data.count <= limit else {
        throw IDXFileError.tooLarge(file: file, bytes: data.count, limit: limit)
      }
      raw = data
    }
    let bytes = raw.prefix(4 + 4 * 255)
    let base = bytes.startIndex
    guard raw.count >= 4 else {
      throw IDXFileError.truncatedHeader(file: file, needed: 4, available: raw.count)
    }
    guard bytes[base] == 0, bytes[base + 1] == 0 else {
      throw IDXFileError.badMagic(file: file, found: Array(bytes.prefix(4)))
    }
    guard let dataType = DataType(rawValue: bytes[base + 2]) else {
      throw IDXFileError.unsupportedDataType(file: file, code: bytes[base + 2])
    }
    let rank = Int(bytes[base + 3])
    let headerCount = 4 + 4 * rank
    guard raw.count >= headerCount else {
      throw IDXFileError.truncatedHeader(file: file, needed: headerCount, available: raw.count)
    }
    var dimensions: [Int] = []
    var elementCount = 1
    var overflow = false
    for axis in 0..<rank {
      let start = base + 4 + 4 * axis
      let extent = (0..<4).reduce(0) { $0 << 8 | Int(bytes[start + $1]) }
      dimensions.append(extent)
      let (product, overflowed) = elementCount.multipliedReportingOverflow(by: extent)
      overflow = overflow || overflowed
      elementCount = product
    }
    let (expectedBytes, byteOverflow) = elementCount.multipliedReportingOverflow(
      by: dataType.byteCount)
    let foundBytes = raw.count - headerCount
    guard !overflow, !byteOverflow, expectedBytes == foundBytes else {
      throw IDXFileError.sizeMismatch(
        file: file, dimensions: dimensions, dataType: dataType,
        expectedBytes: overflow || byteOverflow ? Int.max : expectedBytes,
        foundBytes: foundBytes)
    }
    self.file = file
    self.dataType = dataType
    self.dimensions = dimensions
    self.payload = Data(raw[(raw.startIndex + headerCount)...])
  }

  /// The elements of an unsigned-byte file, in row-major order.
  ///
  /// - Throws: `IDXFileError.wrongDataType` when the file holds another type.
  /// - Complexity: O(count).
  public func unsignedBytes() throws -> [UInt8] {
    guard dataType == .unsignedByte else {
      throw IDXFileError.wrongDataType(file: file, expected: .unsignedByte, found: dataType)
    }
    return [UInt8](payload)
  }

  /// Every element converted to `Float` (big-endian integers and IEEE floats decoded; Int32 and
  /// Float64 values rounded to the nearest `Float`), in row-major order.
  ///
  /// - Complexity: O(count).
  public func floats() -> [Float] {
    payload.withUnsafeBytes { raw -> [Float] in
      let width = dataType.byteCount
      func bigEndian(_ index: Int) -> UInt64 {
        var value: UInt64 = 0
        for k in 0..<width { value = value << 8 | UInt64(raw[index * width + k]) }
        return value
      }
      return (0..<count).map { i -> Float in
        switch dataType {
        case .unsignedByte: return Float(raw[i])
        case .signedByte: return Float(Int8(bitPattern: raw[i]))
        case .int16: return Float(Int16(bitPattern: UInt16(bigEndian(i))))
        case .int32: return Float(Int32(bitPattern: UInt32(bigEndian(i))))
        case .float32: return Float(bitPattern: UInt32(bigEndian(i)))
        case .float64: return Float(Double(bitPattern: bigEndian(i)))
        }
      }
    }
  }
}
