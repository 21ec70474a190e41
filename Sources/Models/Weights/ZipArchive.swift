import Foundation

/// A read-only zip archive: its central directory, and the contents of stored (method 0) and
/// deflated (method 8) entries. ZIP64 sizes and offsets are supported; encryption, multi-disk
/// archives and other compression methods are refused with a typed error.
///
/// Opening reads only the end-of-central-directory record and the central directory; every
/// offset and size is validated against the archive's bytes before use, the entry count is
/// capped, and an entry's contents are produced on demand: a slice of the archive for stored
/// entries, one exactly-sized buffer for deflated ones (whose declared size is bounded both by
/// `WeightFileLimits.maxEntryBytes` and by deflate's maximum ratio of 1032:1). Contents are
/// checked against the entry's CRC-32.
public struct ZipArchive: Sendable {
  /// One central-directory record.
  public struct Entry: Sendable, Equatable {
    /// The entry's path inside the archive (UTF-8, or Latin-1 when not valid UTF-8).
    public let path: String
    /// 0 (stored) or 8 (deflate).
    public let method: UInt16
    public let compressedSize: Int
    public let uncompressedSize: Int
    public let crc32: UInt32
    /// Offset of the entry's local header in the archive.
    public let localHeaderOffset: Int
    let rawPath: [UInt8]
  }

  /// The archive's path or name, used in errors.
  public let name: String
  /// The entries in central-directory order.
  public let entries: [Entry]
  private let data: Data
  private let limits: WeightFileLimits
  private let index: [String: Int]

  private static let endSignature: UInt32 = 0x0605_4B50
  private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
  private static let zip64EndSignature: UInt32 = 0x0606_4B50
  private static let centralSignature: UInt32 = 0x0201_4B50
  private static let localSignature: UInt32 = 0x0403_4B50

