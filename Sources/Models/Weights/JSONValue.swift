/// A JSON value as read from a safetensors header: objects keep their members in file order.
///
/// A small strict RFC 8259 parser with a nesting limit, so that a hostile header can neither
/// recurse without bound nor be silently reinterpreted; and an encoder for writing headers.
enum JSONValue: Equatable, Sendable {
  case null
  case bool(Bool)
  /// An integer literal (no fraction or exponent) that fits in `Int`.
  case integer(Int)
  /// Any other number.
  case number(Double)
  case string(String)
  case array([JSONValue])
  /// Members in file order; duplicate names are kept (the caller decides).
  case object([(String, JSONValue)])

  static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
    switch (lhs, rhs) {
    case (.null, .null): return true
    case (.bool(let a), .bool(let b)): return a == b
    case (.integer(let a), .integer(let b)): return a == b
    case (.number(let a), .number(let b)): return a == b
    case (.string(let a), .string(let b)): return a == b
    case (.array(let a), .array(let b)): return a == b
    case (.object(let a), .object(let b)):
      return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    default: return false
    }
  }

  /// Parses one JSON value from `bytes`, allowing whitespace around it.
  ///
  /// - Throws: `WeightFileError.malformed` naming `file`, the byte offset and what was wrong.
  /// - Complexity: O(`bytes.count`); recursion depth at most `maxDepth`.
  static func parse(_ bytes: [UInt8], file: String, maxDepth: Int) throws -> JSONValue {
    var parser = JSONParser(bytes: bytes, file: file, maxDepth: maxDepth)
    parser.skipWhitespace()
    let value = try parser.parseValue(depth: 1)
    parser.skipWhitespace()
    guard parser.position == bytes.count else {
      throw parser.failure("unexpected bytes after the JSON value")
    }
    return value
  }

  /// Compact JSON text (object members in the stored order).
  var encoded: String {
    switch self {
    case .null: return "null"
    case .bool(let value): return value ? "true" : "false"
    case .integer(let value): return String(value)
    case .number(let value): return value.isFinite ? "\(value)" : "null"
    case .string(let value): return JSONValue.quoted(value)
    case .array(let items): return "[" + items.map(\.encoded).joined(separator: ",") + "]"
    case .object(let members):
      return "{"
        + members.map { JSONValue.quoted($0.0) + ":" + $0.1.encoded }
        .joined(separator: ",") + "}"
    }
  }

  /// `text` as a JSON string literal, escaping quotes, backslashes and control characters.
  static func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      case "\t": result += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result + "\""
  }
}

/// The recursive-descent parser behind `JSONValue.parse`.
private struct JSONParser {
  let bytes: [UInt8]
  let file: String
  let maxDepth: Int
  var position = 0

  init(bytes: [UInt8], file: String, maxDepth: Int) {
    self.bytes = bytes
    self.file = file
    self.maxDepth = maxDepth
  }

  func failure(_ reason: String) -> WeightFileError {
    .malformed(file: file, key: nil, reason: "invalid JSON header at byte \(position): \(reason)")
  }

  mutating func skipWhitespace() {
    while position < bytes.count,
      bytes[position] == 0x20 || bytes[position] == 0x0A || bytes[position] == 0x0D
        || bytes[position] == 0x09
    {
      position += 1
    }
  }

