import Foundation
import TestSupport
import XCTest

@testable import Models

/// One pickle of `Tests/Fixtures/Weights/hostile/manifest.json` (Tools/make_hostile_pickles.py).
private struct HostilePickle: Decodable {
  struct Expectation: Decodable {
    /// The `WeightFileError` case the unpickler must stop with, or `nil` when it loads.
    let error: String?
    let module: String?
    let name: String?
    let opcode: Int?
    let limit: String?
    /// The pickle loads (flat); bombs must then be refused by the checkpoint reader as
    /// `checkpoint` describes.
    let loads: Bool?
    /// For lenient cases that load, Python's result (`"None"`).
    let root: String?
    let checkpoint: Checkpoint?
  }
  struct Checkpoint: Decodable {
    let error: String
    let limit: String
  }
  let file: String
  /// "code" (would run code in Python), "abuse" (memo and stack) or "bomb".
  let kind: String
  let expect: Expectation
  let note: String
  /// The globals Python's `find_class` is asked for when it loads the file.
  let python_find_class: [String]?
}

/// The file every command in those pickles would create.
private let marker = URL(fileURLWithPath: "/tmp/convnetprobe-hostile-pickle-ran")

private func hostilePickles() throws -> [HostilePickle] {
  let data = try Data(contentsOf: fixtureURL("Weights/hostile/manifest.json"))
  return try JSONDecoder().decode([HostilePickle].self, from: data)
}

private func bytes(of pickle: HostilePickle) throws -> Data {
  try Data(contentsOf: fixtureURL("Weights/hostile/" + pickle.file))
}

/// Whether `error` is the case `expected` describes.
private func matches(_ error: WeightFileError, _ expected: HostilePickle.Expectation) -> Bool {
  switch (expected.error, error) {
  case ("forbiddenGlobal", .forbiddenGlobal(_, let module, let name)):
    return module == expected.module && name == expected.name
  case ("unsupportedOpcode", .unsupportedOpcode(_, let opcode, _)):
    return Int(opcode) == expected.opcode
  case ("invalidPickle", .invalidPickle): return true
  case ("truncated", .truncated): return true
  case ("limitExceeded", .limitExceeded(_, _, let limit, _, _)): return limit == expected.limit
  default: return false
  }
}

/// Hostile pickles written by Python's own pickler or assembled opcode by opcode: code execution
/// (`os.system` through `__reduce__`, `builtins.eval`, nested `GLOBAL`/`STACK_GLOBAL` tricks),
/// memo and stack abuse, and recursion bombs. Each is read bare by the unpickler and inside a
/// zip checkpoint, and must end in the typed error the manifest names, with nothing run.
final class WeightsHostilePickleTests: XCTestCase {
  override func setUp() {
    try? FileManager.default.removeItem(at: marker)
  }

