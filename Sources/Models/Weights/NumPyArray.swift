import Foundation
import Tensor

/// Reads and writes NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
///
/// Layout: `\x93NUMPY`, a major and minor version byte, a little-endian header length (2 bytes in
/// version 1, 4 bytes in versions 2 and 3), the header — a Python dictionary literal
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces and ending
/// in a newline (Latin-1 in versions 1 and 2, UTF-8 in version 3) — then the elements.
///
/// The header is parsed strictly: exactly the three keys, a simple type string (`<f4`, `<f8`,
/// `<f2`, `<i8`, `<i4`, `<i2`, `|i1`, `<u8`…`|u1`, `|b1`, and their big-endian `>` forms; `=`
/// means native), `True`/`False`, and a tuple of non-negative integers; structured, string,
/// object, complex and date types are refused. The data must hold exactly
/// `shape.product × itemsize` bytes. Big-endian data is byte-swapped and Fortran-ordered data
/// transposed, so the result is always row-major little-endian.
public enum NumPyArray {
  /// Reads the `.npy` file at `url`.
  /// - Throws: `WeightFileError` naming the file.
  public static func read(
    contentsOf url: URL, limits: WeightFileLimits = .default
  ) throws -> WeightArray {
    try read(WeightFile.mappedData(url), name: url.path, limits: limits)
  }

  /// Reads `.npy` bytes; `name` (and `key`, for an archive member) identify them in errors.
  ///
  /// - Throws: `WeightFileError` for a bad magic string or version, a truncated or oversized
  ///   header, an invalid header dictionary, an unsupported type, or a data size that does not
  ///   match the shape.
  /// - Complexity: O(header) for C-ordered little-endian data (the array is a slice of `data`),
  ///   O(count) otherwise.
  public static func read(
    _ data: Data, name: String, key: String? = nil, limits: WeightFileLimits = .default
  ) throws -> WeightArray {
    var reader = ByteReader(data, file: name, key: key, context: ".npy preamble")
    let magic = [UInt8](try reader.readBytes(6))
    guard magic == [0x93] + Array("NUMPY".utf8) else {
      throw WeightFileError.unrecognizedFormat(file: name, reason: "no \\x93NUMPY magic string")
    }
    let major = try reader.readUInt8()
    let minor = try reader.readUInt8()
    guard (1...3).contains(major), minor == 0 else {
      throw WeightFileError.unsupported(
        file: name, key: key, feature: ".npy format version \(major).\(minor)")
    }
    let headerLength =
      major == 1 ? Int(try reader.read(UInt16.self)) : Int(try reader.read(UInt32.self))
    guard headerLength <= limits.maxHeaderBytes else {
      throw WeightFileError.limitExceeded(
        file: name, key: key, limit: ".npy header length", value: headerLength,
        maximum: limits.maxHeaderBytes)
    }
    reader.context = ".npy header"
    let headerBytes = [UInt8](try reader.readBytes(headerLength))
    let header: String
    if major == 3 {
      guard let text = String(validating: headerBytes, as: UTF8.self) else {
        throw WeightFileError.malformed(file: name, key: key, reason: "the header is not UTF-8")
      }
      header = text
    } else {
      header = String(String.UnicodeScalarView(headerBytes.map { Unicode.Scalar($0) }))
    }
    let parsed = try NumPyHeader.parse(header, file: name, key: key, limits: limits)

    let payload = data.slice(reader.position, reader.remaining)
    let expected = try limits.checkedTensorBytes(
      shape: parsed.shape, dtype: parsed.dtype, file: name, key: key ?? "array")
    guard expected == payload.count else {
      throw WeightFileError.sizeMismatch(
        file: name, key: key ?? "array", shape: parsed.shape, dtype: parsed.descriptor,
        expectedBytes: expected ?? Int.max, foundBytes: payload.count)
    }
    let swap = parsed.bigEndian && parsed.dtype.byteCount > 1
    if !swap && (!parsed.fortranOrder || parsed.shape.count < 2) {
      return WeightArray(dtype: parsed.dtype, shape: parsed.shape, data: payload)
    }
    // Column-major strides: the first axis varies fastest.
    var strides = [Int](repeating: 1, count: parsed.shape.count)
    if parsed.fortranOrder {
      for axis in parsed.shape.indices.dropFirst() {
        strides[axis] = strides[axis - 1] * parsed.shape[axis - 1]
      }
    } else {
      strides = Tensor.contiguousStrides(for: parsed.shape)
    }
    let dense = payload.withUnsafeBytes { raw in
      WeightArray.gather(
        raw, elementSize: parsed.dtype.byteCount, shape: parsed.shape, strides: strides,
        offset: 0, swapBytes: swap)
    }
    return WeightArray(dtype: parsed.dtype, shape: parsed.shape, data: dense)
  }

