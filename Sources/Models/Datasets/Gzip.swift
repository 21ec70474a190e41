import Foundation

/// Decompression of a single-member gzip file (RFC 1952): the header is parsed here, the deflate
/// body is inflated by zlib through `RawInflate`, and the trailer's CRC-32 and length are
/// checked.
///
/// Layout: `1f 8b 08 FLG MTIME(4) XFL OS`, then optional fields chosen by `FLG` (`FEXTRA` 0x04:
/// a little-endian length and that many bytes; `FNAME` 0x08 and `FCOMMENT` 0x10: zero-terminated
/// strings; `FHCRC` 0x02: two bytes), then the raw deflate stream, then `CRC32` and `ISIZE`
/// (the uncompressed length modulo 2³²), both little-endian.
///
/// The output size is taken from `ISIZE` and bounded before anything is allocated: by `limit`
/// and by deflate's largest possible ratio (1032 : 1), so a lying trailer cannot make the reader
/// allocate more than the file could hold.
enum Gzip {
  /// deflate's largest expansion: a 258-byte match costs at least two bits.
  static let maximumRatio = 1032

  /// Whether `data` starts with the gzip magic bytes `1f 8b`.
  static func isGzip(_ data: Data) -> Bool {
    data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b
  }

  /// The bytes that the single gzip member `data` inflates to.
  ///
  /// - Parameters:
  ///   - data: the whole `.gz` file.
  ///   - file: the name used in errors.
  ///   - limit: the largest uncompressed size accepted, in bytes.
  /// - Throws: `IDXFileError.corruptGzip` naming `file` for a bad header, a truncated or corrupt
  ///   stream, a CRC or length mismatch (which is also what a multi-member file gives), and
  ///   `IDXFileError.tooLarge` when the declared size exceeds `limit`.
  /// - Complexity: O(`data.count` + uncompressed size).
  static func decompress(_ data: Data, file: String, limit: Int) throws -> Data {
    let bytes = [UInt8](data.prefix(4096))
    func corrupt(_ reason: String) -> IDXFileError { .corruptGzip(file: file, reason: reason) }
    guard data.count >= 18 else {
      throw corrupt("\(data.count) bytes is shorter than the smallest gzip file (18)")
    }
    guard bytes[0] == 0x1f, bytes[1] == 0x8b else {
      throw corrupt("the file does not start with the gzip magic bytes 1f 8b")
    }
    guard bytes[2] == 8 else { throw corrupt("compression method \(bytes[2]) is not deflate (8)") }
    let flags = bytes[3]
    guard flags & 0xE0 == 0 else { throw corrupt("reserved header flags are set (\(flags))") }

    var offset = 10
    func need(_ count: Int, _ what: String) throws {
      guard offset + count <= data.count - 8 else { throw corrupt("the \(what) runs past the end") }
    }
    func byte(at index: Int) -> UInt8 { data[data.startIndex + index] }
    if flags & 0x04 != 0 {
      try need(2, "extra field length")
      let length = Int(byte(at: offset)) | Int(byte(at: offset + 1)) << 8
      offset += 2
      try need(length, "extra field")
      offset += length
    }
    for (flag, name) in [(UInt8(0x08), "file name"), (0x10, "comment")] where flags & flag != 0 {
      while true {
        try need(1, name)
        offset += 1
        if byte(at: offset - 1) == 0 { break }
      }
    }
    if flags & 0x02 != 0 {
      try need(2, "header CRC")
      offset += 2
    }

    func littleEndian32(at index: Int) -> UInt32 {
      (0..<4).reduce(UInt32(0)) { $0 | UInt32(byte(at: index + $1)) << (8 * UInt32($1)) }
    }
    let expectedCRC = littleEndian32(at: data.count - 8)
    let size = Int(littleEndian32(at: data.count - 4))
    let body = data[(data.startIndex + offset)..<(data.endIndex - 8)]
    guard size <= limit else {
      throw IDXFileError.tooLarge(file: file, bytes: size, limit: limit)
    }
    guard size <= body.count * maximumRatio else {
      throw corrupt(
        "the trailer declares \(size) bytes, more than \(body.count) compressed bytes can hold")
    }
    let inflated: Data
    do {
      inflated = try RawInflate.inflate(body, expectedCount: size)
    } catch let failure as RawInflate.Failure {
      throw corrupt(failure.reason)
    }
    let crc = RawInflate.crc32(inflated)
    guard crc == expectedCRC else {
      throw corrupt(
        "CRC-32 \(String(crc, radix: 16)) of the inflated data does not match the trailer's "
          + "\(String(expectedCRC, radix: 16))")
    }
    return inflated
  }
}
