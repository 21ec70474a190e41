import Foundation

extension TorchCheckpoint {
  /// The top-level folder of a PyTorch zip checkpoint (the `X` of the single `X/data.pkl`
  /// entry), or `nil` if the archive has no such entry.
  static func recordPrefix(in archive: ZipArchive) -> String? {
    let candidates = archive.entries.compactMap { entry -> String? in
      let parts = entry.path.split(separator: "/", omittingEmptySubsequences: false)
      guard parts.count == 2, parts[1] == "data.pkl", !parts[0].isEmpty else { return nil }
      return String(parts[0])
    }
    return candidates.min()
  }

  /// Reads a zip-format checkpoint: `X/data.pkl` (the pickled state dictionary), `X/data/<key>`
  /// (one raw storage per key), `X/byteorder` (`little` or `big`; little when absent) and
  /// `X/version`, for any folder name `X`.
  ///
  /// - Throws: `WeightFileError` naming the archive and the key or entry.
  static func read(archive: ZipArchive, limits: WeightFileLimits) throws -> WeightFile {
    let file = archive.name
    let folders = Set(
      archive.entries.compactMap { entry -> String? in
        let parts = entry.path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && parts[1] == "data.pkl" ? String(parts[0]) : nil
      })
    guard folders.count == 1, let prefix = folders.first, !prefix.isEmpty else {
      throw WeightFileError.malformed(
        file: file, key: nil,
        reason: folders.isEmpty
          ? "no '<folder>/data.pkl' entry"
          : "several '<folder>/data.pkl' entries: \(folders.sorted())")
    }

    var swapBytes = false
    if let entry = archive.entry(prefix + "/byteorder") {
      let text = String(decoding: try archive.contents(of: entry), as: UTF8.self)
      switch text.trimmingCharacters(in: .whitespacesAndNewlines) {
      case "little": swapBytes = false
      case "big": swapBytes = true
      default:
        throw WeightFileError.malformed(
          file: file, key: entry.path, reason: "byte order '\(text)' is neither little nor big")
      }
    }

    let pickle = try archive.contents(of: prefix + "/data.pkl")
    var table = StorageTable()
    let document = try Unpickler.load(
      pickle, at: 0, file: file, allowedGlobals: allowedGlobals, limits: limits.pickle
    ) { id, document in
      try loadStorage(id, document, storages: &table, file: file, limits: limits)
    }
    let storages = table.references
    guard document.endOffset == pickle.count else {
      throw WeightFileError.malformed(
        file: file, key: prefix + "/data.pkl", reason: "bytes after the pickle's STOP")
    }

    let storageData = try storages.map { storage -> Data in
      let path = prefix + "/data/" + storage.key
      guard let entry = archive.entry(path) else {
        throw WeightFileError.missingKey(file: file, key: path)
      }
      let expected = storage.count.multipliedReportingOverflow(by: storage.dtype.byteCount)
      guard !expected.overflow, entry.uncompressedSize == expected.partialValue else {
        throw WeightFileError.sizeMismatch(
          file: file, key: path, shape: [storage.count], dtype: storage.dtype.rawValue,
          expectedBytes: expected.overflow ? Int.max : expected.partialValue,
          foundBytes: entry.uncompressedSize)
      }
      return try archive.contents(of: entry)
    }
    return try flatten(
      document, storages: storages, storageData: storageData, swapBytes: swapBytes,
      format: .pytorchZip, file: file, limits: limits)
  }
}
