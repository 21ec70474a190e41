import Foundation
import Models
import Tensor
import TestSupport
import XCTest

// Shared helpers of the weight-file tests: golden values written by
// Tools/make_weight_fixtures.py, a typed-error assertion, and small writers for zip archives and
// pickles so that tests can build exact (and exactly broken) files byte by byte.

/// One array of `Tests/Fixtures/Weights/golden.json`.
struct GoldenArray: Decodable {
  let dtype: String
  let shape: [Int]
  /// Row-major values as Python floats.
  let values: [Double]
  /// Row-major values as exact integers (integer and bool arrays only).
  let integers: [Int64]?
}

/// One fixture file of `golden.json`.
struct GoldenFile: Decodable {
  let format: String
  let keys: [String]
  let arrays: [String: GoldenArray]
  let metadata: [String: String]
}

/// The golden values of every fixture, by path relative to `Tests/Fixtures/Weights/`.
func weightGolden() throws -> [String: GoldenFile] {
  let data = try Data(contentsOf: fixtureURL("Weights/golden.json"))
  return try JSONDecoder().decode([String: GoldenFile].self, from: data)
}

/// A fixture file under `Tests/Fixtures/Weights/`.
func weightFixture(_ path: String) -> URL {
  fixtureURL("Weights/" + path)
}

/// Asserts that `file` holds exactly the golden keys (in order), metadata, dtypes, shapes and
/// values: `tensor()` equals the values rounded to Float, `doubleScalars()` equals them exactly,
/// and integer arrays match exactly through `int64Scalars()`.
func assertMatchesGolden(
  _ weightFile: WeightFile, _ golden: GoldenFile, file: StaticString = #filePath,
  line: UInt = #line
) {
  XCTAssertEqual(weightFile.format.rawValue, golden.format, file: file, line: line)
  XCTAssertEqual(weightFile.keys, golden.keys, file: file, line: line)
  XCTAssertEqual(weightFile.metadata, golden.metadata, file: file, line: line)
  for key in golden.keys {
    guard let array = weightFile[key], let expected = golden.arrays[key] else {
      XCTFail("\(weightFile.name): no array '\(key)'", file: file, line: line)
      continue
    }
    let context = "\(weightFile.name) '\(key)'"
    XCTAssertEqual(array.dtype.rawValue, expected.dtype, context, file: file, line: line)
    XCTAssertEqual(array.shape, expected.shape, context, file: file, line: line)
    let tensor = array.tensor()
    XCTAssertEqual(tensor.shape, expected.shape, context, file: file, line: line)
    XCTAssertEqual(
      tensor.scalars, expected.values.map { Float($0) }, context, file: file, line: line)
    XCTAssertEqual(array.doubleScalars(), expected.values, context, file: file, line: line)
    XCTAssertEqual(array.int64Scalars(), expected.integers, context, file: file, line: line)
  }
}

/// Asserts that `expression` throws a `WeightFileError` that names `fileName` and satisfies
/// `check`; returns the error.
@discardableResult
func assertWeightError<T>(
  _ expression: @autoclosure () throws -> T, names fileName: String? = nil,
  file: StaticString = #filePath, line: UInt = #line,
  _ check: (WeightFileError) -> Bool = { _ in true }
) -> WeightFileError? {
  do {
    _ = try expression()
    XCTFail("Expected a WeightFileError, but reading succeeded.", file: file, line: line)
    return nil
  } catch let error as WeightFileError {
    if let fileName {
      XCTAssertEqual(error.file, fileName, "\(error)", file: file, line: line)
    }
    XCTAssertTrue(check(error), "Unexpected error: \(error)", file: file, line: line)
    XCTAssertFalse(error.description.isEmpty, file: file, line: line)
    return error
  } catch {
    XCTFail("Expected a WeightFileError, got \(error).", file: file, line: line)
    return nil
  }
}

/// CRC-32 (the zip polynomial, reflected 0xEDB88320), bit by bit: an independent check of
/// zlib's.
func referenceCRC32(_ bytes: [UInt8]) -> UInt32 {
  var crc: UInt32 = 0xFFFF_FFFF
  for byte in bytes {
    crc ^= UInt32(byte)
    for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
  }
  return ~crc
}

