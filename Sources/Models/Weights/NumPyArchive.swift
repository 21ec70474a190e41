import Foundation

/// Reads NumPy `.npz` archives: zip files of `.npy` members, stored (`np.savez`) or deflated
/// (`np.savez_compressed`).
///
/// Each member `name.npy` becomes the array `name` (folders inside the archive are kept in the
/// name: `a/b.npy` → `a/b`). Folder entries are skipped; any other member is refused.
public enum NumPyArchive {
  /// Reads the `.npz` file at `url`.
  /// - Throws: `WeightFileError` naming the file and the member.
  public static func read(
    contentsOf url: URL, limits: WeightFileLimits = .default
  ) throws -> WeightFile {
    let archive = try ZipArchive(WeightFile.mappedData(url), name: url.path, limits: limits)
    return try read(archive: archive, limits: limits)
  }

  /// Reads the `.npy` members of an open archive, in central-directory order.
  /// - Throws: `WeightFileError` naming the archive and the member.
  public static func read(archive: ZipArchive, limits: WeightFileLimits = .default) throws
    -> WeightFile
  {
    var entries: [(key: String, array: WeightArray)] = []
    for entry in archive.entries where !entry.path.hasSuffix("/") {
      guard entry.path.hasSuffix(".npy") else {
        throw WeightFileError.unsupported(
          file: archive.name, key: entry.path, feature: "a .npz member that is not a .npy file")
      }
      let key = String(entry.path.dropLast(4))
      let array = try NumPyArray.read(
        archive.contents(of: entry), name: archive.name, key: entry.path, limits: limits)
      entries.append((key, array))
    }
    return try WeightFile(name: archive.name, format: .numpyArchive, entries: entries)
  }
}
