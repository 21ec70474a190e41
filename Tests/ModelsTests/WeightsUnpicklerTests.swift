import Foundation
import TestSupport
import XCTest

@testable import Models

/// Loads `pickle` with the torch allow-list and a persistent-load function that returns
/// `.persistent(0)`.
private func load(
  _ pickle: PickleWriter, allowed: Set<PickleGlobal> = TorchCheckpoint.allowedGlobals,
  limits: Unpickler.Limits = Unpickler.Limits()
) throws -> PickleDocument {
  try Unpickler.load(
    pickle.data, at: 0, file: "p.pkl", allowedGlobals: allowed, limits: limits
  ) { _, _ in .persistent(0) }
}

/// A pickle of `PROTO 2`, the given body, `STOP`.
private func pickle(_ body: (inout PickleWriter) -> Void) -> PickleWriter {
  var writer = PickleWriter()
  writer.proto()
  body(&writer)
  writer.stop()
  return writer
}

/// Whether `error` is `.invalidPickle` for "p.pkl".
private func isInvalid(_ error: WeightFileError) -> Bool {
  if case .invalidPickle("p.pkl", _, _) = error { return true }
  return false
}

final class WeightsUnpicklerTests: XCTestCase {
  // MARK: What the restricted unpickler builds

  func testStateDictPatternBuildsAnOrderedDictionaryOfRecordedCalls() throws {
    let stateDict = pickle {
      $0.beginStateDict()
      $0.string("b")
      $0.tensor(storage: "0", count: 4, size: [2, 2], stride: [2, 1])
      $0.string("a")
      $0.int(3)
      $0.setItems()
    }

    let document = try load(stateDict)

    XCTAssertEqual(document.endOffset, stateDict.bytes.count)

    guard case .dict(let d) = document.root else { return XCTFail("root \(document.root)") }
    let items = document.dictionaries[d].items
    XCTAssertEqual(items.map(\.key), [.string("b"), .string("a")], "insertion order")
    XCTAssertEqual(items[1].value, .int(3))
    guard case .object(let o) = items[0].value else { return XCTFail("\(items[0].value)") }
    let call = document.objects[o]
    XCTAssertEqual(call.callable, PickleGlobal("torch._utils", "_rebuild_tensor_v2"))
    XCTAssertEqual(call.arguments.count, 6)
    XCTAssertEqual(call.arguments[0], .persistent(0))
    XCTAssertEqual(call.arguments[1], .int(0))
    XCTAssertEqual(document.sequence(call.arguments[2]), [.int(2), .int(2)])
    XCTAssertEqual(document.sequence(call.arguments[3]), [.int(2), .int(1)])
    XCTAssertEqual(call.arguments[4], .bool(false))
  }

  func testIntegersOfEveryEncodingKeepTheirValue() throws {
    var body = PickleWriter()
    body.proto()
    body.emptyList()
    body.mark()
    body.op(0x4B, [255])  // BININT1
    body.op(0x4D, [0x34, 0x12])  // BININT2
    body.op(0x4A, le(Int32(-5)))  // BININT
    body.op(0x8A, [0])  // LONG1 zero
    body.op(0x8A, [2, 0xFF, 0x7F])  // LONG1 32767
    body.op(0x8A, [1, 0x80])  // LONG1 -128
    body.op(0x8A, [8] + le(Int64.min))
    body.op(0x8A, [9, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00])  // 2^64 - 1
    body.op(0x8B, le(Int32(3)) + [1, 0, 0])  // LONG4 1
    body.appends()
    body.stop()

    let document = try load(body)

    XCTAssertEqual(
      document.sequence(document.root),
      [
        .int(255), .int(0x1234), .int(-5), .int(0), .int(32767), .int(-128), .int(Int(Int64.min)),
        .bigInt([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]), .int(1),
      ])
  }

  func testFloatsStringsAndBytesOfEveryEncoding() throws {
    var body = PickleWriter()
    body.proto(4)
    body.emptyList()
    body.mark()
    body.float(-0.15625)
    body.string("ünïcødé")
    body.shortString("short")
    body.op(0x8D, le(UInt64(2)) + Array("u8".utf8))  // BINUNICODE8
    body.op(0x55, [2, 0xE9, 0x41])  // SHORT_BINSTRING, Latin-1
    body.op(0x54, le(Int32(1)) + [0x42])  // BINSTRING
    body.op(0x43, [2, 0, 255])  // SHORT_BINBYTES
    body.op(0x42, le(UInt32(1)) + [7])  // BINBYTES
    body.none()
    body.bool(true)
    body.appends()
    body.stop()

    let document = try load(body)

    XCTAssertEqual(
      document.sequence(document.root),
      [
        .float(-0.15625), .string("ünïcødé"), .string("short"), .string("u8"), .string("éA"),
        .string("B"), .bytes([0, 255]), .bytes([7]), .none, .bool(true),
      ])
  }

