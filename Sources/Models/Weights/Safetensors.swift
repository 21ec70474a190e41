import Foundation
import Tensor

/// Reads and writes the safetensors format (Hugging Face).
///
/// Layout: an unsigned 64-bit little-endian header length `n`; `n` bytes of UTF-8 JSON
/// `{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
/// "__metadata__": {"key": "value"}}` (possibly padded with spaces); then the data, where each
/// tensor occupies bytes `begin ..< end` counted from the end of the header, little-endian,
/// row-major.
///
/// Reading validates, before anything is allocated: the header length against the file size and
/// `WeightFileLimits.maxHeaderBytes`; the JSON (strictly, with a nesting limit); every entry's
/// fields and dtype; that `end - begin == shape.product × dtype.byteCount` (overflow-checked);
/// that every range lies inside the data; and that no two non-empty ranges overlap.
public enum Safetensors {
  /// Reads a safetensors file (memory-mapped; arrays are slices of the mapping).
  ///
  /// - Throws: `WeightFileError` naming the file and the key.
  /// - Complexity: O(header size + tensor count × log(tensor count)); data is not copied.
  public static func read(
    contentsOf url: URL, limits: WeightFileLimits = .default
  ) throws -> WeightFile {
    try read(WeightFile.mappedData(url), name: url.path, limits: limits)
  }

  /// Reads safetensors bytes; `name` identifies them in errors.
  ///
  /// Arrays are returned in data-offset order.
  /// - Throws: `WeightFileError` naming `name` and the key.
  public static func read(
    _ data: Data, name: String, limits: WeightFileLimits = .default
  ) throws -> WeightFile {
    var reader = ByteReader(data, file: name, context: "safetensors header length")
    let declared = try reader.read(UInt64.self)
    guard declared <= UInt64(limits.maxHeaderBytes) else {
      throw WeightFileError.limitExceeded(
        file: name, key: nil, limit: "safetensors header length",
        value: Int(clamping: declared), maximum: limits.maxHeaderBytes)
    }
    let headerLength = Int(declared)
    reader.context = "safetensors header"
    let headerBytes = [UInt8](try reader.readBytes(headerLength))
    let dataStart = reader.position
    let dataCount = data.count - dataStart

    guard
      case .object(let members) = try JSONValue.parse(
        headerBytes, file: name, maxDepth: limits.maxNestingDepth)
    else {
      throw WeightFileError.malformed(
        file: name, key: nil, reason: "the safetensors header is not a JSON object")
    }
    guard members.count <= limits.maxTensorCount + 1 else {
      throw WeightFileError.limitExceeded(
        file: name, key: nil, limit: "tensor count", value: members.count,
        maximum: limits.maxTensorCount)
    }

    var entries: [Entry] = []
    var metadata: [String: String] = [:]
    var seen = Set<String>()
    for (key, value) in members {
      guard seen.insert(key).inserted else {
        throw WeightFileError.duplicateKey(file: name, key: key)
      }
      if key == "__metadata__" {
        metadata = try readMetadata(value, file: name)
        continue
      }
      entries.append(try readEntry(key, value, file: name, dataCount: dataCount, limits: limits))
    }

    // Overlap check on non-empty ranges in data order (stable for equal offsets).
    let order = entries.indices.sorted { (entries[$0].begin, $0) < (entries[$1].begin, $1) }
    var previous: Int? = nil
    for index in order where entries[index].end > entries[index].begin {
      if let p = previous, entries[index].begin < entries[p].end {
        throw WeightFileError.overlappingData(
          file: name, key: entries[index].key, otherKey: entries[p].key)
      }
      previous = index
    }
    let arrays = order.map { index -> (key: String, array: WeightArray) in
      let entry = entries[index]
      let bytes = data.slice(dataStart + entry.begin, entry.end - entry.begin)
      return (entry.key, WeightArray(dtype: entry.dtype, shape: entry.shape, data: bytes))
    }
    return try WeightFile(name: name, format: .safetensors, entries: arrays, metadata: metadata)
  }

  /// One validated header entry.
  private struct Entry {
    var key: String
    var dtype: WeightDType
    var shape: [Int]
    var begin: Int
    var end: Int
  }