  override func tearDown() {
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: marker.path), "a hostile pickle ran a command")
  }

  func testManifestCoversEveryKindAndPythonWouldRunTheCodePickles() throws {
    let pickles = try hostilePickles()
    XCTAssertEqual(Set(pickles.map(\.kind)), ["code", "abuse", "bomb"])
    let code = pickles.filter { $0.kind == "code" }
    XCTAssertGreaterThanOrEqual(code.count, 15)
    for pickle in code {
      XCTAssertFalse(pickle.python_find_class?.isEmpty ?? true, pickle.file)
    }
    let asked = Set(code.flatMap { $0.python_find_class ?? [] })
    for global in [
      "posix.system", "builtins.eval", "builtins.exec", "builtins.getattr", "subprocess.Popen",
    ] {
      XCTAssertTrue(asked.contains(global), "no pickle calls \(global)")
    }
  }

  func testEveryCodeExecutingPickleIsRefusedBareAndInsideACheckpoint() throws {
    for pickle in try hostilePickles() where pickle.kind == "code" {
      let data = try bytes(of: pickle)
      assertWeightError(
        try Unpickler.load(
          data, at: 0, file: pickle.file, allowedGlobals: TorchCheckpoint.allowedGlobals,
          limits: Unpickler.Limits()
        ) { _, _ in .persistent(0) }, names: pickle.file
      ) { matches($0, pickle.expect) }
      let checkpoint = torchZip(PickleWriter(bytes: [UInt8](data)), storages: [])
      assertWeightError(try WeightFile(data: checkpoint, name: "evil.pth"), names: "evil.pth") {
        matches($0, pickle.expect)
      }
    }
  }

  func testForbiddenGlobalIsReportedWhereThePythonPickleNamesItFirst() throws {
    // The unpickler stops at the first global Python would have looked up.
    for pickle in try hostilePickles() where pickle.expect.error == "forbiddenGlobal" {
      guard let module = pickle.expect.module, let name = pickle.expect.name else {
        return XCTFail("\(pickle.file): no global in the manifest")
      }
      let firstForbidden = (pickle.python_find_class ?? []).first {
        !TorchCheckpoint.allowedGlobals.map(\.description).contains($0)
      }
      XCTAssertEqual(firstForbidden, "\(module).\(name)", pickle.file)
    }
  }

  func testMemoAndStackAbuseAreTypedErrors() throws {
    for pickle in try hostilePickles() where pickle.kind == "abuse" {
      if pickle.expect.loads == true {
        // Python returns the top of the stack at STOP, whatever lies below it: so do we.
        let document = try Unpickler.load(
          try bytes(of: pickle), at: 0, file: pickle.file, allowedGlobals: [],
          limits: Unpickler.Limits()
        ) { _, _ in .persistent(0) }
        XCTAssertEqual(pickle.expect.root, "None", pickle.file)
        XCTAssertEqual(document.root, .none, pickle.file)
        continue
      }
      assertWeightError(
        try Unpickler.load(
          try bytes(of: pickle), at: 0, file: pickle.file,
          allowedGlobals: TorchCheckpoint.allowedGlobals, limits: Unpickler.Limits()
        ) { _, _ in .persistent(0) }, names: pickle.file
      ) { matches($0, pickle.expect) }
    }
  }

  func testRecursionBombsLoadFlatAndTheCheckpointReaderStopsAtItsLimit() throws {
    for pickle in try hostilePickles() where pickle.kind == "bomb" {
      let data = try bytes(of: pickle)
      let load = {
        try Unpickler.load(
          data, at: 0, file: pickle.file, allowedGlobals: TorchCheckpoint.allowedGlobals,
          limits: Unpickler.Limits()
        ) { _, _ in .persistent(0) }
      }
      if pickle.expect.loads == true {
        // No recursion in the unpickler: the nesting is flat indices into arenas.
        XCTAssertNoThrow(try load(), pickle.file)
        let expected = try XCTUnwrap(pickle.expect.checkpoint, pickle.file)
        let checkpoint = torchZip(PickleWriter(bytes: [UInt8](data)), storages: [])
        assertWeightError(try WeightFile(data: checkpoint, name: "bomb.pth"), names: "bomb.pth") {
          if case .limitExceeded(_, _, expected.limit, _, _) = $0 { return true }
          return false
        }
      } else {
        assertWeightError(try load(), names: pickle.file) { matches($0, pickle.expect) }
      }
    }
  }

  func testBillionLaughsStopsAfterTheValueLimitInsteadOfWalking2To40Leaves() throws {
    let pickle = try XCTUnwrap(try hostilePickles().first { $0.file == "billion_laughs.pkl" })
    let checkpoint = torchZip(PickleWriter(bytes: [UInt8](try bytes(of: pickle))), storages: [])
    var limits = WeightFileLimits()
    limits.maxStateDictionaryValues = 1000
    let start = Date()
    assertWeightError(try WeightFile(data: checkpoint, name: "laughs.pth", limits: limits)) {
      if case .limitExceeded("laughs.pth", _, "state dictionary values", 1001, 1000) = $0 {
        return true
      }
      return false
    }
    XCTAssertLessThan(Date().timeIntervalSince(start), 10)
  }
}
