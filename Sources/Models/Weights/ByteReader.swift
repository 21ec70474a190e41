import Foundation

/// A bounds-checked little-endian cursor over the bytes of a file or archive entry.
///
/// Positions are relative to the start of `data` (which may be a slice of a larger buffer).
/// Every read first checks that the bytes exist and throws `WeightFileError.truncated` naming
/// the file, key and structure otherwise; nothing is allocated from a declared size before that
/// size has been compared with the bytes actually present.
struct ByteReader {
  let data: Data
  let file: String
  var key: String?
  /// What is being read, for error messages ("safetensors header", "zip central directory").
  var context: String
  /// The offset of the next byte to read, relative to `data.startIndex`.
  private(set) var position: Int = 0

  init(_ data: Data, file: String, key: String? = nil, context: String) {
    self.data = data
    self.file = file
    self.key = key
    self.context = context
  }

  var count: Int { data.count }
  var remaining: Int { data.count - position }
  var isAtEnd: Bool { position >= data.count }

  /// Throws unless `n` bytes are available at `offset`.
  func require(_ n: Int, at offset: Int) throws {
    guard n >= 0, offset >= 0, offset <= data.count, n <= data.count - offset else {
      throw WeightFileError.truncated(
        file: file, key: key, context: context, offset: offset, needed: n, available: data.count)
    }
  }

  /// Moves to `offset` (which may equal `count`).
  mutating func seek(to offset: Int) throws {
    try require(0, at: offset)
    position = offset
  }

  mutating func skip(_ n: Int) throws {
    try require(n, at: position)
    position += n
  }

  /// The next `n` bytes, as a slice sharing `data`'s buffer.
  mutating func readBytes(_ n: Int) throws -> Data {
    try require(n, at: position)
    defer { position += n }
    return data.slice(position, n)
  }

  mutating func readUInt8() throws -> UInt8 {
    try require(1, at: position)
    defer { position += 1 }
    return data[data.startIndex + position]
  }

  /// The next little-endian integer of type `T`.
  mutating func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
    let size = MemoryLayout<T>.size
    try require(size, at: position)
    defer { position += size }
    let at = position
    return data.withUnsafeBytes { raw in
      T(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: T.self))
    }
  }

  /// The little-endian integer of type `T` at `offset`, without moving.
  func peek<T: FixedWidthInteger>(_: T.Type, at offset: Int) throws -> T {
    try require(MemoryLayout<T>.size, at: offset)
    return data.withUnsafeBytes { raw in
      T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
  }
}

extension Data {
  /// `count` bytes starting `offset` bytes after `startIndex`, sharing this buffer.
  ///
  /// - Precondition: the range lies inside the data (callers check with `ByteReader.require`).
  func slice(_ offset: Int, _ count: Int) -> Data {
    precondition(
      offset >= 0 && count >= 0 && offset <= self.count - count,
      "Slice \(offset)..<\(offset + count) is outside \(self.count) bytes.")
    return self[(startIndex + offset)..<(startIndex + offset + count)]
  }
}
