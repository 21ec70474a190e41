import Foundation

/// A restricted reader of Python pickles (protocols 2–5) that builds a passive value tree and
/// never runs code.
///
/// Only the opcodes that `torch.save` and plain containers produce are implemented (see
/// `Docs/Weights.md`); any other opcode is `WeightFileError.unsupportedOpcode`. A global
/// (`GLOBAL` or `STACK_GLOBAL`) must be on the caller's allow-list or the load stops with
/// `WeightFileError.forbiddenGlobal` at that opcode: nothing is looked up or called. `REDUCE`
/// and `NEWOBJ` of an allowed global only record the call (`PickleObject`) for the caller to
/// interpret, except `collections.OrderedDict()`, which becomes an empty dictionary so that
/// later `SETITEMS` can fill it. Persistent ids (`BINPERSID`) go to a caller-supplied function.
///
/// Containers are stored in arenas of the resulting `PickleDocument` and referenced by index,
/// so a value is flat: a hostile pickle can build cycles or deep nesting without recursion in
/// the reader or reference cycles in memory. Stack size, mark depth, memo size, string length,
/// integer length and the total number of created items are bounded by `Limits`.
public struct Unpickler {
  /// Bounds on the work and memory one pickle may ask for.
  public struct Limits: Sendable, Equatable {
    /// Largest operand stack (default 1 000 000 items).
    public var maxStackSize: Int
    /// Deepest nesting of `MARK`s (default 1 000).
    public var maxMarkDepth: Int
    /// Largest number of memo entries (default 1 000 000).
    public var maxMemoSize: Int
    /// Longest string or bytes operand, and longest `GLOBAL` line, in bytes (default 16 MiB).
    public var maxStringBytes: Int
    /// Longest integer operand (`LONG1`/`LONG4`), in bytes (default 64).
    public var maxIntegerBytes: Int
    /// Most containers, objects and container elements one pickle may create (default 10 M).
    public var maxItems: Int

    public init(
      maxStackSize: Int = 1_000_000, maxMarkDepth: Int = 1_000, maxMemoSize: Int = 1_000_000,
      maxStringBytes: Int = 16 << 20, maxIntegerBytes: Int = 64, maxItems: Int = 10_000_000
    ) {
      self.maxStackSize = maxStackSize
      self.maxMarkDepth = maxMarkDepth
      self.maxMemoSize = maxMemoSize
      self.maxStringBytes = maxStringBytes
      self.maxIntegerBytes = maxIntegerBytes
      self.maxItems = maxItems
    }
  }

  /// Reads one pickle starting at byte `offset` of `data`, up to and including its `STOP`.
  ///
  /// - Parameters:
  ///   - file: names the file in errors.
  ///   - allowedGlobals: the only `module.name` pairs a `GLOBAL`/`STACK_GLOBAL` may name.
  ///   - persistentLoad: maps a persistent id (already on the document) to the value pushed in
  ///     its place; it may add to the document and throw.
  /// - Returns: the document; `document.endOffset` is the offset just after `STOP`.
  /// - Throws: `WeightFileError.unsupportedOpcode`, `.forbiddenGlobal`, `.invalidPickle`,
  ///   `.limitExceeded` or `.truncated`, each naming `file` and the byte offset.
  /// - Complexity: O(pickle length) time and memory.
  static func load(
    _ data: Data, at offset: Int, file: String, allowedGlobals: Set<PickleGlobal>,
    limits: Limits,
    persistentLoad: (PickleValue, inout PickleDocument) throws -> PickleValue
  ) throws -> PickleDocument {
    var machine = PickleMachine(
      data: data, position: offset, file: file, allowedGlobals: allowedGlobals, limits: limits)
    return try machine.run(persistentLoad: persistentLoad)
  }
}

/// A `module.name` global named by a pickle.
struct PickleGlobal: Hashable, Sendable, CustomStringConvertible {
  var module: String
  var name: String
  init(_ module: String, _ name: String) {
    self.module = module
    self.name = name
  }
  var description: String { "\(module).\(name)" }
}