  /// Opens the archive held in `data`; `name` identifies it in errors.
  ///
  /// - Throws: `WeightFileError` for a missing or inconsistent end record or central directory,
  ///   multi-disk archives, encrypted entries, unsupported methods, duplicate paths, or more
  ///   entries than `limits.maxZipEntryCount`.
  /// - Complexity: O(central directory size).
  public init(_ data: Data, name: String, limits: WeightFileLimits = .default) throws {
    self.data = data
    self.name = name
    self.limits = limits
    var reader = ByteReader(data, file: name, context: "zip end of central directory")
    func bad(_ reason: String) -> WeightFileError {
      .malformed(file: name, key: nil, reason: reason)
    }

    // The end-of-central-directory record: 22 bytes plus a comment of at most 65535 bytes.
    guard data.count >= 22 else {
      throw WeightFileError.truncated(
        file: name, key: nil, context: "zip end of central directory", offset: 0, needed: 22,
        available: data.count)
    }
    // Scan backwards for the signature whose comment length fits the bytes after it.
    let endOffset: Int? = data.withUnsafeBytes { raw in
      var candidate = raw.count - 22
      while candidate >= max(0, raw.count - 22 - 0xFFFF) {
        if raw[candidate] == 0x50 && raw[candidate + 1] == 0x4B && raw[candidate + 2] == 0x05
          && raw[candidate + 3] == 0x06
        {
          let commentLength = Int(raw[candidate + 20]) | Int(raw[candidate + 21]) << 8
          if candidate + 22 + commentLength <= raw.count { return candidate }
        }
        candidate -= 1
      }
      return nil
    }
    guard let endOffset else { throw bad("no zip end-of-central-directory record") }
    try reader.seek(to: endOffset + 4)
    let diskNumber = try reader.read(UInt16.self)
    let directoryDisk = try reader.read(UInt16.self)
    _ = try reader.read(UInt16.self)  // entries on this disk
    var entryCount = Int(try reader.read(UInt16.self))
    var directorySize = Int(try reader.read(UInt32.self))
    var directoryOffset = Int(try reader.read(UInt32.self))
    guard diskNumber == 0, directoryDisk == 0 else {
      throw WeightFileError.unsupported(file: name, key: nil, feature: "multi-disk zip archive")
    }
    var directoryEnd = endOffset

    // ZIP64: a locator just before the end record points to the ZIP64 end record.
    if endOffset >= 20,
      try reader.peek(UInt32.self, at: endOffset - 20) == ZipArchive.zip64LocatorSignature
    {
      reader.context = "zip64 end of central directory"
      let locatorDisk = try reader.peek(UInt32.self, at: endOffset - 16)
      let zip64End = try reader.peek(UInt64.self, at: endOffset - 12)
      let diskCount = try reader.peek(UInt32.self, at: endOffset - 4)
      guard locatorDisk == 0, diskCount <= 1 else {
        throw WeightFileError.unsupported(file: name, key: nil, feature: "multi-disk zip archive")
      }
      guard endOffset >= 76, zip64End <= UInt64(endOffset - 76) else {
        throw bad("the zip64 end record offset \(zip64End) is out of range")
      }
      let recordOffset = Int(zip64End)
      guard try reader.peek(UInt32.self, at: recordOffset) == ZipArchive.zip64EndSignature else {
        throw bad("no zip64 end-of-central-directory record at \(recordOffset)")
      }
      try reader.seek(to: recordOffset + 16)
      let disk64 = try reader.read(UInt32.self)
      let directoryDisk64 = try reader.read(UInt32.self)
      guard disk64 == 0, directoryDisk64 == 0 else {
        throw WeightFileError.unsupported(file: name, key: nil, feature: "multi-disk zip archive")
      }
      _ = try reader.read(UInt64.self)  // entries on this disk
      let count64 = try reader.read(UInt64.self)
      let size64 = try reader.read(UInt64.self)
      let offset64 = try reader.read(UInt64.self)
      guard size64 <= UInt64(data.count), offset64 <= UInt64(data.count) else {
        throw bad("the zip64 central directory lies outside the archive")
      }
      entryCount = Int(clamping: count64)
      directorySize = Int(size64)
      directoryOffset = Int(offset64)
      directoryEnd = recordOffset
    }

    guard entryCount <= limits.maxZipEntryCount else {
      throw WeightFileError.limitExceeded(
        file: name, key: nil, limit: "zip entry count", value: entryCount,
        maximum: limits.maxZipEntryCount)
    }
    guard directoryOffset <= directoryEnd, directorySize <= directoryEnd - directoryOffset else {
      throw bad(
        "the central directory (\(directorySize) bytes at \(directoryOffset)) overlaps the end "
          + "record at \(directoryEnd)")
    }
    guard entryCount <= directorySize / 46 else {
      throw bad("\(entryCount) entries cannot fit in a \(directorySize)-byte central directory")
    }

    var directory = ByteReader(
      data.slice(directoryOffset, directorySize), file: name, context: "zip central directory")
    var entries: [Entry] = []
    entries.reserveCapacity(entryCount)
    var index: [String: Int] = [:]
    for _ in 0..<entryCount {
      let entry = try ZipArchive.readCentralRecord(&directory, name: name, limits: limits)
      guard index.updateValue(entries.count, forKey: entry.path) == nil else {
        throw WeightFileError.duplicateKey(file: name, key: entry.path)
      }
      entries.append(entry)
    }
    self.entries = entries
    self.index = index
  }

