import Foundation
import Tensor

/// The container formats `WeightFile` reads.
public enum WeightFormat: String, Sendable, CaseIterable {
  /// Hugging Face safetensors: a length-prefixed JSON header, then raw little-endian data.
  case safetensors
  /// A PyTorch `torch.save` zip archive (`<folder>/data.pkl` + `<folder>/data/<key>`).
  case pytorchZip
  /// A PyTorch `torch.save` file in the legacy (pre-1.6) format: consecutive pickles, then
  /// storage records.
  case pytorchLegacy
  /// One NumPy `.npy` array.
  case numpy
  /// A NumPy `.npz` archive: a zip of `.npy` files, stored or deflated.
  case numpyArchive
}

/// The named arrays of one weight file, in file order, read in their stored element types.
///
/// ```swift
/// let file = try WeightFile(contentsOf: url)          // any supported format, by content
/// let kernel = try file.tensor("_conv_stem.weight")   // Float tensor [32, 3, 3, 3]
/// ```
///
/// Order is the order of the file: the state-dict order of a PyTorch checkpoint, data-offset
/// order for safetensors, entry order for `.npz`. A single `.npy` file holds one array, named
/// after the file without its extension.
public struct WeightFile: Sendable {
  /// The path (or the name given to an in-memory reader), used in every error.
  public let name: String
  /// The format the content was read as.
  public let format: WeightFormat
  /// Every key, in file order.
  public let keys: [String]
  /// Free-form string metadata: safetensors `__metadata__`; for PyTorch checkpoints the
  /// non-tensor values of the pickled dictionary (`"epoch": "3"`) under their dotted keys.
  public let metadata: [String: String]
  private let arrays: [String: WeightArray]

  /// A file made of `entries` in order.
  ///
  /// - Throws: `WeightFileError.duplicateKey` when a key appears twice.
  public init(
    name: String, format: WeightFormat, entries: [(key: String, array: WeightArray)],
    metadata: [String: String] = [:]
  ) throws {
    var arrays: [String: WeightArray] = [:]
    arrays.reserveCapacity(entries.count)
    for (key, array) in entries {
      guard arrays.updateValue(array, forKey: key) == nil else {
        throw WeightFileError.duplicateKey(file: name, key: key)
      }
    }
    self.name = name
    self.format = format
    self.keys = entries.map(\.key)
    self.metadata = metadata
    self.arrays = arrays
  }

  /// Reads the file at `url`, recognising its format from its first bytes.
  ///
  /// The file is memory-mapped; safetensors data and stored zip entries are not copied until
  /// converted.
  /// - Throws: `WeightFileError` naming the file (and key) for anything unreadable, unrecognised,
  ///   truncated, inconsistent or beyond `limits`.
  public init(contentsOf url: URL, limits: WeightFileLimits = .default) throws {
    let data = try WeightFile.mappedData(url)
    let stem = url.deletingPathExtension().lastPathComponent
    try self.init(data: data, name: url.path, arrayName: stem, limits: limits)
  }

  /// Reads a weight file held in memory; `name` is used in errors, `arrayName` as the key of a
  /// lone `.npy` array.
  public init(
    data: Data, name: String, arrayName: String = "array", limits: WeightFileLimits = .default
  ) throws {
    guard let format = WeightFile.detectFormat(data) else {
      throw WeightFileError.unrecognizedFormat(
        file: name,
        reason: "the first bytes match neither safetensors, a PyTorch checkpoint, .npy nor .npz")
    }
    switch format {
    case .safetensors: self = try Safetensors.read(data, name: name, limits: limits)
    case .pytorchZip, .numpyArchive:
      let archive = try ZipArchive(data, name: name, limits: limits)
      if TorchCheckpoint.recordPrefix(in: archive) != nil {
        self = try TorchCheckpoint.read(archive: archive, limits: limits)
      } else {
        self = try NumPyArchive.read(archive: archive, limits: limits)
      }
    case .pytorchLegacy: self = try TorchCheckpoint.readLegacy(data, name: name, limits: limits)
    case .numpy:
      let array = try NumPyArray.read(data, name: name, limits: limits)
      try self.init(name: name, format: .numpy, entries: [(arrayName, array)])
    }
  }

  /// The format whose signature starts `data`, or `nil`: `PK` zip records (returned as
  /// `.pytorchZip`; a zip is a PyTorch checkpoint or a `.npz` depending on its entries),
  /// `\x93NUMPY`, the pickled PyTorch magic number, or a plausible safetensors header (length,
  /// then `{`).
  static func detectFormat(_ data: Data) -> WeightFormat? {
    let head = [UInt8](data.prefix(24))
    if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
      return .pytorchZip
    }
    if head.starts(with: [0x93] + Array("NUMPY".utf8)) { return .numpy }
    if head.starts(with: [0x80, 0x02, 0x8A, 0x0A]) { return .pytorchLegacy }
    if head.count > 8, head[8] == UInt8(ascii: "{") { return .safetensors }
    return nil
  }

  /// The number of arrays.
  public var count: Int { keys.count }

  /// The array stored under `key`, or `nil`.
  public subscript(key: String) -> WeightArray? { arrays[key] }

  /// The array stored under `key`.
  /// - Throws: `WeightFileError.missingKey`.
  public func array(_ key: String) throws -> WeightArray {
    guard let array = arrays[key] else { throw WeightFileError.missingKey(file: name, key: key) }
    return array
  }

  /// The array stored under `key`, converted to a `Float` tensor (see `WeightArray.tensor()`).
  /// - Throws: `WeightFileError.missingKey`.
  public func tensor(_ key: String) throws -> Tensor {
    try array(key).tensor()
  }

  /// Every array converted to a `Float` tensor, in file order (the `[String: Tensor]` of a state
  /// dictionary, with its order kept).
  /// - Complexity: O(total element count).
  public func tensors() -> [(key: String, tensor: Tensor)] {
    keys.compactMap { key in arrays[key].map { (key, $0.tensor()) } }
  }

  /// The file's bytes, memory-mapped.
  static func mappedData(_ url: URL) throws -> Data {
    do {
      return try Data(contentsOf: url, options: .alwaysMapped)
    } catch {
      throw WeightFileError.unreadable(file: url.path, reason: "\(error.localizedDescription)")
    }
  }
}