/// One value of a pickle. Containers and call results are indices into `PickleDocument`.
enum PickleValue: Equatable, Sendable {
  case none
  case bool(Bool)
  case int(Int)
  /// An integer too wide for `Int`: little-endian two's complement bytes.
  case bigInt([UInt8])
  case float(Double)
  case string(String)
  case bytes([UInt8])
  case tuple(Int)
  case list(Int)
  case dict(Int)
  case global(PickleGlobal)
  /// The recorded call of an allowed global (`REDUCE`, `NEWOBJ`).
  case object(Int)
  /// A value supplied by the persistent-load function (an index the caller defines).
  case persistent(Int)
}

/// A dictionary key: the hashable values a pickled state dict uses.
enum PickleKey: Hashable, Sendable {
  case string(String)
  case int(Int)
}

/// A pickled dictionary (or `OrderedDict`) in insertion order, with the state a `BUILD` gave it
/// (PyTorch puts the state dict's `_metadata` there).
struct PickleDictionary: Sendable {
  var items: [(key: PickleKey, value: PickleValue)] = []
  var positions: [PickleKey: Int] = [:]
  var state: PickleValue? = nil

  mutating func set(_ key: PickleKey, _ value: PickleValue) {
    if let position = positions[key] {
      items[position].value = value  // Python semantics: keep the first position
    } else {
      positions[key] = items.count
      items.append((key, value))
    }
  }
}

/// A call recorded by `REDUCE` or `NEWOBJ`: `callable(*arguments)`, then `BUILD(state)`.
struct PickleObject: Sendable {
  var callable: PickleGlobal
  var arguments: [PickleValue]
  var state: PickleValue? = nil
}

/// The result of one pickle: its root value and the arenas its containers live in.
struct PickleDocument: Sendable {
  var root: PickleValue = .none
  var tuples: [[PickleValue]] = []
  var lists: [[PickleValue]] = []
  var dictionaries: [PickleDictionary] = []
  var objects: [PickleObject] = []
  /// The byte offset just after `STOP`.
  var endOffset = 0

  /// The elements of a tuple or list value, or `nil`.
  func sequence(_ value: PickleValue) -> [PickleValue]? {
    switch value {
    case .tuple(let i): return tuples[i]
    case .list(let i): return lists[i]
    default: return nil
    }
  }
}

/// The pickle virtual machine behind `Unpickler.load`.
private struct PickleMachine {
  let data: Data
  var position: Int
  let file: String
  let allowedGlobals: Set<PickleGlobal>
  let limits: Unpickler.Limits
  var document = PickleDocument()
  var stack: [PickleValue] = []
  var marks: [Int] = []
  var memo: [Int: PickleValue] = [:]
  var items = 0
  /// The offset of the opcode being executed, for errors.
  var opcodeOffset = 0

  init(
    data: Data, position: Int, file: String, allowedGlobals: Set<PickleGlobal>,
    limits: Unpickler.Limits
  ) {
    self.data = data
    self.position = position
    self.file = file
    self.allowedGlobals = allowedGlobals
    self.limits = limits
  }

  func invalid(_ reason: String) -> WeightFileError {
    .invalidPickle(file: file, offset: opcodeOffset, reason: reason)
  }

  // MARK: Reading operands

  mutating func bytes(_ n: Int) throws -> Data {
    guard n >= 0, position <= data.count, n <= data.count - position else {
      throw WeightFileError.truncated(
        file: file, key: nil, context: "pickle operand", offset: position, needed: max(n, 0),
        available: data.count)
    }
    defer { position += n }
    return data.slice(position, n)
  }

  mutating func byte() throws -> UInt8 {
    try bytes(1).first ?? 0
  }