  func testMemoSharesOneListBetweenReferences() throws {
    // d = {}; l = []; d["x"] = l; d["y"] = l; l.append(1): both keys see the append.
    let document = try load(
      pickle {
        $0.emptyDict()
        $0.string("x")
        $0.emptyList()
        $0.put(0)
        $0.setItem()
        $0.string("y")
        $0.get(0)
        $0.int(1)
        $0.append()
        $0.setItem()
      })
    guard case .dict(let d) = document.root else { return XCTFail() }
    let values = document.dictionaries[d].items.map(\.value)
    XCTAssertEqual(values[0], values[1])
    XCTAssertEqual(document.sequence(values[0]), [.int(1)])
  }

  func testProtocol4FramesMemoizeAndStackGlobal() throws {
    var body = PickleWriter()
    body.proto(4)
    body.op(0x95, le(UInt64(30)))  // FRAME
    body.shortString("collections")
    body.memoize()
    body.shortString("OrderedDict")
    body.memoize()
    body.stackGlobal()
    body.memoize()
    body.emptyTuple()
    body.reduce()
    body.stop()
    let document = try load(body)
    guard case .dict = document.root else { return XCTFail("\(document.root)") }
  }

  func testReadingStopsAtStopAndReportsTheOffset() throws {
    var two = pickle { $0.int(1) }
    let firstLength = two.bytes.count
    two.bytes += pickle { $0.int(2) }.bytes
    let first = try Unpickler.load(
      two.data, at: 0, file: "p", allowedGlobals: [], limits: .init()
    ) { _, _ in .none }
    let second = try Unpickler.load(
      two.data, at: first.endOffset, file: "p", allowedGlobals: [], limits: .init()
    ) { _, _ in .none }
    XCTAssertEqual(first.endOffset, firstLength)
    XCTAssertEqual(first.root, .int(1))
    XCTAssertEqual(second.root, .int(2))
  }

  // MARK: Globals: refused before anything happens

