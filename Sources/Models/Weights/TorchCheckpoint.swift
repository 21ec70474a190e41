import Foundation
import Tensor

/// Reads PyTorch `torch.save` checkpoints of state dictionaries, in the zip format
/// (PyTorch ≥ 1.6) and the legacy format, through the restricted `Unpickler`: no Python code
/// runs and only the globals below may appear.
///
/// Allow-list: `collections.OrderedDict`; `torch._utils._rebuild_tensor_v2`, `_rebuild_tensor`
/// and `_rebuild_parameter`; the typed storage classes `torch.FloatStorage`, `DoubleStorage`,
/// `HalfStorage`, `BFloat16Storage`, `LongStorage`, `IntStorage`, `ShortStorage`, `CharStorage`,
/// `ByteStorage` and `BoolStorage`. Anything else — a pickled `nn.Module`, `os.system`,
/// `torch.storage._load_from_bytes` — is `WeightFileError.forbiddenGlobal`.
///
/// The result is flattened: nested dictionaries and lists give dotted keys
/// (`{"model": {"fc.weight": t}}` → `model.fc.weight`); tensors keep their stored type (so batch
/// norm's `num_batches_tracked` is an `int64` array, read exactly with `int64Scalars()` or as a
/// `Float` by `tensor()`); other scalars (`epoch`, strings, `None`) go to `WeightFile.metadata`.
/// Every tensor's size, stride and offset is checked against its storage before its elements
/// are copied into a dense row-major array.
public enum TorchCheckpoint {
  /// Reads a checkpoint in either format (recognised by its first bytes).
  /// - Throws: `WeightFileError` naming the file and the key or archive entry.
  public static func read(
    contentsOf url: URL, limits: WeightFileLimits = .default
  ) throws -> WeightFile {
    let data = try WeightFile.mappedData(url)
    switch WeightFile.detectFormat(data) {
    case .pytorchLegacy?:
      return try readLegacy(data, name: url.path, limits: limits)
    case .pytorchZip?:
      return try read(archive: ZipArchive(data, name: url.path, limits: limits), limits: limits)
    default:
      throw WeightFileError.unrecognizedFormat(
        file: url.path, reason: "not a PyTorch checkpoint (neither a zip nor a legacy pickle)")
    }
  }

  static let storageTypes: [String: WeightDType] = [
    "FloatStorage": .float32, "DoubleStorage": .float64, "HalfStorage": .float16,
    "BFloat16Storage": .bfloat16, "LongStorage": .int64, "IntStorage": .int32,
    "ShortStorage": .int16, "CharStorage": .int8, "ByteStorage": .uint8, "BoolStorage": .bool,
  ]

  static let rebuildTensorV2 = PickleGlobal("torch._utils", "_rebuild_tensor_v2")
  static let rebuildTensor = PickleGlobal("torch._utils", "_rebuild_tensor")
  static let rebuildParameter = PickleGlobal("torch._utils", "_rebuild_parameter")

  /// The only globals a checkpoint pickle may name.
  static let allowedGlobals: Set<PickleGlobal> = Set(
    [PickleGlobal("collections", "OrderedDict"), rebuildTensorV2, rebuildTensor, rebuildParameter]
      + storageTypes.keys.map { PickleGlobal("torch", $0) })

  /// A storage named by a persistent id `('storage', torch.XStorage, key, location, numel)`.
  struct StorageReference: Equatable {
    var key: String
    var dtype: WeightDType
    /// Elements in the whole storage.
    var count: Int
  }

  /// The storages a pickle names, in first-use order, indexed by key.
  struct StorageTable {
    var references: [StorageReference] = []
    var positions: [String: Int] = [:]
  }

  /// The persistent-load function for checkpoint pickles: validates the id tuple and records
  /// the storage, returning `.persistent(index into storages)`.
  static func loadStorage(
    _ id: PickleValue, _ document: PickleDocument, storages: inout StorageTable,
    file: String, limits: WeightFileLimits
  ) throws -> PickleValue {
    func bad(_ reason: String) -> WeightFileError {
      .malformed(file: file, key: nil, reason: "persistent id: \(reason)")
    }
    guard case .tuple(let t) = id else { throw bad("not a tuple") }
    let fields = document.tuples[t]
    guard fields.count == 5 || fields.count == 6, fields[0] == .string("storage") else {
      throw bad("expected ('storage', type, key, location, size)")
    }
    guard case .global(let type) = fields[1], type.module == "torch",
      let dtype = storageTypes[type.name]
    else { throw bad("the storage type is not a torch typed storage") }
    guard case .string(let key) = fields[2] else { throw bad("the storage key is not a string") }
    guard case .string = fields[3] else { throw bad("the location is not a string") }
    guard case .int(let elements) = fields[4], elements >= 0 else {
      throw bad("the storage size of '\(key)' is not a non-negative integer")
    }
    if fields.count == 6 && fields[5] != .none {
      throw WeightFileError.unsupported(file: file, key: key, feature: "legacy storage views")
    }
    let reference = StorageReference(key: key, dtype: dtype, count: elements)
    if let existing = storages.positions[key] {
      guard storages.references[existing] == reference else {
        throw bad("storage '\(key)' is declared twice with different types or sizes")
      }
      return .persistent(existing)
    }
    let count = storages.references.count
    guard count < limits.maxTensorCount else {
      throw WeightFileError.limitExceeded(
        file: file, key: key, limit: "storage count", value: count + 1,
        maximum: limits.maxTensorCount)
    }
    storages.positions[key] = count
    storages.references.append(reference)
    return .persistent(count)
  }

