import Foundation
import Models
import Tensor
import TestSupport
import XCTest

/// Cross-format robustness: every way of breaking a file must end in a `WeightFileError`, never
/// a trap, a hang or an absurd allocation.
final class WeightsHostileFileTests: XCTestCase {
  /// Every fixture file (all formats), by path relative to `Tests/Fixtures/Weights/`.
  private func fixtures() throws -> [(String, Data)] {
    let root = fixtureURL("Weights")
    let folders = ["safetensors", "numpy", "npz", "torch"]
    return try folders.flatMap { folder in
      try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)
        .sorted().map { name in
          let path = folder + "/" + name
          return (path, try Data(contentsOf: root.appendingPathComponent(path)))
        }
    }
  }

  /// Reads `data` and converts every array, as a model would.
  private func readFully(_ data: Data, name: String) throws {
    let file = try WeightFile(data: data, name: name)
    for key in file.keys { _ = try file.tensor(key) }
  }

  func testEveryTruncationOfEveryFixtureIsATypedError() throws {
    let files = try fixtures()
    XCTAssertGreaterThan(files.count, 35)
    var attempts = 0
    for (path, data) in files {
      for cut in 0..<data.count {
        attempts += 1
        assertWeightError(try readFully(data.prefix(cut), name: path), names: path)
      }
    }
    XCTAssertGreaterThan(attempts, 20_000)
  }

  func testTruncationsOfTheRealCheckpointAreTypedErrors() throws {
    let url = try assetURL("models/efficientnet-lite0.pth")
    let data = try Data(contentsOf: url, options: .alwaysMapped)
    var cuts = Array(stride(from: 0, to: 48_000, by: 997)) + [data.count - 1, data.count - 4]
    var generator = SeededGenerator(seed: 11)
    cuts += (0..<20).map { _ in Int.random(in: 0..<data.count, using: &generator) }
    for cut in cuts {
      assertWeightError(try WeightFile(data: data.prefix(cut), name: "lite0"), names: "lite0")
    }
  }

  func testRandomBytesBehindEachFormatSignatureAreTypedErrors() {
    var generator = SeededGenerator(seed: 2018)
    let signatures: [[UInt8]] = [
      [], [0x50, 0x4B, 0x03, 0x04], [0x93] + Array("NUMPY".utf8) + [1, 0],
      [0x80, 0x02, 0x8A, 0x0A], le(UInt64(40)) + [UInt8(ascii: "{")],
    ]
    for signature in signatures {
      for length in 0..<400 {
        let noise = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let data = Data(signature + noise)
        do {
          try readFully(data, name: "random")
          XCTFail("Random bytes were accepted: \(Array(data.prefix(16)))")
        } catch is WeightFileError {
        } catch {
          XCTFail("Untyped error \(error)")
        }
      }
    }
  }

  func testRandomByteMutationsOfValidFilesReadOrFailWithATypedError() throws {
    var generator = SeededGenerator(seed: 42)
    var failures = 0
    var successes = 0
    for (path, original) in try fixtures() {
      for _ in 0..<150 {
        var bytes = [UInt8](original)
        for _ in 0..<Int.random(in: 1...3, using: &generator) {
          let index = Int.random(in: 0..<bytes.count, using: &generator)
          bytes[index] = UInt8.random(in: 0...255, using: &generator)
        }
        do {
          try readFully(Data(bytes), name: path)
          successes += 1
        } catch let error as WeightFileError {
          XCTAssertEqual(error.file, path)
          failures += 1
        }
      }
    }
    // Flipped data bytes still read (the format cannot tell); flipped structure must not.
    XCTAssertGreaterThan(failures, 1000)
    XCTAssertGreaterThan(successes, 100)
  }

  func testHugeDeclaredSizesInEveryFormatAreRejectedWithoutAllocating() {
    // safetensors: a 2^60-byte header.
    assertWeightError(try WeightFile(data: Data(le(UInt64(1) << 60) + Array("{}".utf8)), name: "s"))
    {
      if case .limitExceeded("s", nil, _, 1 << 60, _) = $0 { return true }
      return false
    }
    // .npy: a 4 GiB header in format 2.0.
    let npy = Data([0x93] + Array("NUMPY".utf8) + [2, 0] + le(UInt32.max) + Array("{".utf8))
    assertWeightError(try WeightFile(data: npy, name: "n")) {
      if case .limitExceeded("n", nil, _, _, _) = $0 { return true }
      return false
    }
    // zip: an entry claiming 4 GiB from 2 deflated bytes.
    var zip = ZipBuilder()
    zip.members.append(
      .init(path: "w.npy", contents: [0x03, 0x00], method: 8, uncompressedSize: UInt32.max))
    assertWeightError(try WeightFile(data: zip.data, name: "z")) {
      if case .limitExceeded("z", "w.npy", _, _, _) = $0 { return true }
      return false
    }
    // legacy torch: a storage record claiming 2^62 elements.
    var pickle = PickleWriter()
    pickle.proto()
    pickle.beginStateDict()
    pickle.string("w")
    pickle.tensor(storage: "1", count: 2, size: [2], stride: [1], legacy: true)
    pickle.setItems()
    pickle.stop()
    let legacy = legacyTorch(pickle, records: [("1", 1 << 62, float32Bytes([1, 2]))])
    assertWeightError(try WeightFile(data: legacy, name: "l")) {
      if case .sizeMismatch("l", "1", _, _, _, _) = $0 { return true }
      return false
    }
  }
}