/// Writes small zip archives of stored entries, each field overridable to build broken ones.
struct ZipBuilder {
  struct Member {
    var path: String
    var contents: [UInt8]
    var method: UInt16 = 0
    var flags: UInt16 = 0
    var crc: UInt32? = nil
    var compressedSize: UInt32? = nil
    var uncompressedSize: UInt32? = nil
    var localOffset: UInt32? = nil
    var localPath: String? = nil
  }

  var members: [Member] = []
  /// Overrides the end record's entry count.
  var entryCount: UInt16? = nil
  var comment: [UInt8] = []

  mutating func add(_ path: String, _ contents: [UInt8]) {
    members.append(Member(path: path, contents: contents))
  }

  mutating func add(_ path: String, _ contents: Data) {
    add(path, [UInt8](contents))
  }

  var bytes: [UInt8] {
    var out: [UInt8] = []
    var central: [UInt8] = []
    func le16(_ v: UInt16, _ a: inout [UInt8]) { a += [UInt8(v & 0xFF), UInt8(v >> 8)] }
    func le32(_ v: UInt32, _ a: inout [UInt8]) {
      for i in 0..<4 { a.append(UInt8((v >> (8 * UInt32(i))) & 0xFF)) }
    }
    for member in members {
      let offset = UInt32(out.count)
      let name = Array(member.path.utf8)
      let localName = Array((member.localPath ?? member.path).utf8)
      let crc = member.crc ?? referenceCRC32(member.contents)
      let compressed = member.compressedSize ?? UInt32(member.contents.count)
      let uncompressed = member.uncompressedSize ?? UInt32(member.contents.count)
      le32(0x0403_4B50, &out)
      le16(20, &out)
      le16(member.flags, &out)
      le16(member.method, &out)
      le32(0, &out)  // time, date
      le32(crc, &out)
      le32(compressed, &out)
      le32(uncompressed, &out)
      le16(UInt16(localName.count), &out)
      le16(0, &out)
      out += localName + member.contents

      le32(0x0201_4B50, &central)
      le16(20, &central)
      le16(20, &central)
      le16(member.flags, &central)
      le16(member.method, &central)
      le32(0, &central)
      le32(crc, &central)
      le32(compressed, &central)
      le32(uncompressed, &central)
      le16(UInt16(name.count), &central)
      le16(0, &central)  // extra
      le16(0, &central)  // comment
      le16(0, &central)  // disk
      le16(0, &central)  // internal attributes
      le32(0, &central)  // external attributes
      le32(member.localOffset ?? offset, &central)
      central += name
    }
    let directoryOffset = UInt32(out.count)
    out += central
    le32(0x0605_4B50, &out)
    le16(0, &out)
    le16(0, &out)
    le16(entryCount ?? UInt16(members.count), &out)
    le16(entryCount ?? UInt16(members.count), &out)
    le32(UInt32(central.count), &out)
    le32(directoryOffset, &out)
    le16(UInt16(comment.count), &out)
    out += comment
    return out
  }

  var data: Data { Data(bytes) }
}

/// Emits pickle opcodes one by one (protocol 2 unless told otherwise).
struct PickleWriter {
  var bytes: [UInt8] = []

  mutating func op(_ code: UInt8, _ operand: [UInt8] = []) { bytes += [code] + operand }
  mutating func proto(_ version: UInt8 = 2) { op(0x80, [version]) }
  mutating func stop() { op(0x2E) }
  mutating func mark() { op(0x28) }
  mutating func none() { op(0x4E) }
  mutating func bool(_ value: Bool) { op(value ? 0x88 : 0x89) }
  mutating func emptyTuple() { op(0x29) }
  mutating func emptyList() { op(0x5D) }
  mutating func emptyDict() { op(0x7D) }
  mutating func tuple() { op(0x74) }
  mutating func tuple1() { op(0x85) }
  mutating func tuple2() { op(0x86) }
  mutating func tuple3() { op(0x87) }
  mutating func append() { op(0x61) }
  mutating func appends() { op(0x65) }
  mutating func setItem() { op(0x73) }
  mutating func setItems() { op(0x75) }
  mutating func reduce() { op(0x52) }
  mutating func newObject() { op(0x81) }
  mutating func build() { op(0x62) }
  mutating func persistentID() { op(0x51) }
  mutating func stackGlobal() { op(0x93) }
  mutating func memoize() { op(0x94) }
  mutating func put(_ index: Int) {
    index < 256 ? op(0x71, [UInt8(index)]) : op(0x72, le(UInt32(index)))
  }
  mutating func get(_ index: Int) {
    index < 256 ? op(0x68, [UInt8(index)]) : op(0x6A, le(UInt32(index)))
  }
  mutating func global(_ module: String, _ name: String) {
    op(0x63, Array(module.utf8) + [0x0A] + Array(name.utf8) + [0x0A])
  }
  mutating func string(_ text: String) {
    let utf8 = Array(text.utf8)
    op(0x58, le(UInt32(utf8.count)) + utf8)
  }
  mutating func shortString(_ text: String) {
    let utf8 = Array(text.utf8)
    op(0x8C, [UInt8(utf8.count)] + utf8)
  }
  mutating func int(_ value: Int) {
    switch value {
    case 0..<256: op(0x4B, [UInt8(value)])
    case 256..<65536: op(0x4D, le(UInt16(value)))
    case Int(Int32.min)...Int(Int32.max): op(0x4A, le(Int32(value)))
    default: op(0x8A, [8] + le(Int64(value)))
    }
  }
  mutating func float(_ value: Double) {
    op(0x47, le(value.bitPattern.byteSwapped))
  }