  /// The `.npy` encoding of `array` (C order, little-endian), byte for byte what NumPy's
  /// `np.save` writes: format version 1.0 (2.0 when the header outgrows 65 535 bytes), 21 − digits
  /// spare spaces after the dictionary (NumPy's room to grow the first axis in place), then
  /// spaces and a newline so that the data starts at a multiple of 64 bytes.
  /// - Precondition: `array.dtype` is not bfloat16 (NumPy has no such type).
  /// - Complexity: O(size).
  public static func encode(_ array: WeightArray) -> Data {
    guard let descriptor = array.dtype.numpyDescriptor else {
      preconditionFailure("NumPy has no \(array.dtype) type; convert the array first.")
    }
    let shapeText: String
    switch array.shape.count {
    case 0: shapeText = "()"
    case 1: shapeText = "(\(array.shape[0]),)"
    default: shapeText = "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
    }
    var text = "{'descr': '\(descriptor)', 'fortran_order': False, 'shape': \(shapeText), }"
    if let first = array.shape.first {
      text += String(repeating: " ", count: max(0, 21 - String(first).count))
    }
    let lineLength = text.utf8.count + 1  // with the final newline
    var major: UInt8 = 1
    var padding = 64 - (10 + lineLength) % 64
    if lineLength + padding > 0xFFFF {
      major = 2
      padding = 64 - (12 + lineLength) % 64
    }
    var result = Data([0x93] + Array("NUMPY".utf8) + [major, 0])
    let headerLength = lineLength + padding
    if major == 1 {
      withUnsafeBytes(of: UInt16(headerLength).littleEndian) { result.append(contentsOf: $0) }
    } else {
      withUnsafeBytes(of: UInt32(headerLength).littleEndian) { result.append(contentsOf: $0) }
    }
    result.append(contentsOf: Array(text.utf8))
    result.append(contentsOf: [UInt8](repeating: UInt8(ascii: " "), count: padding))
    result.append(UInt8(ascii: "\n"))
    result.append(array.data)
    return result
  }

  /// Writes `tensor` as a float32 `.npy` file at `url`.
  /// - Throws: `WeightFileError.unwritable`.
  public static func write(_ tensor: Tensor, to url: URL) throws {
    try write(WeightArray(tensor), to: url)
  }

  /// Writes `array` as a `.npy` file at `url`.
  /// - Throws: `WeightFileError.unwritable`.
  public static func write(_ array: WeightArray, to url: URL) throws {
    do {
      try encode(array).write(to: url, options: .atomic)
    } catch {
      throw WeightFileError.unwritable(file: url.path, reason: "\(error.localizedDescription)")
    }
  }
}

/// The parsed header dictionary of a `.npy` file.
struct NumPyHeader {
  var descriptor: String
  var dtype: WeightDType
  var bigEndian: Bool
  var fortranOrder: Bool
  var shape: [Int]

  /// Parses `{'descr': ..., 'fortran_order': ..., 'shape': (...), }` followed by spaces and one
  /// newline. Keys may come in any order, each exactly once; nothing else is accepted.
  static func parse(
    _ text: String, file: String, key: String?, limits: WeightFileLimits
  ) throws -> NumPyHeader {
    var scanner = Scanner(characters: Array(text.unicodeScalars), file: file, key: key)
    var descriptor: String?
    var fortranOrder: Bool?
    var shape: [Int]?
    try scanner.expect("{")
    while true {
      scanner.skipSpaces()
      if scanner.consume("}") { break }
      let name = try scanner.string()
      try scanner.expect(":")
      switch name {
      case "descr" where descriptor == nil:
        scanner.skipSpaces()
        if scanner.peek == "[" {
          throw WeightFileError.unsupported(
            file: file, key: key, feature: "structured NumPy dtypes")
        }
        descriptor = try scanner.string()
      case "fortran_order" where fortranOrder == nil:
        fortranOrder = try scanner.boolean()
      case "shape" where shape == nil:
        shape = try scanner.integerTuple(maxCount: limits.maxRank)
      default:
        throw scanner.failure("unexpected or repeated key '\(name)'")
      }
      scanner.skipSpaces()
      if scanner.consume(",") { continue }
      try scanner.expect("}")
      break
    }
    try scanner.expectEnd()
    guard let descriptor, let fortranOrder, let shape else {
      throw scanner.failure("the header needs 'descr', 'fortran_order' and 'shape'")
    }
    let (dtype, bigEndian) = try parseDescriptor(descriptor, file: file, key: key)
    return NumPyHeader(
      descriptor: descriptor, dtype: dtype, bigEndian: bigEndian, fortranOrder: fortranOrder,
      shape: shape)
  }

