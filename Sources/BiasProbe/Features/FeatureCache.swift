import Foundation
import Models
import Tensor

/// A file of cached features: one safetensors file holding the tensor `features` `[N, D]`
/// (float32) and, in its string metadata, what each row is and how to tell it is still valid
/// (`Docs/Features.md`):
///
/// | key | value |
/// |---|---|
/// | `format` | `convnetprobe-features-1` |
/// | `model` | the extractor's `modelIdentity` |
/// | `preprocessing` | e.g. `resize 256, crop 224x224, antialias true` (`none` for datasets) |
/// | `keys` | JSON array: per row, the file's standardised absolute path (`#i` for dataset image `i`) |
/// | `fingerprints` | JSON array: per row, e.g. `size 139512; fnv1a64 9c0e…` or `size …; mtime …` |
///
/// A cache whose format, model or preprocessing differs is ignored as a whole; a row whose file
/// is missing or whose fingerprint differs is recomputed. An unreadable or damaged cache file is
/// ignored (and overwritten), never an error: it only costs time.
public struct FeatureCache: Sendable, Hashable {
  /// How a file is recognised as unchanged.
  public enum Validation: String, Sendable, Hashable, CaseIterable {
    /// Size and a 64-bit FNV-1a hash of the bytes (reads every file; catches any edit).
    case contentHash
    /// Size and modification time (reads no file; misses an edit that keeps both).
    case sizeAndModificationTime
  }

  /// The cache file (conventionally `*.safetensors`).
  public let url: URL
  /// How rows are validated (datasets always hash their pixels).
  public let validation: Validation

  public init(url: URL, validation: Validation = .contentHash) {
    self.url = url
    self.validation = validation
  }

  static let format = "convnetprobe-features-1"

  /// The rows of a loaded cache, by key.
  struct Contents {
    let rows: [String: (fingerprint: String, row: [Float])]
    func row(key: String, fingerprint: String) -> [Float]? {
      guard let entry = rows[key], entry.fingerprint == fingerprint else { return nil }
      return entry.row
    }
  }

  /// The cache's rows if it exists and matches the model and preprocessing; `nil` otherwise.
  func load(modelIdentity: String, preprocessing: String) -> Contents? {
    guard FileManager.default.fileExists(atPath: url.path),
      let file = try? Safetensors.read(contentsOf: url),
      file.metadata["format"] == Self.format, file.metadata["model"] == modelIdentity,
      file.metadata["preprocessing"] == preprocessing,
      let keys = Self.strings(file.metadata["keys"]),
      let fingerprints = Self.strings(file.metadata["fingerprints"]),
      keys.count == fingerprints.count,
      let features = try? file.tensor("features"), features.rank == 2, features.shape[0] == keys.count
    else { return nil }
    let d = features.shape[1]
    let scalars = features.scalars
    var rows: [String: (String, [Float])] = [:]
    for (i, key) in keys.enumerated() {
      rows[key] = (fingerprints[i], Array(scalars[i * d..<(i + 1) * d]))
    }
    return Contents(rows: rows)
  }

  /// Writes the cache (atomically).
  func store(
    _ features: Tensor, keys: [String], fingerprints: [String], modelIdentity: String,
    preprocessing: String
  ) throws {
    do {
      let metadata = [
        "format": Self.format, "model": modelIdentity, "preprocessing": preprocessing,
        "keys": try Self.json(keys), "fingerprints": try Self.json(fingerprints),
      ]
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Safetensors.write([("features", features)], metadata: metadata, to: url)
    } catch {
      throw FeatureExtractionError.cacheUnwritable(url.path, reason: "\(error)")
    }
  }

  private static func json(_ strings: [String]) throws -> String {
    String(decoding: try JSONEncoder().encode(strings), as: UTF8.self)
  }

  private static func strings(_ text: String?) -> [String]? {
    text.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
  }
}

/// Fingerprints telling whether a cached row is still valid.
enum FileFingerprint {
  /// The size and either an FNV-1a hash of the content or the modification time.
  ///
  /// - Throws: `ImageError.fileNotFound` / `.unreadableFile` for a file that cannot be read.
  static func ofFile(_ url: URL, mode: FeatureCache.Validation) throws -> String {
    switch mode {
    case .contentHash:
      let data: Data
      do {
        data = try Data(contentsOf: url, options: .mappedIfSafe)
      } catch {
        throw FeatureExtractionError.badImage(url.path, reason: "cannot read it (\(error.localizedDescription))")
      }
      let hash = data.withUnsafeBytes { fnv1a64($0) }
      return "size \(data.count); fnv1a64 \(String(hash, radix: 16))"
    case .sizeAndModificationTime:
      let attributes: [FileAttributeKey: Any]
      do {
        attributes = try FileManager.default.attributesOfItem(atPath: url.path)
      } catch {
        throw FeatureExtractionError.badImage(url.path, reason: "cannot read it (\(error.localizedDescription))")
      }
      let size = (attributes[.size] as? NSNumber)?.intValue ?? -1
      let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
      return "size \(size); mtime \(String(format: "%.9f", modified))"
    }
  }

  /// An FNV-1a hash of an image's float pixels.
  static func ofPixels(_ image: Tensor) -> String {
    let scalars = image.scalars
    let hash = scalars.withUnsafeBytes { fnv1a64($0) }
    return "shape \(image.shape); fnv1a64 \(String(hash, radix: 16))"
  }

  /// The 64-bit FNV-1a hash of `bytes`.
  static func fnv1a64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    return hash
  }
}