  /// Flattens the pickled state dictionary into named arrays and metadata.
  ///
  /// - Parameters:
  ///   - storageData: the bytes of each storage in `storages` (already checked to hold
  ///     `count × dtype.byteCount` bytes).
  ///   - swapBytes: whether storages are big-endian.
  static func flatten(
    _ document: PickleDocument, storages: [StorageReference], storageData: [Data],
    swapBytes: Bool, format: WeightFormat, file: String, limits: WeightFileLimits
  ) throws -> WeightFile {
    var entries: [(key: String, array: WeightArray)] = []
    var metadata: [String: String] = [:]
    var seen = Set<String>()

    func tensor(_ index: Int, key: String) throws -> WeightArray {
      func bad(_ reason: String) -> WeightFileError {
        .malformed(file: file, key: key, reason: reason)
      }
      let object = document.objects[index]
      if object.callable == rebuildParameter {
        guard let data = object.arguments.first, case .object(let inner) = data,
          document.objects[inner].callable != rebuildParameter
        else { throw bad("_rebuild_parameter needs a tensor") }
        return try tensor(inner, key: key)
      }
      let arguments = object.arguments
      let expected = object.callable == rebuildTensorV2 ? 6...7 : 4...4
      guard object.callable == rebuildTensorV2 || object.callable == rebuildTensor else {
        throw bad("\(object.callable) does not build a tensor")
      }
      guard expected.contains(arguments.count) else {
        throw bad("\(object.callable) takes \(expected) arguments, got \(arguments.count)")
      }
      guard case .persistent(let s) = arguments[0] else { throw bad("no storage") }
      guard case .int(let offset) = arguments[1], offset >= 0 else {
        throw bad("the storage offset is not a non-negative integer")
      }
      func integers(_ value: PickleValue, _ what: String) throws -> [Int] {
        guard case .tuple(let t) = value else { throw bad("the \(what) is not a tuple") }
        let items = document.tuples[t]
        guard items.count <= limits.maxRank else {
          throw WeightFileError.limitExceeded(
            file: file, key: key, limit: "rank", value: items.count, maximum: limits.maxRank)
        }
        return try items.map { item in
          guard case .int(let n) = item, n >= 0 else {
            throw bad("the \(what) must hold non-negative integers")
          }
          return n
        }
      }
      let shape = try integers(arguments[2], "size")
      let strides = try integers(arguments[3], "stride")
      let storage = storages[s]
      guard strides.count == shape.count,
        try limits.checkedTensorBytes(shape: shape, dtype: storage.dtype, file: file, key: key)
          != nil,
        WeightArray.viewFits(
          shape: shape, strides: strides, offset: offset, storageCount: storage.count)
      else {
        throw bad(
          "size \(shape), stride \(strides) and offset \(offset) do not fit storage "
            + "'\(storage.key)' of \(storage.count) elements")
      }
      let bytes = storageData[s]
      let elementSize = storage.dtype.byteCount
      let count = shape.reduce(1, *)
      if !swapBytes && (count <= 1 || strides == Tensor.contiguousStrides(for: shape)) {
        let data = count == 0 ? Data() : bytes.slice(offset * elementSize, count * elementSize)
        return WeightArray(dtype: storage.dtype, shape: shape, data: data)
      }
      let gathered = bytes.withUnsafeBytes { raw in
        WeightArray.gather(
          raw, elementSize: elementSize, shape: shape, strides: strides, offset: offset,
          swapBytes: swapBytes)
      }
      return WeightArray(dtype: storage.dtype, shape: shape, data: gathered)
    }

    var visited = 0
    func walk(_ value: PickleValue, key: String, depth: Int) throws {
      visited += 1
      guard visited <= limits.maxStateDictionaryValues else {
        throw WeightFileError.limitExceeded(
          file: file, key: key, limit: "state dictionary values", value: visited,
          maximum: limits.maxStateDictionaryValues)
      }
      guard depth <= limits.maxNestingDepth else {
        throw WeightFileError.limitExceeded(
          file: file, key: key, limit: "nesting depth", value: depth,
          maximum: limits.maxNestingDepth)
      }
      func child(_ name: String) -> String { key.isEmpty ? name : key + "." + name }
      switch value {
      case .dict(let d):
        for (name, item) in document.dictionaries[d].items {
          switch name {
          case .string(let text): try walk(item, key: child(text), depth: depth + 1)
          case .int(let number): try walk(item, key: child(String(number)), depth: depth + 1)
          }
        }
      case .list, .tuple:
        for (i, item) in (document.sequence(value) ?? []).enumerated() {
          try walk(item, key: child(String(i)), depth: depth + 1)
        }
      case .object(let o):
        guard seen.insert(key).inserted else {
          throw WeightFileError.duplicateKey(file: file, key: key)
        }
        guard entries.count < limits.maxTensorCount else {
          throw WeightFileError.limitExceeded(
            file: file, key: key, limit: "tensor count", value: entries.count + 1,
            maximum: limits.maxTensorCount)
        }
        entries.append((key, try tensor(o, key: key)))
      case .none: metadata[key] = "None"
      case .bool(let flag): metadata[key] = flag ? "True" : "False"
      case .int(let number): metadata[key] = String(number)
      case .float(let number): metadata[key] = String(number)
      case .string(let text): metadata[key] = text
      case .bigInt, .bytes, .global, .persistent:
        throw WeightFileError.malformed(
          file: file, key: key, reason: "unexpected value in a state dictionary")
      }
    }

    guard case .dict = document.root else {
      throw WeightFileError.malformed(
        file: file, key: nil, reason: "the checkpoint does not hold a dictionary of tensors")
    }
    try walk(document.root, key: "", depth: 0)
    return try WeightFile(name: file, format: format, entries: entries, metadata: metadata)
  }
}