  /// `'<f4'` → (.float32, false); `'>i8'` → (.int64, true); `'|b1'` → (.bool, false).
  static func parseDescriptor(
    _ descriptor: String, file: String, key: String?
  ) throws -> (WeightDType, Bool) {
    let unsupported = WeightFileError.unsupportedDType(
      file: file, key: key ?? "array", dtype: descriptor)
    let characters = Array(descriptor)
    guard characters.count >= 3, let size = Int(String(characters[2...])) else { throw unsupported }
    let order = characters[0]
    let types: [String: WeightDType] = [
      "f8": .float64, "f4": .float32, "f2": .float16, "i8": .int64, "i4": .int32, "i2": .int16,
      "i1": .int8, "u8": .uint64, "u4": .uint32, "u2": .uint16, "u1": .uint8, "b1": .bool,
    ]
    guard let dtype = types[String(characters[1]) + String(size)],
      String(size) == String(characters[2...])
    else { throw unsupported }
    switch order {
    case "<": return (dtype, false)
    case ">": return (dtype, true)
    case "|" where dtype.byteCount == 1: return (dtype, false)
    case "=":
      #if _endian(big)
        return (dtype, true)
      #else
        return (dtype, false)
      #endif
    default: throw unsupported
    }
  }

  /// A cursor over the header's characters.
  struct Scanner {
    let characters: [Unicode.Scalar]
    let file: String
    let key: String?
    var position = 0

    init(characters: [Unicode.Scalar], file: String, key: String?) {
      self.characters = characters
      self.file = file
      self.key = key
    }

    var peek: Unicode.Scalar? { position < characters.count ? characters[position] : nil }

    func failure(_ reason: String) -> WeightFileError {
      .malformed(
        file: file, key: key, reason: ".npy header at character \(position): \(reason)")
    }

    mutating func skipSpaces() {
      while let c = peek, c == " " { position += 1 }
    }

    mutating func consume(_ c: Unicode.Scalar) -> Bool {
      skipSpaces()
      guard peek == c else { return false }
      position += 1
      return true
    }

    mutating func expect(_ c: Unicode.Scalar) throws {
      guard consume(c) else { throw failure("expected '\(c)'") }
    }

    /// Spaces, then exactly one newline at the very end.
    mutating func expectEnd() throws {
      skipSpaces()
      guard position == characters.count - 1, characters[position] == "\n" else {
        throw failure("the header must end with spaces and one newline")
      }
    }

    /// A quoted literal without escapes.
    mutating func string() throws -> String {
      skipSpaces()
      guard let quote = peek, quote == "'" || quote == "\"" else {
        throw failure("expected a quoted string")
      }
      position += 1
      var result = String.UnicodeScalarView()
      while let c = peek, c != quote {
        guard c != "\\" && c != "\n" else { throw failure("escapes are not supported") }
        result.append(c)
        position += 1
      }
      guard peek == quote else { throw failure("unterminated string") }
      position += 1
      return String(result)
    }

    mutating func boolean() throws -> Bool {
      skipSpaces()
      for (word, value) in [("True", true), ("False", false)] {
        let scalars = Array(word.unicodeScalars)
        if characters.count - position >= scalars.count,
          Array(characters[position..<(position + scalars.count)]) == scalars
        {
          position += scalars.count
          return value
        }
      }
      throw failure("expected True or False")
    }

    mutating func integer() throws -> Int {
      skipSpaces()
      let start = position
      while let c = peek, ("0"..."9").contains(c) { position += 1 }
      let digits = String(String.UnicodeScalarView(characters[start..<position]))
      guard !digits.isEmpty, digits.count <= 18, let value = Int(digits) else {
        throw failure("expected a non-negative integer below 10¹⁸")
      }
      if peek == "L" { position += 1 }  // Python 2 long suffix, written by old NumPy
      return value
    }

    /// `()`, `(n,)` or `(n, m, ...)` with an optional trailing comma.
    mutating func integerTuple(maxCount: Int) throws -> [Int] {
      try expect("(")
      var values: [Int] = []
      if consume(")") { return values }
      while true {
        values.append(try integer())
        guard values.count <= maxCount else {
          throw WeightFileError.limitExceeded(
            file: file, key: key, limit: "rank", value: values.count, maximum: maxCount)
        }
        if consume(")") {
          guard values.count != 1 else { throw failure("a one-element tuple needs a comma") }
          return values
        }
        try expect(",")
        if consume(")") { return values }
      }
    }
  }
}