  mutating func parseValue(depth: Int) throws -> JSONValue {
    guard depth <= maxDepth else { throw failure("nesting deeper than \(maxDepth)") }
    guard position < bytes.count else { throw failure("unexpected end") }
    switch bytes[position] {
    case UInt8(ascii: "{"): return try parseObject(depth: depth)
    case UInt8(ascii: "["): return try parseArray(depth: depth)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"):
      try expectLiteral("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try expectLiteral("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try expectLiteral("null")
      return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
    default: throw failure("unexpected character 0x\(String(bytes[position], radix: 16))")
    }
  }

  mutating func expectLiteral(_ literal: String) throws {
    let expected = Array(literal.utf8)
    guard bytes.count - position >= expected.count,
      Array(bytes[position..<(position + expected.count)]) == expected
    else { throw failure("expected '\(literal)'") }
    position += expected.count
  }

  mutating func parseObject(depth: Int) throws -> JSONValue {
    position += 1
    var members: [(String, JSONValue)] = []
    skipWhitespace()
    if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
      position += 1
      return .object(members)
    }
    while true {
      skipWhitespace()
      guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
        throw failure("expected a member name")
      }
      let name = try parseString()
      skipWhitespace()
      guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
        throw failure("expected ':'")
      }
      position += 1
      skipWhitespace()
      members.append((name, try parseValue(depth: depth + 1)))
      skipWhitespace()
      guard position < bytes.count else { throw failure("unterminated object") }
      if bytes[position] == UInt8(ascii: ",") {
        position += 1
      } else if bytes[position] == UInt8(ascii: "}") {
        position += 1
        return .object(members)
      } else {
        throw failure("expected ',' or '}'")
      }
    }
  }

  mutating func parseArray(depth: Int) throws -> JSONValue {
    position += 1
    var items: [JSONValue] = []
    skipWhitespace()
    if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
      position += 1
      return .array(items)
    }
    while true {
      skipWhitespace()
      items.append(try parseValue(depth: depth + 1))
      skipWhitespace()
      guard position < bytes.count else { throw failure("unterminated array") }
      if bytes[position] == UInt8(ascii: ",") {
        position += 1
      } else if bytes[position] == UInt8(ascii: "]") {
        position += 1
        return .array(items)
      } else {
        throw failure("expected ',' or ']'")
      }
    }
  }

  mutating func parseNumber() throws -> JSONValue {
    let start = position
    var isInteger = true
    if bytes[position] == UInt8(ascii: "-") { position += 1 }
    func digits() -> Int {
      let first = position
      while position < bytes.count, isDigit(bytes[position]) { position += 1 }
      return position - first
    }
    let integerDigits = digits()
    guard integerDigits > 0 else { throw failure("a number needs digits") }
    if integerDigits > 1 && bytes[position - integerDigits] == UInt8(ascii: "0") {
      throw failure("leading zeros are not allowed")
    }
    if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
      isInteger = false
      position += 1
      guard digits() > 0 else { throw failure("a fraction needs digits") }
    }
    if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
      isInteger = false
      position += 1
      if position < bytes.count,
        bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")
      {
        position += 1
      }
      guard digits() > 0 else { throw failure("an exponent needs digits") }
    }
    let text = String(decoding: bytes[start..<position], as: UTF8.self)
    if isInteger, let value = Int(text) { return .integer(value) }
    guard let value = Double(text) else { throw failure("bad number '\(text)'") }
    return .number(value)
  }

  mutating func parseString() throws -> String {
    position += 1  // opening quote
    var scalars = String.UnicodeScalarView()
    var runStart = position
    func flushRun(_ end: Int) throws {
      guard runStart < end else { return }
      guard let text = String(validating: bytes[runStart..<end], as: UTF8.self) else {
        throw failure("a string is not valid UTF-8")
      }
      scalars.append(contentsOf: text.unicodeScalars)
    }
    while true {
      guard position < bytes.count else { throw failure("unterminated string") }
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        try flushRun(position)
        position += 1
        return String(scalars)
      }
      if byte < 0x20 { throw failure("control character in a string") }
      if byte != UInt8(ascii: "\\") {
        position += 1
        continue
      }
      try flushRun(position)
      position += 1
      guard position < bytes.count else { throw failure("unterminated escape") }
      let escape = bytes[position]
      position += 1
      switch escape {
      case UInt8(ascii: "\""): scalars.append("\"")
      case UInt8(ascii: "\\"): scalars.append("\\")
      case UInt8(ascii: "/"): scalars.append("/")
      case UInt8(ascii: "b"): scalars.append("\u{08}")
      case UInt8(ascii: "f"): scalars.append("\u{0C}")
      case UInt8(ascii: "n"): scalars.append("\n")
      case UInt8(ascii: "r"): scalars.append("\r")
      case UInt8(ascii: "t"): scalars.append("\t")
      case UInt8(ascii: "u"):
        var code = try hex4()
        if (0xD800..<0xDC00).contains(code) {
          // A high surrogate must be followed by an escaped low surrogate.
          guard bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"),
            bytes[position + 1] == UInt8(ascii: "u")
          else { throw failure("unpaired surrogate") }
          position += 2
          let low = try hex4()
          guard (0xDC00..<0xE000).contains(low) else { throw failure("unpaired surrogate") }
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(code) else { throw failure("invalid \\u escape") }
        scalars.append(scalar)
      default:
        throw failure("invalid escape")
      }
      runStart = position
    }
  }

  mutating func hex4() throws -> UInt32 {
    guard bytes.count - position >= 4 else { throw failure("invalid \\u escape") }
    var value: UInt32 = 0
    for byte in bytes[position..<(position + 4)] {
      guard let digit = hexDigitValue(byte) else { throw failure("invalid \\u escape") }
      value = value << 4 | digit
    }
    position += 4
    return value
  }

  func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

  func hexDigitValue(_ byte: UInt8) -> UInt32? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
    default: return nil
    }
  }
}
