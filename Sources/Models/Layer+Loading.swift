import Foundation
import Tensor

extension Layer {
  /// Replaces every parameter and buffer with the tensor stored under its state-dict name,
  /// checking each shape against the layer's current one.
  ///
  /// The key of a parameter `name` is `prefix + "." + name` (just `name` when `prefix` is empty;
  /// a `prefix` ending in `"."` is used as is). Keys are marked used in `store`, so that
  /// `store.finish(ignoring:)` afterwards reports keys no layer asked for. The layer is changed
  /// only if every tensor loads.
  ///
  /// - Throws: `WeightFileError.missingKey` or `.shapeMismatch` naming the file, the key and
  ///   (for a mismatch) the expected and found shapes.
  /// - Complexity: O(total parameter count) for the conversions.
  public mutating func load(from store: inout WeightStore, prefix: String = "") throws {
    var updated = self
    try updated.updateParameters { name, _, tensor in
      tensor = try store.take(stateDictionaryKey(prefix, name), shape: tensor.shape)
    }
    self = updated
  }

  /// Loads every parameter and buffer from `file` (see `load(from:prefix:)`) and checks that
  /// every key of the file was used, except those `isIgnored` accepts (by default PyTorch's
  /// batch-norm bookkeeping `num_batches_tracked`).
  ///
  /// - Throws: `WeightFileError.missingKey`, `.shapeMismatch`, or `.unusedKeys` listing the keys
  ///   of the file that the layer did not use.
  public mutating func load(
    from file: WeightFile, prefix: String = "",
    ignoring isIgnored: (String) -> Bool = isBatchNormBookkeeping
  ) throws {
    var store = WeightStore(file)
    var updated = self
    try updated.load(from: &store, prefix: prefix)
    try store.finish(ignoring: isIgnored)
    self = updated
  }

  /// Loads every parameter and buffer from the weight file at `url` (safetensors, PyTorch
  /// checkpoint, `.npz`), as `load(from:prefix:ignoring:)` does.
  ///
  /// - Throws: `WeightFileError` for an unreadable file, a missing key, a wrong shape or an
  ///   unused key.
  public mutating func load(
    contentsOf url: URL, prefix: String = "",
    ignoring isIgnored: (String) -> Bool = isBatchNormBookkeeping
  ) throws {
    try load(from: WeightFile(contentsOf: url), prefix: prefix, ignoring: isIgnored)
  }

  /// Every parameter and buffer under its state-dict key (with `prefix`, as in
  /// `load(from:prefix:)`), in state-dict order — ready for `Safetensors.write`.
  ///
  /// - Complexity: O(number of tensors); the tensors are shared, not copied.
  public func namedTensors(prefix: String = "") -> [(key: String, tensor: Tensor)] {
    var result: [(key: String, tensor: Tensor)] = []
    visitParameters { name, _, tensor in
      result.append((stateDictionaryKey(prefix, name), tensor))
    }
    return result
  }

  /// Every parameter and buffer by state-dict key (with `prefix`): the `state_dict()` of the
  /// layer, without `num_batches_tracked`.
  ///
  /// - Complexity: O(number of tensors).
  public func stateDictionary(prefix: String = "") -> [String: Tensor] {
    Dictionary(namedTensors(prefix: prefix).map { ($0.key, $0.tensor) }) { first, _ in first }
  }

  /// Writes every parameter and buffer as float32 safetensors at `url`, in state-dict order; a
  /// file that `load(contentsOf:)` reads back.
  ///
  /// - Throws: `WeightFileError.unwritable`.
  public func save(to url: URL, prefix: String = "", metadata: [String: String] = [:]) throws {
    try Safetensors.write(namedTensors(prefix: prefix), metadata: metadata, to: url)
  }
}

/// Whether `key` is PyTorch batch-norm bookkeeping that no layer loads (`…num_batches_tracked`).
public func isBatchNormBookkeeping(_ key: String) -> Bool {
  key == "num_batches_tracked" || key.hasSuffix(".num_batches_tracked")
}

/// `prefix.name`, or `name` when `prefix` is empty, or `prefix + name` when `prefix` ends in ".".
func stateDictionaryKey(_ prefix: String, _ name: String) -> String {
  if prefix.isEmpty || prefix.hasSuffix(".") { return prefix + name }
  return prefix + "." + name
}
