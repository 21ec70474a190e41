import Foundation
import Tensor

/// Hands the tensors of one weight file to model-building code, checking every shape and
/// recording which keys were used, so that loading fails loudly on a missing key, a wrong shape
/// or a key the model never asked for.
///
/// ```swift
/// var store = try WeightStore(contentsOf: checkpointURL)
/// let stem = try store.take("_conv_stem.weight", shape: [32, 3, 3, 3])
/// // ... every layer takes its parameters ...
/// try store.finish(ignoring: { $0.hasSuffix("num_batches_tracked") })
/// ```
public struct WeightStore: Sendable {
  /// The file the tensors come from.
  public let file: WeightFile
  /// The keys taken so far.
  public private(set) var usedKeys: Set<String> = []

  /// A store over the arrays of `file`.
  public init(_ file: WeightFile) {
    self.file = file
  }

  /// A store over the weight file at `url` (any supported format).
  /// - Throws: `WeightFileError` from reading the file.
  public init(contentsOf url: URL, limits: WeightFileLimits = .default) throws {
    self.init(try WeightFile(contentsOf: url, limits: limits))
  }

  /// Whether the file holds `key`.
  public func contains(_ key: String) -> Bool { file[key] != nil }

  /// The array stored under `key`, which must have shape `shape`; marks the key used.
  ///
  /// - Throws: `WeightFileError.missingKey`, or `.shapeMismatch` naming the file, the key and
  ///   both shapes.
  public mutating func takeArray(_ key: String, shape: [Int]) throws -> WeightArray {
    guard let array = file[key] else {
      throw WeightFileError.missingKey(file: file.name, key: key)
    }
    guard array.shape == shape else {
      throw WeightFileError.shapeMismatch(
        file: file.name, key: key, expected: shape, found: array.shape)
    }
    usedKeys.insert(key)
    return array
  }

  /// The tensor stored under `key` converted to `Float`, which must have shape `shape`; marks
  /// the key used.
  ///
  /// - Throws: `WeightFileError.missingKey`, or `.shapeMismatch` naming the file, the key and
  ///   both shapes.
  /// - Complexity: O(element count) for the conversion.
  public mutating func take(_ key: String, shape: [Int]) throws -> Tensor {
    try takeArray(key, shape: shape).tensor()
  }

  /// The keys not taken yet, in file order.
  public var unusedKeys: [String] { file.keys.filter { !usedKeys.contains($0) } }

  /// Checks that every key of the file was taken, except those `isIgnored` accepts.
  ///
  /// - Throws: `WeightFileError.unusedKeys` listing the unused keys in file order.
  public func finish(ignoring isIgnored: (String) -> Bool = { _ in false }) throws {
    let unused = unusedKeys.filter { !isIgnored($0) }
    guard unused.isEmpty else { throw WeightFileError.unusedKeys(file: file.name, keys: unused) }
  }
}