  private static func readCentralRecord(
    _ directory: inout ByteReader, name: String, limits: WeightFileLimits
  ) throws -> Entry {
    let recordStart = directory.position
    guard try directory.read(UInt32.self) == centralSignature else {
      throw WeightFileError.malformed(
        file: name, key: nil, reason: "bad central directory signature at \(recordStart)")
    }
    try directory.skip(4)  // versions
    let flags = try directory.read(UInt16.self)
    let method = try directory.read(UInt16.self)
    try directory.skip(4)  // time, date
    let crc = try directory.read(UInt32.self)
    var compressed = UInt64(try directory.read(UInt32.self))
    var uncompressed = UInt64(try directory.read(UInt32.self))
    let nameLength = Int(try directory.read(UInt16.self))
    let extraLength = Int(try directory.read(UInt16.self))
    let commentLength = Int(try directory.read(UInt16.self))
    var disk = UInt32(try directory.read(UInt16.self))
    try directory.skip(6)  // attributes
    var localOffset = UInt64(try directory.read(UInt32.self))
    let rawPath = [UInt8](try directory.readBytes(nameLength))
    let path =
      String(validating: rawPath, as: UTF8.self)
      ?? String(String.UnicodeScalarView(rawPath.map { Unicode.Scalar($0) }))
    directory.key = path
    var extra = ByteReader(
      try directory.readBytes(extraLength), file: name, key: path, context: "zip extra field")
    try directory.skip(commentLength)
    directory.key = nil

    // The ZIP64 extra field (id 1) holds the 64-bit values whose 32-bit fields are saturated.
    while extra.remaining >= 4 {
      let id = try extra.read(UInt16.self)
      let size = Int(try extra.read(UInt16.self))
      var field = ByteReader(
        try extra.readBytes(size), file: name, key: path, context: "zip64 extra field")
      guard id == 1 else { continue }
      if uncompressed == 0xFFFF_FFFF { uncompressed = try field.read(UInt64.self) }
      if compressed == 0xFFFF_FFFF { compressed = try field.read(UInt64.self) }
      if localOffset == 0xFFFF_FFFF { localOffset = try field.read(UInt64.self) }
      if disk == 0xFFFF { disk = try field.read(UInt32.self) }
    }

    guard disk == 0 else {
      throw WeightFileError.unsupported(file: name, key: path, feature: "multi-disk zip archive")
    }
    guard flags & 1 == 0 else {
      throw WeightFileError.unsupported(file: name, key: path, feature: "encrypted zip entry")
    }
    guard method == 0 || method == 8 else {
      throw WeightFileError.unsupported(
        file: name, key: path, feature: "zip compression method \(method) (only 0 and 8)")
    }
    let maximum = UInt64(limits.maxEntryBytes)
    guard uncompressed <= maximum else {
      throw WeightFileError.limitExceeded(
        file: name, key: path, limit: "zip entry size", value: Int(clamping: uncompressed),
        maximum: limits.maxEntryBytes)
    }
    guard compressed <= UInt64(Int.max), localOffset <= UInt64(Int.max) else {
      throw WeightFileError.malformed(file: name, key: path, reason: "entry sizes out of range")
    }
    if method == 0 && compressed != uncompressed {
      throw WeightFileError.malformed(
        file: name, key: path,
        reason: "stored entry with compressed size \(compressed) != size \(uncompressed)")
    }
    if method == 8 && uncompressed > compressed &* 1032 &+ 64 {
      throw WeightFileError.limitExceeded(
        file: name, key: path, limit: "deflate expansion (declared size)",
        value: Int(clamping: uncompressed), maximum: Int(clamping: compressed &* 1032 &+ 64))
    }
    return Entry(
      path: path, method: method, compressedSize: Int(compressed),
      uncompressedSize: Int(uncompressed), crc32: crc, localHeaderOffset: Int(localOffset),
      rawPath: rawPath)
  }

  /// The entry whose path is `path`, or `nil`.
  public func entry(_ path: String) -> Entry? {
    index[path].map { entries[$0] }
  }

  /// The uncompressed contents of `entry` (a slice of the archive for stored entries).
  ///
  /// - Throws: `WeightFileError` naming the entry if its local header is missing or
  ///   inconsistent, its data lies outside the archive, the deflate stream is corrupt or of the
  ///   wrong length, or the CRC-32 does not match.
  /// - Complexity: O(entry size).
  public func contents(of entry: Entry) throws -> Data {
    var reader = ByteReader(data, file: name, key: entry.path, context: "zip local header")
    try reader.seek(to: entry.localHeaderOffset)
    guard try reader.read(UInt32.self) == ZipArchive.localSignature else {
      throw WeightFileError.malformed(
        file: name, key: entry.path, reason: "no local header at \(entry.localHeaderOffset)")
    }
    try reader.skip(22)
    let nameLength = Int(try reader.read(UInt16.self))
    let extraLength = Int(try reader.read(UInt16.self))
    guard [UInt8](try reader.readBytes(nameLength)) == entry.rawPath else {
      throw WeightFileError.malformed(
        file: name, key: entry.path, reason: "the local header names a different entry")
    }
    try reader.skip(extraLength)
    reader.context = "zip entry data"
    let stored = try reader.readBytes(entry.compressedSize)
    let contents: Data
    if entry.method == 0 {
      contents = stored
    } else {
      do {
        contents = try RawInflate.inflate(stored, expectedCount: entry.uncompressedSize)
      } catch let failure as RawInflate.Failure {
        throw WeightFileError.malformed(file: name, key: entry.path, reason: failure.reason)
      }
    }
    let crc = RawInflate.crc32(contents)
    guard crc == entry.crc32 else {
      throw WeightFileError.malformed(
        file: name, key: entry.path,
        reason: "CRC-32 \(String(crc, radix: 16)) != recorded \(String(entry.crc32, radix: 16))")
    }
    return contents
  }

  /// The uncompressed contents of the entry at `path`.
  /// - Throws: `WeightFileError.missingKey` if there is no such entry, or as `contents(of:)`.
  public func contents(of path: String) throws -> Data {
    guard let entry = entry(path) else {
      throw WeightFileError.missingKey(file: name, key: path)
    }
    return try contents(of: entry)
  }
}
