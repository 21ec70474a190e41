/// Why a weight file (safetensors, PyTorch checkpoint, `.npy`, `.npz`) could not be read or did
/// not fit the model that asked for it.
///
/// Every case names the file (`file`, a path or the name given to an in-memory reader) and, where
/// one is involved, the tensor key or archive entry. Readers never trap on bad input: each way a
/// file can be wrong, truncated or hostile maps to one of these cases.
public enum WeightFileError: Error, Sendable, Equatable {
  /// The file could not be opened or read.
  case unreadable(file: String, reason: String)
  /// The file could not be written.
  case unwritable(file: String, reason: String)
  /// The first bytes match none of the supported formats, or do not match the format asked for.
  case unrecognizedFormat(file: String, reason: String)
  /// A structure (`context`, for `key` if any) needs bytes `offset ..< offset + needed`, but the
  /// file or entry ends at `available`.
  case truncated(
    file: String, key: String?, context: String, offset: Int, needed: Int, available: Int)
  /// A structure is invalid: bad JSON, a bad header dictionary, a bad zip record, a CRC mismatch,
  /// a tensor whose size or stride leaves its storage.
  case malformed(file: String, key: String?, reason: String)
  /// A declared size or count is larger than `maximum` (see `WeightFileLimits`).
  case limitExceeded(file: String, key: String?, limit: String, value: Int, maximum: Int)
  /// An element type the reader does not know (`"F8_E4M3"`, `"<c8"`, `torch.ComplexFloatStorage`).
  case unsupportedDType(file: String, key: String, dtype: String)
  /// A tensor's byte range `start ..< end` is not inside the `available` data bytes.
  case dataOutOfRange(file: String, key: String, start: Int, end: Int, available: Int)
  /// Two tensors claim overlapping bytes.
  case overlappingData(file: String, key: String, otherKey: String)
  /// `shape × dtype` needs `expectedBytes`, the file holds `foundBytes` for `key`.
  case sizeMismatch(
    file: String, key: String, shape: [Int], dtype: String, expectedBytes: Int, foundBytes: Int)
  /// The same key appears twice.
  case duplicateKey(file: String, key: String)
  /// A pickle asked for a global (`module.name`) that is not on the allow-list; nothing ran.
  case forbiddenGlobal(file: String, module: String, name: String)
  /// A pickle used an opcode the restricted unpickler does not implement.
  case unsupportedOpcode(file: String, opcode: UInt8, offset: Int)
  /// A pickle is malformed at byte `offset` (stack underflow, wrong operand type, missing memo
  /// entry, no STOP...).
  case invalidPickle(file: String, offset: Int, reason: String)
  /// A valid feature of the format that this reader does not support (encryption, multi-disk zip,
  /// compression methods other than stored and deflate, structured NumPy dtypes).
  case unsupported(file: String, key: String?, feature: String)
  /// A model asked for a key the file does not contain.
  case missingKey(file: String, key: String)
  /// A model expected `expected` for `key`, the file holds `found`.
  case shapeMismatch(file: String, key: String, expected: [Int], found: [Int])
  /// A model finished loading but these keys of the file were never used.
  case unusedKeys(file: String, keys: [String])

  /// The file (path, or the name given to an in-memory reader) the error is about.
  public var file: String {
    switch self {
    case .unreadable(let file, _), .unwritable(let file, _), .unrecognizedFormat(let file, _),
      .truncated(let file, _, _, _, _, _), .malformed(let file, _, _),
      .limitExceeded(let file, _, _, _, _), .unsupportedDType(let file, _, _),
      .dataOutOfRange(let file, _, _, _, _), .overlappingData(let file, _, _),
      .sizeMismatch(let file, _, _, _, _, _), .duplicateKey(let file, _),
      .forbiddenGlobal(let file, _, _), .unsupportedOpcode(let file, _, _),
      .invalidPickle(let file, _, _), .unsupported(let file, _, _), .missingKey(let file, _),
      .shapeMismatch(let file, _, _, _), .unusedKeys(let file, _):
      return file
    }
  }
}

extension WeightFileError: CustomStringConvertible {
  public var description: String {
    func about(_ key: String?) -> String { key.map { " for '\($0)'" } ?? "" }
    switch self {
    case .unreadable(let file, let reason):
      return "\(file): cannot read the file: \(reason)."
    case .unwritable(let file, let reason):
      return "\(file): cannot write the file: \(reason)."
    case .unrecognizedFormat(let file, let reason):
      return "\(file): not a supported weight file: \(reason)."
    case .truncated(let file, let key, let context, let offset, let needed, let available):
      return "\(file): \(context)\(about(key)) needs bytes \(offset)..<\(offset &+ needed) "
        + "but only \(available) are available (truncated file?)."
    case .malformed(let file, let key, let reason):
      return "\(file): malformed\(about(key)): \(reason)."
    case .limitExceeded(let file, let key, let limit, let value, let maximum):
      return "\(file): \(limit)\(about(key)) is \(value), above the limit \(maximum)."
    case .unsupportedDType(let file, let key, let dtype):
      return "\(file): unsupported element type '\(dtype)' for '\(key)'."
    case .dataOutOfRange(let file, let key, let start, let end, let available):
      return "\(file): data of '\(key)' at bytes \(start)..<\(end) is outside the \(available) "
        + "data bytes."
    case .overlappingData(let file, let key, let otherKey):
      return "\(file): data of '\(key)' overlaps data of '\(otherKey)'."
    case .sizeMismatch(let file, let key, let shape, let dtype, let expected, let found):
      return "\(file): '\(key)' of shape \(shape) and type \(dtype) needs \(expected) bytes, "
        + "found \(found)."
    case .duplicateKey(let file, let key):
      return "\(file): key '\(key)' appears more than once."
    case .forbiddenGlobal(let file, let module, let name):
      return "\(file): the pickle asks for '\(module).\(name)', which is not on the allow-list "
        + "(nothing was executed)."
    case .unsupportedOpcode(let file, let opcode, let offset):
      let hex = String(opcode, radix: 16, uppercase: true)
      return "\(file): unsupported pickle opcode 0x\(hex) at byte \(offset)."
    case .invalidPickle(let file, let offset, let reason):
      return "\(file): invalid pickle at byte \(offset): \(reason)."
    case .unsupported(let file, let key, let feature):
      return "\(file): unsupported feature\(about(key)): \(feature)."
    case .missingKey(let file, let key):
      return "\(file): no tensor named '\(key)'."
    case .shapeMismatch(let file, let key, let expected, let found):
      return "\(file): '\(key)' has shape \(found), expected \(expected)."
    case .unusedKeys(let file, let keys):
      let shown = keys.prefix(10).joined(separator: ", ")
      return "\(file): \(keys.count) keys were not used: \(shown)\(keys.count > 10 ? ", …" : "")."
    }
  }
}