  /// A torch tensor: `_rebuild_tensor_v2((storage pid), offset, size, stride, False,
  /// OrderedDict())`, the pattern `torch.save` writes.
  mutating func tensor(
    storage key: String, type: String = "FloatStorage", count: Int, offset: Int = 0,
    size: [Int], stride: [Int], legacy: Bool = false
  ) {
    global("torch._utils", "_rebuild_tensor_v2")
    mark()
    mark()
    string("storage")
    global("torch", type)
    string(key)
    string("cpu")
    int(count)
    if legacy { none() }  // the legacy format's view metadata
    tuple()
    persistentID()
    int(offset)
    mark()
    for extent in size { int(extent) }
    tuple()
    mark()
    for step in stride { int(step) }
    tuple()
    bool(false)
    global("collections", "OrderedDict")
    emptyTuple()
    reduce()
    tuple()
    reduce()
  }

  /// `OrderedDict()` then `MARK`: the opening of a pickled state dict; close with `setItems()`.
  mutating func beginStateDict() {
    global("collections", "OrderedDict")
    emptyTuple()
    reduce()
    mark()
  }

  var data: Data { Data(bytes) }
}

func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
  withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

/// A zip-format torch checkpoint holding `pickle` as `archive/data.pkl` and the given storages.
func torchZip(_ pickle: PickleWriter, storages: [(String, [UInt8])], folder: String = "archive")
  -> Data
{
  var zip = ZipBuilder()
  zip.add(folder + "/data.pkl", pickle.bytes)
  zip.add(folder + "/byteorder", Array("little".utf8))
  for (key, bytes) in storages { zip.add(folder + "/data/" + key, bytes) }
  zip.add(folder + "/version", Array("3\n".utf8))
  return zip.data
}

/// A legacy-format torch checkpoint: the magic number, protocol 1001 and system information
/// pickles, then `stateDict`, the list of `records` keys, and per record an int64 count and bytes.
func legacyTorch(
  _ stateDict: PickleWriter, records: [(key: String, count: Int64, bytes: [UInt8])]
) -> Data {
  var header = PickleWriter()
  header.proto()
  header.op(0x8A, [10, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19])
  header.stop()
  header.proto()
  header.int(1001)
  header.stop()
  header.proto()
  header.emptyDict()
  header.mark()
  header.string("protocol_version")
  header.int(1001)
  header.string("little_endian")
  header.bool(true)
  header.string("type_sizes")
  header.emptyDict()
  header.mark()
  for (name, size) in [("short", 2), ("int", 4), ("long", 4)] {
    header.string(name)
    header.int(size)
  }
  header.setItems()
  header.setItems()
  header.stop()
  var keys = PickleWriter()
  keys.proto()
  keys.emptyList()
  keys.mark()
  for record in records { keys.string(record.key) }
  keys.appends()
  keys.stop()
  var out = header.bytes + stateDict.bytes + keys.bytes
  for record in records { out += le(record.count) + record.bytes }
  return Data(out)
}

/// Little-endian float32 bytes.
func float32Bytes(_ values: [Float]) -> [UInt8] {
  values.flatMap { le($0.bitPattern) }
}