  private static func readEntry(
    _ key: String, _ value: JSONValue, file: String, dataCount: Int, limits: WeightFileLimits
  ) throws -> Entry {
    func bad(_ reason: String) -> WeightFileError {
      .malformed(file: file, key: key, reason: reason)
    }
    guard case .object(let fields) = value else { throw bad("the entry is not a JSON object") }
    var dtypeName: String?
    var shape: [Int]?
    var offsets: [Int]?
    for (field, fieldValue) in fields {
      switch (field, fieldValue) {
      case ("dtype", .string(let text)) where dtypeName == nil:
        dtypeName = text
      case ("shape", .array(let items)) where shape == nil:
        guard items.count <= limits.maxRank else {
          throw WeightFileError.limitExceeded(
            file: file, key: key, limit: "rank", value: items.count, maximum: limits.maxRank)
        }
        shape = try items.map { item in
          guard case .integer(let extent) = item, extent >= 0 else {
            throw bad("shape must be a list of non-negative integers")
          }
          return extent
        }
      case ("data_offsets", .array(let items)) where offsets == nil:
        offsets = try items.map { item in
          guard case .integer(let offset) = item, offset >= 0 else {
            throw bad("data_offsets must be two non-negative integers")
          }
          return offset
        }
      default:
        throw bad("unexpected or repeated field '\(field)'")
      }
    }
    guard let dtypeName, let shape, let offsets else {
      throw bad("an entry needs 'dtype', 'shape' and 'data_offsets'")
    }
    guard let dtype = WeightDType(rawValue: dtypeName) else {
      throw WeightFileError.unsupportedDType(file: file, key: key, dtype: dtypeName)
    }
    guard offsets.count == 2, offsets[0] <= offsets[1] else {
      throw bad("data_offsets must be [begin, end] with begin <= end")
    }
    let (begin, end) = (offsets[0], offsets[1])
    guard end <= dataCount else {
      throw WeightFileError.dataOutOfRange(
        file: file, key: key, start: begin, end: end, available: dataCount)
    }
    let expected = try limits.checkedTensorBytes(shape: shape, dtype: dtype, file: file, key: key)
    guard expected == end - begin else {
      throw WeightFileError.sizeMismatch(
        file: file, key: key, shape: shape, dtype: dtype.rawValue,
        expectedBytes: expected ?? Int.max, foundBytes: end - begin)
    }
    return Entry(key: key, dtype: dtype, shape: shape, begin: begin, end: end)
  }

  private static func readMetadata(_ value: JSONValue, file: String) throws -> [String: String] {
    guard case .object(let members) = value else {
      throw WeightFileError.malformed(
        file: file, key: "__metadata__", reason: "metadata must be an object of strings")
    }
    var metadata: [String: String] = [:]
    for (key, item) in members {
      guard case .string(let text) = item else {
        throw WeightFileError.malformed(
          file: file, key: "__metadata__", reason: "metadata value '\(key)' is not a string")
      }
      guard metadata.updateValue(text, forKey: key) == nil else {
        throw WeightFileError.duplicateKey(file: file, key: "__metadata__.\(key)")
      }
    }
    return metadata
  }

  /// The safetensors encoding of `arrays` in the given order, with optional string metadata.
  ///
  /// The header is padded with spaces so the data starts at a multiple of 8 bytes.
  /// - Precondition: keys are unique and none is `"__metadata__"`.
  /// - Complexity: O(total bytes).
  public static func encode(
    _ arrays: [(key: String, array: WeightArray)], metadata: [String: String] = [:]
  ) -> Data {
    precondition(
      Set(arrays.map(\.key)).count == arrays.count && !arrays.contains { $0.key == "__metadata__" },
      "safetensors keys must be unique and not '__metadata__'.")
    var members: [(String, JSONValue)] = []
    if !metadata.isEmpty {
      members.append(
        (
          "__metadata__",
          .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
        ))
    }
    var offset = 0
    for (key, array) in arrays {
      let size = array.data.count
      members.append(
        (
          key,
          .object([
            ("dtype", .string(array.dtype.rawValue)),
            ("shape", .array(array.shape.map { .integer($0) })),
            ("data_offsets", .array([.integer(offset), .integer(offset + size)])),
          ])
        ))
      offset += size
    }
    var header = Array(JSONValue.object(members).encoded.utf8)
    while (8 + header.count) % 8 != 0 { header.append(UInt8(ascii: " ")) }
    var result = Data(capacity: 8 + header.count + offset)
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { result.append(contentsOf: $0) }
    result.append(contentsOf: header)
    for (_, array) in arrays { result.append(array.data) }
    return result
  }

  /// Writes `tensors` as float32 safetensors at `url`.
  /// - Throws: `WeightFileError.unwritable`.
  public static func write(
    _ tensors: [(key: String, tensor: Tensor)], metadata: [String: String] = [:], to url: URL
  ) throws {
    try write(tensors.map { ($0.key, WeightArray($0.tensor)) }, metadata: metadata, to: url)
  }

  /// Writes `arrays` (any element types) as safetensors at `url`.
  /// - Throws: `WeightFileError.unwritable`.
  public static func write(
    _ arrays: [(key: String, array: WeightArray)], metadata: [String: String] = [:], to url: URL
  ) throws {
    do {
      try encode(arrays, metadata: metadata).write(to: url, options: .atomic)
    } catch {
      throw WeightFileError.unwritable(file: url.path, reason: "\(error.localizedDescription)")
    }
  }
}