  func testOsSystemWithReduceIsRefusedAndNothingRuns() throws {
    let marker = FileManager.default.temporaryDirectory
      .appendingPathComponent("unpickler-pwned-\(UUID().uuidString)")
    let evil = pickle {
      $0.global("os", "system")
      $0.string("touch \(marker.path)")
      $0.tuple1()
      $0.reduce()
    }
    assertWeightError(try load(evil)) {
      $0 == .forbiddenGlobal(file: "p.pkl", module: "os", name: "system")
    }
    // Through the checkpoint reader too.
    assertWeightError(try WeightFile(data: torchZip(evil, storages: []), name: "evil.pth")) {
      $0 == .forbiddenGlobal(file: "evil.pth", module: "os", name: "system")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path))
  }

  func testPicklesMadeByPythonCallingOsSystemAreRefused() throws {
    // os.system pickles as posix.system on Linux; protocol 2 uses GLOBAL, protocol 4
    // STACK_GLOBAL (Tools/make_weight_fixtures.py).
    for fixture in ["torch/hostile_os_system.pth", "torch/hostile_stack_global.pth"] {
      assertWeightError(try WeightFile(contentsOf: weightFixture(fixture))) {
        if case .forbiddenGlobal(_, "posix", "system") = $0 { return true }
        return false
      }
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/weights-fixture-pwned"))
  }

  func testStackGlobalTricksAreRefused() {
    // Names assembled through the memo.
    assertWeightError(
      try load(
        pickle {
          $0.shortString("builtins")
          $0.put(0)
          $0.shortString("eval")
          $0.put(1)
          $0.stackGlobal()
        })
    ) { $0 == .forbiddenGlobal(file: "p.pkl", module: "builtins", name: "eval") }
    // Near misses of allowed names.
    for (module, name) in [
      ("collections", "OrderedDict.__init__"), ("torch._utils ", "_rebuild_tensor_v2"),
      ("torch", "_utils._rebuild_tensor_v2"), ("collections", "ordereddict"),
      ("torch", "storage._load_from_bytes"), ("builtins", "getattr"), ("", ""),
    ] {
      assertWeightError(
        try load(
          pickle {
            $0.shortString(module)
            $0.shortString(name)
            $0.stackGlobal()
          })
      ) { $0 == .forbiddenGlobal(file: "p.pkl", module: module, name: name) }
    }
    // Operands that are not strings, or missing.
    assertWeightError(
      try load(
        pickle {
          $0.int(1)
          $0.int(2)
          $0.stackGlobal()
        }), _: isInvalid)
    assertWeightError(
      try load(
        pickle {
          $0.shortString("os")
          $0.stackGlobal()
        }), _: isInvalid)
  }

  func testGlobalLineWithoutNewlineIsTruncated() {
    var body = PickleWriter()
    body.proto()
    body.op(0x63, Array("collections\nOrderedDict".utf8))
    assertWeightError(try load(body)) {
      if case .truncated("p.pkl", nil, "pickle GLOBAL line", _, _, _) = $0 { return true }
      return false
    }
  }

  // MARK: Memo abuse

  func testMemoAbuseIsATypedError() {
    assertWeightError(try load(pickle { $0.get(3) }), _: isInvalid)
    assertWeightError(try load(pickle { $0.op(0x6A, le(UInt32.max)) }), _: isInvalid)
    assertWeightError(try load(pickle { $0.put(0) }), _: isInvalid)
    var limits = Unpickler.Limits()
    limits.maxMemoSize = 10
    let flood = pickle {
      $0.none()
      for i in 0..<11 { $0.put(1000 + i * 7919) }
    }
    assertWeightError(try load(flood, limits: limits)) {
      $0
        == .limitExceeded(
          file: "p.pkl", key: nil, limit: "pickle memo size", value: 11, maximum: 10)
    }
  }

  // MARK: Bombs: depth, stack, sizes

  func testMarkBombHitsTheMarkDepthLimit() {
    let bomb = pickle { for _ in 0..<100_000 { $0.mark() } }
    assertWeightError(try load(bomb)) {
      $0
        == .limitExceeded(
          file: "p.pkl", key: nil, limit: "pickle MARK depth", value: 1001, maximum: 1000)
    }
  }

  func testStackBombHitsTheStackLimit() {
    var limits = Unpickler.Limits()
    limits.maxStackSize = 1000
    let bomb = pickle { for _ in 0..<5000 { $0.none() } }
    assertWeightError(try load(bomb, limits: limits)) {
      $0
        == .limitExceeded(
          file: "p.pkl", key: nil, limit: "pickle stack size", value: 1001, maximum: 1000)
    }
  }

  func testItemBombHitsTheItemLimit() {
    var limits = Unpickler.Limits()
    limits.maxItems = 100
    let bomb = pickle { for _ in 0..<200 { $0.emptyTuple() } }
    assertWeightError(try load(bomb, limits: limits)) {
      if case .limitExceeded(_, _, "pickle item count", _, 100) = $0 { return true }
      return false
    }
  }

  func testDeeplyNestedTuplesLoadFlatAndFailTheCheckpointDepthLimit() throws {
    // 100 000 nested 1-tuples: no recursion in the unpickler, a typed error in the reader.
    let deep = pickle {
      $0.beginStateDict()
      $0.string("t")
      $0.none()
      for _ in 0..<100_000 { $0.tuple1() }
      $0.setItems()
    }
    XCTAssertNoThrow(try load(deep))
    assertWeightError(try WeightFile(data: torchZip(deep, storages: []), name: "deep.pth")) {
      if case .limitExceeded("deep.pth", _, "nesting depth", 65, 64) = $0 { return true }
      return false
    }
  }

  func testSelfReferentialListFailsTheDepthLimitInsteadOfLooping() {
    // l = []; l.append(l); {"l": l}
    let cycle = pickle {
      $0.emptyDict()
      $0.string("l")
      $0.emptyList()
      $0.put(0)
      $0.get(0)
      $0.append()
      $0.setItem()
    }
    assertWeightError(try WeightFile(data: torchZip(cycle, storages: []), name: "cycle.pth")) {
      if case .limitExceeded("cycle.pth", _, "nesting depth", _, _) = $0 { return true }
      return false
    }
  }

  func testHugeDeclaredLengthsAreRejectedBeforeReading() {
    let cases: [(UInt8, [UInt8])] = [
      (0x58, le(UInt32.max)),  // BINUNICODE
      (0x8D, le(UInt64(1) << 63)),  // BINUNICODE8
      (0x42, le(UInt32.max)),  // BINBYTES
      (0x54, le(Int32(-1))),  // BINSTRING with a negative length
      (0x8B, le(Int32.max)),  // LONG4
    ]
    for (opcode, operand) in cases {
      assertWeightError(try load(pickle { $0.op(opcode, operand) })) {
        if case .limitExceeded("p.pkl", nil, _, _, _) = $0 { return true }
        return false
      }
    }
    assertWeightError(try load(pickle { $0.op(0x8A, [200] + [UInt8](repeating: 1, count: 200)) })) {
      $0
        == .limitExceeded(
          file: "p.pkl", key: nil, limit: "pickle integer length", value: 200, maximum: 64)
    }
    // Within the limits but beyond the end of the data.
    assertWeightError(try load(pickle { $0.op(0x58, le(UInt32(1000)) + [65]) })) {
      if case .truncated("p.pkl", nil, "pickle operand", _, 1000, _) = $0 { return true }
      return false
    }
  }

  // MARK: Everything else is refused

  func testOpcodesOutsideTheSubsetAreUnsupported() {
    // INST, OBJ, PERSID, EXT1, INT, STRING, DICT, LIST, PUT, GET, DUP, EMPTY_SET, BYTEARRAY8.
    for opcode: UInt8 in [
      0x69, 0x6F, 0x50, 0x82, 0x49, 0x53, 0x64, 0x6C, 0x70, 0x67, 0x32, 0x8F, 0x96,
    ] {
      assertWeightError(try load(pickle { $0.op(opcode, [0x0A, 0x0A]) })) {
        $0 == .unsupportedOpcode(file: "p.pkl", opcode: opcode, offset: 2)
      }
    }
  }

  func testMalformedOperationsAreInvalidPickles() {
    let bodies: [(inout PickleWriter) -> Void] = [
      { $0.mark() },  // STOP with nothing above the mark
      { $0.tuple() },  // TUPLE without MARK
      {
        $0.int(1)
        $0.tuple2()
      },  // underflow
      {
        $0.emptyDict()
        $0.int(1)
        $0.append()
      },  // APPEND to a dictionary
      {
        $0.emptyList()
        $0.int(1)
        $0.int(2)
        $0.setItem()
      },  // SETITEM on a list
      {
        $0.emptyDict()
        $0.mark()
        $0.int(1)
        $0.setItems()
      },  // odd SETITEMS
      {
        $0.emptyDict()
        $0.emptyTuple()
        $0.int(1)
        $0.setItem()
      },  // tuple key
      {
        $0.emptyDict()
        $0.none()
        $0.int(1)
        $0.setItem()
      },  // None key
      {
        $0.emptyList()
        $0.emptyDict()
        $0.build()
      },  // BUILD on a list
      {
        $0.global("collections", "OrderedDict")
        $0.emptyList()
        $0.reduce()
      },  // list args
      {
        $0.string("f")
        $0.emptyTuple()
        $0.reduce()
      },  // callable not a global
      {
        $0.global("collections", "OrderedDict")
        $0.emptyList()
        $0.tuple1()
        $0.reduce()
      },  // OrderedDict with arguments
      {
        $0.mark()
        $0.none()
        $0.mark()
        $0.append()
      },  // append across a mark
    ]
    for body in bodies {
      assertWeightError(try load(pickle(body)), _: isInvalid)
    }
    assertWeightError(try load(pickle { $0.op(0x80, [1]) })) { isInvalid($0) }
  }

  func testPickleWithoutStopIsTruncated() {
    var body = PickleWriter()
    body.proto()
    body.none()
    assertWeightError(try load(body)) {
      if case .truncated("p.pkl", nil, _, 3, 1, 3) = $0 { return true }
      return false
    }
  }

  func testMalformedPersistentIdsAreRejectedByTheCheckpointReader() {
    let ids: [(inout PickleWriter) -> Void] = [
      { $0.string("storage") },  // not a tuple
      {
        $0.mark()
        $0.string("module")
        $0.int(1)
        $0.int(2)
        $0.int(3)
        $0.int(4)
        $0.tuple()
      },
      {
        $0.mark()
        $0.string("storage")
        $0.string("torch.FloatStorage")
        $0.string("0")
        $0.string("cpu")
        $0.int(1)
        $0.tuple()
      },  // type given as a string
      {
        $0.mark()
        $0.string("storage")
        $0.global("torch", "FloatStorage")
        $0.int(0)
        $0.string("cpu")
        $0.int(1)
        $0.tuple()
      },  // key not a string
      {
        $0.mark()
        $0.string("storage")
        $0.global("torch", "FloatStorage")
        $0.string("0")
        $0.string("cpu")
        $0.int(-1)
        $0.tuple()
      },  // negative size
    ]
    for id in ids {
      let body = pickle {
        $0.emptyDict()
        $0.string("w")
        id(&$0)
        $0.persistentID()
        $0.setItem()
      }
      assertWeightError(try WeightFile(data: torchZip(body, storages: []), name: "pid.pth")) {
        if case .malformed("pid.pth", nil, let reason) = $0 {
          return reason.hasPrefix("persistent id")
        }
        return false
      }
    }
  }
}