  mutating func integer<T: FixedWidthInteger>(_: T.Type) throws -> T {
    let raw = try bytes(MemoryLayout<T>.size)
    return raw.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(as: T.self)) }
  }

  /// A length operand, checked against `limit` and against the bytes left.
  mutating func length<T: FixedWidthInteger>(_: T.Type, limit: Int, what: String) throws -> Int {
    let value = try integer(T.self)
    guard value >= 0, UInt64(value) <= UInt64(limit) else {
      throw WeightFileError.limitExceeded(
        file: file, key: nil, limit: "pickle \(what) length at byte \(opcodeOffset)",
        value: Int(clamping: value), maximum: limit)
    }
    return Int(value)
  }

  mutating func text(length n: Int) throws -> String {
    let raw = try bytes(n)
    guard let text = String(validating: raw, as: UTF8.self) else {
      throw invalid("a string is not valid UTF-8")
    }
    return text
  }

  /// A `GLOBAL` operand line, up to (and consuming) its newline.
  mutating func line() throws -> String {
    let start = position
    while true {
      guard position < data.count else {
        throw WeightFileError.truncated(
          file: file, key: nil, context: "pickle GLOBAL line", offset: start,
          needed: position - start + 1, available: data.count)
      }
      if data[data.startIndex + position] == 0x0A { break }
      position += 1
      guard position - start <= limits.maxStringBytes else {
        throw WeightFileError.limitExceeded(
          file: file, key: nil, limit: "pickle GLOBAL line length", value: position - start,
          maximum: limits.maxStringBytes)
      }
    }
    let raw = data.slice(start, position - start)
    position += 1
    guard let text = String(validating: raw, as: UTF8.self) else {
      throw invalid("a GLOBAL line is not valid UTF-8")
    }
    return text
  }

  /// Sign-extends little-endian two's complement bytes.
  func integerValue(_ raw: [UInt8]) -> PickleValue {
    guard let last = raw.last else { return .int(0) }
    let fill: UInt8 = last & 0x80 == 0 ? 0 : 0xFF
    if raw.count > 8 && !raw[8...].allSatisfy({ $0 == fill }) { return .bigInt(raw) }
    var value: UInt64 = fill == 0 ? 0 : ~0
    for (i, byte) in raw.prefix(8).enumerated() {
      value &= ~(UInt64(0xFF) << (8 * UInt64(i)))
      value |= UInt64(byte) << (8 * UInt64(i))
    }
    let signed = Int64(bitPattern: value)
    // Bytes beyond the 8th equal the fill; the 8th byte's sign must agree with it too.
    if raw.count > 8 && (signed < 0) != (fill == 0xFF) { return .bigInt(raw) }
    return .int(Int(signed))
  }

  // MARK: Stack

  mutating func push(_ value: PickleValue) throws {
    guard stack.count < limits.maxStackSize else {
      throw WeightFileError.limitExceeded(
        file: file, key: nil, limit: "pickle stack size", value: stack.count + 1,
        maximum: limits.maxStackSize)
    }
    stack.append(value)
  }

  mutating func pop() throws -> PickleValue {
    guard let value = stack.popLast(), stack.count >= (marks.last ?? 0) else {
      throw invalid("stack underflow")
    }
    return value
  }

  /// Everything pushed since the last `MARK`, removing the mark.
  mutating func popToMark() throws -> [PickleValue] {
    guard let mark = marks.popLast() else { throw invalid("no MARK to pop to") }
    let values = Array(stack[mark...])
    stack.removeSubrange(mark...)
    return values
  }

  mutating func count(_ n: Int) throws {
    items += n
    guard items <= limits.maxItems else {
      throw WeightFileError.limitExceeded(
        file: file, key: nil, limit: "pickle item count", value: items, maximum: limits.maxItems)
    }
  }

  mutating func makeTuple(_ elements: [PickleValue]) throws -> PickleValue {
    try count(1 + elements.count)
    document.tuples.append(elements)
    return .tuple(document.tuples.count - 1)
  }

  func global(_ module: String, _ name: String) throws -> PickleValue {
    let global = PickleGlobal(module, name)
    guard allowedGlobals.contains(global) else {
      throw WeightFileError.forbiddenGlobal(file: file, module: module, name: name)
    }
    return .global(global)
  }

  /// `callable(*arguments)` for an allowed global: an empty dictionary for `OrderedDict()`,
  /// otherwise a recorded call.
  mutating func call(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
    guard case .global(let global) = callable else {
      throw invalid("REDUCE/NEWOBJ needs a global as callable")
    }
    guard case .tuple(let argumentIndex) = arguments else {
      throw invalid("REDUCE/NEWOBJ needs a tuple of arguments")
    }
    let values = document.tuples[argumentIndex]
    if global == PickleGlobal("collections", "OrderedDict") {
      guard values.isEmpty else { throw invalid("OrderedDict() with arguments is not supported") }
      try count(1)
      document.dictionaries.append(PickleDictionary())
      return .dict(document.dictionaries.count - 1)
    }
    try count(1)
    document.objects.append(PickleObject(callable: global, arguments: values))
    return .object(document.objects.count - 1)
  }

  func key(_ value: PickleValue) throws -> PickleKey {
    switch value {
    case .string(let text): return .string(text)
    case .int(let number): return .int(number)
    default: throw invalid("unsupported dictionary key \(value)")
    }
  }

  mutating func setItems(_ pairs: [PickleValue]) throws {
    guard pairs.count % 2 == 0 else { throw invalid("SETITEMS needs key/value pairs") }
    guard case .dict(let target) = stack.last, stack.count > (marks.last ?? 0) else {
      throw invalid("SETITEM(S) needs a dictionary")
    }
    try count(pairs.count / 2)
    for i in stride(from: 0, to: pairs.count, by: 2) {
      document.dictionaries[target].set(try key(pairs[i]), pairs[i + 1])
    }
  }

  mutating func append(_ values: [PickleValue]) throws {
    guard case .list(let target) = stack.last, stack.count > (marks.last ?? 0) else {
      throw invalid("APPEND(S) needs a list")
    }
    try count(values.count)
    document.lists[target].append(contentsOf: values)
  }

  mutating func put(_ index: Int) throws {
    guard let top = stack.last, stack.count > (marks.last ?? 0) else {
      throw invalid("memoize with an empty stack")
    }
    guard memo[index] != nil || memo.count < limits.maxMemoSize else {
      throw WeightFileError.limitExceeded(
        file: file, key: nil, limit: "pickle memo size", value: memo.count + 1,
        maximum: limits.maxMemoSize)
    }
    memo[index] = top
  }

  mutating func get(_ index: Int) throws {
    guard let value = memo[index] else { throw invalid("memo entry \(index) does not exist") }
    try push(value)
  }

  // MARK: The loop

  mutating func run(
    persistentLoad: (PickleValue, inout PickleDocument) throws -> PickleValue
  ) throws -> PickleDocument {
    while true {
      opcodeOffset = position
      let opcode = try byte()
      switch opcode {
      case 0x80:  // PROTO
        let version = try byte()
        guard version >= 2 && version <= 5 else {
          throw invalid("unsupported pickle protocol \(version)")
        }
      case 0x95:  // FRAME: a length hint only
        let frame = try integer(UInt64.self)
        guard frame <= UInt64(data.count - position) else {
          throw WeightFileError.truncated(
            file: file, key: nil, context: "pickle frame", offset: position,
            needed: Int(clamping: frame), available: data.count)
        }
      case 0x2E:  // STOP
        document.root = try pop()
        document.endOffset = position
        return document
      case 0x28:  // MARK
        guard marks.count < limits.maxMarkDepth else {
          throw WeightFileError.limitExceeded(
            file: file, key: nil, limit: "pickle MARK depth", value: marks.count + 1,
            maximum: limits.maxMarkDepth)
        }
        marks.append(stack.count)
      case 0x30:  // POP
        _ = try pop()
      case 0x4E: try push(.none)  // NONE
      case 0x88: try push(.bool(true))  // NEWTRUE
      case 0x89: try push(.bool(false))  // NEWFALSE
      case 0x4A: try push(.int(Int(try integer(Int32.self))))  // BININT
      case 0x4B: try push(.int(Int(try byte())))  // BININT1
      case 0x4D: try push(.int(Int(try integer(UInt16.self))))  // BININT2
      case 0x8A, 0x8B:  // LONG1, LONG4
        let n =
          opcode == 0x8A
          ? Int(try byte())
          : try length(Int32.self, limit: limits.maxIntegerBytes, what: "integer")
        guard n <= limits.maxIntegerBytes else {
          throw WeightFileError.limitExceeded(
            file: file, key: nil, limit: "pickle integer length", value: n,
            maximum: limits.maxIntegerBytes)
        }
        try push(integerValue([UInt8](try bytes(n))))
      case 0x47:  // BINFLOAT (big-endian)
        let littleEndianValue = try integer(UInt64.self)
        try push(.float(Double(bitPattern: littleEndianValue.byteSwapped)))
      case 0x58:  // BINUNICODE
        let n = try length(UInt32.self, limit: limits.maxStringBytes, what: "string")
        try push(.string(try text(length: n)))
      case 0x8C:  // SHORT_BINUNICODE
        try push(.string(try text(length: Int(try byte()))))
      case 0x8D:  // BINUNICODE8
        let n = try length(UInt64.self, limit: limits.maxStringBytes, what: "string")
        try push(.string(try text(length: n)))
      case 0x54, 0x55:  // BINSTRING, SHORT_BINSTRING (Python 2 str, decoded as Latin-1)
        let n =
          opcode == 0x55
          ? Int(try byte()) : try length(Int32.self, limit: limits.maxStringBytes, what: "string")
        let raw = try bytes(n)
        try push(.string(String(String.UnicodeScalarView(raw.map { Unicode.Scalar($0) }))))
      case 0x42, 0x43:  // BINBYTES, SHORT_BINBYTES
        let n =
          opcode == 0x43
          ? Int(try byte()) : try length(UInt32.self, limit: limits.maxStringBytes, what: "bytes")
        try push(.bytes([UInt8](try bytes(n))))
      case 0x29: try push(try makeTuple([]))  // EMPTY_TUPLE
      case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
        let n = Int(opcode - 0x84)
        guard stack.count - (marks.last ?? 0) >= n else { throw invalid("stack underflow") }
        let elements = Array(stack.suffix(n))
        stack.removeLast(n)
        try push(try makeTuple(elements))
      case 0x74:  // TUPLE
        try push(try makeTuple(try popToMark()))
      case 0x5D:  // EMPTY_LIST
        try count(1)
        document.lists.append([])
        try push(.list(document.lists.count - 1))
      case 0x7D:  // EMPTY_DICT
        try count(1)
        document.dictionaries.append(PickleDictionary())
        try push(.dict(document.dictionaries.count - 1))
      case 0x61:  // APPEND
        let value = try pop()
        try append([value])
      case 0x65:  // APPENDS
        try append(try popToMark())
      case 0x73:  // SETITEM
        let value = try pop()
        let key = try pop()
        try setItems([key, value])
      case 0x75:  // SETITEMS
        try setItems(try popToMark())
      case 0x71: try put(Int(try byte()))  // BINPUT
      case 0x72: try put(Int(try integer(UInt32.self)))  // LONG_BINPUT
      case 0x94: try put(memo.count)  // MEMOIZE
      case 0x68: try get(Int(try byte()))  // BINGET
      case 0x6A: try get(Int(try integer(UInt32.self)))  // LONG_BINGET
      case 0x63:  // GLOBAL
        let module = try line()
        let name = try line()
        try push(try global(module, name))
      case 0x93:  // STACK_GLOBAL
        let name = try pop()
        let module = try pop()
        guard case .string(let moduleName) = module, case .string(let globalName) = name else {
          throw invalid("STACK_GLOBAL needs two strings")
        }
        try push(try global(moduleName, globalName))
      case 0x52, 0x81:  // REDUCE, NEWOBJ
        let arguments = try pop()
        let callable = try pop()
        try push(try call(callable, arguments))
      case 0x62:  // BUILD
        let state = try pop()
        switch stack.last {
        case .dict(let i)? where stack.count > (marks.last ?? 0):
          document.dictionaries[i].state = state
        case .object(let i)? where stack.count > (marks.last ?? 0):
          document.objects[i].state = state
        default:
          throw invalid("BUILD needs a dictionary or a reconstructed object")
        }
      case 0x51:  // BINPERSID
        let id = try pop()
        try push(try persistentLoad(id, &document))
      default:
        throw WeightFileError.unsupportedOpcode(file: file, opcode: opcode, offset: opcodeOffset)
      }
    }
  }
}
