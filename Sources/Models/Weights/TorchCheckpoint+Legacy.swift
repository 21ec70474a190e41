import Foundation

extension TorchCheckpoint {
  /// The magic number PyTorch pickles first in a legacy checkpoint, 0x1950a86a20f9469cfc6c, as
  /// little-endian bytes.
  static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

  /// Reads a legacy (pre-zip) checkpoint: five consecutive pickles — the magic number, the
  /// protocol version 1001, a system-information dictionary, the state dictionary (storages as
  /// persistent ids), the list of storage keys — then, for each key in that order, an int64
  /// little-endian element count followed by the storage's little-endian elements.
  ///
  /// PyTorch writes these records little-endian whatever the machine, so no byte swapping is
  /// needed. Every listed key must be a storage of the state dictionary and vice versa, each
  /// record's count must equal the storage's declared size, and the file must end after the
  /// last record.
  /// - Throws: `WeightFileError` naming the file and the key.
  static func readLegacy(_ data: Data, name file: String, limits: WeightFileLimits) throws
    -> WeightFile
  {
    func bad(_ reason: String, key: String? = nil) -> WeightFileError {
      .malformed(file: file, key: key, reason: reason)
    }
    func header(at offset: Int) throws -> PickleDocument {
      try Unpickler.load(
        data, at: offset, file: file, allowedGlobals: [], limits: limits.pickle
      ) { _, _ in throw bad("unexpected persistent id in a checkpoint header") }
    }
    let magic = try header(at: 0)
    guard magic.root == .bigInt(legacyMagic) else {
      throw WeightFileError.unrecognizedFormat(
        file: file, reason: "the first pickle is not PyTorch's magic number")
    }
    let protocolVersion = try header(at: magic.endOffset)
    guard protocolVersion.root == .int(1001) else {
      throw WeightFileError.unsupported(
        file: file, key: nil, feature: "legacy checkpoint protocol \(protocolVersion.root)")
    }
    let systemInfo = try header(at: protocolVersion.endOffset)
    guard case .dict(let info) = systemInfo.root else {
      throw bad("the system information is not a dictionary")
    }
    if let position = systemInfo.dictionaries[info].positions[.string("little_endian")],
      systemInfo.dictionaries[info].items[position].value == .bool(false)
    {
      // Recent PyTorch converts to little-endian on save; files from big-endian machines written
      // by old versions are not supported.
      throw WeightFileError.unsupported(
        file: file, key: nil, feature: "legacy checkpoint written on a big-endian machine")
    }

    var table = StorageTable()
    let stateDictionary = try Unpickler.load(
      data, at: systemInfo.endOffset, file: file, allowedGlobals: allowedGlobals,
      limits: limits.pickle
    ) { id, document in
      try loadStorage(id, document, storages: &table, file: file, limits: limits)
    }
    let storages = table.references
    let keyList = try header(at: stateDictionary.endOffset)
    guard case .list(let list) = keyList.root else {
      throw bad("the storage key list is not a list")
    }
    let keys = try keyList.lists[list].map { value -> String in
      guard case .string(let key) = value else { throw bad("a storage key is not a string") }
      return key
    }
    guard Set(keys).count == keys.count else { throw bad("a storage key is listed twice") }
    let referenced = table.positions
    guard keys.count == storages.count else {
      let listed = Set(keys)
      let missing = storages.map(\.key).filter { !listed.contains($0) }
      throw bad("storages \(missing.prefix(5)) have no data record")
    }

    var storageData = [Data](repeating: Data(), count: storages.count)
    var reader = ByteReader(data, file: file, context: "storage record")
    try reader.seek(to: keyList.endOffset)
    for key in keys {
      guard let index = referenced[key] else {
        throw bad("storage '\(key)' is listed but not used by any tensor", key: key)
      }
      reader.key = key
      let storage = storages[index]
      let count = try reader.read(Int64.self)
      guard count == Int64(storage.count) else {
        throw WeightFileError.sizeMismatch(
          file: file, key: key, shape: [storage.count], dtype: storage.dtype.rawValue,
          expectedBytes: storage.count &* storage.dtype.byteCount,
          foundBytes: Int(clamping: count) &* storage.dtype.byteCount)
      }
      let byteCount = storage.count.multipliedReportingOverflow(by: storage.dtype.byteCount)
      guard !byteCount.overflow else {
        throw WeightFileError.limitExceeded(
          file: file, key: key, limit: "storage size", value: Int.max, maximum: Int.max)
      }
      storageData[index] = try reader.readBytes(byteCount.partialValue)
    }
    guard reader.isAtEnd else {
      throw bad("\(reader.remaining) unexpected bytes after the last storage record")
    }
    return try flatten(
      stateDictionary, storages: storages, storageData: storageData, swapBytes: false,
      format: .pytorchLegacy, file: file, limits: limits)
  }
}
