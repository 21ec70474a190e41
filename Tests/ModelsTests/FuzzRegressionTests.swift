import Foundation
import TestSupport
import XCTest

@testable import Models

/// Replays every input under `Tests/Fixtures/Fuzz/<target>/` (crashes, hangs and resource bombs
/// found by fuzzing `Fuzz/` or by the reliability audit) through the parser its folder names, as
/// the fuzz target does: each must end in a `WeightFileError` or a successful read, quickly.
final class FuzzRegressionTests: XCTestCase {
  /// The weight-file fuzz targets, by folder name (`Scripts/fuzz.sh` target names).
  private static let readers: [String: @Sendable (Data) throws -> Void] = [
    "safetensors": { data in _ = try Safetensors.read(data, name: "input") },
    "torch-zip": { data in
      _ = try TorchCheckpoint.read(archive: ZipArchive(data, name: "input"), limits: .default)
    },
    "torch-legacy": { data in _ = try TorchCheckpoint.readLegacy(data, name: "input", limits: .default) },
    "numpy": { data in _ = try WeightFile(data: data, name: "input") },
    "unpickler": { data in
      _ = try Unpickler.load(
        data, at: 0, file: "input", allowedGlobals: TorchCheckpoint.allowedGlobals,
        limits: Unpickler.Limits()
      ) { _, _ in .persistent(0) }
    },
  ]

  /// The inputs of one folder of `Tests/Fixtures/Fuzz/`.
  private func inputs(_ target: String) throws -> [URL] {
    let folder = fixtureURL("Fuzz/" + target)
    guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
    return try FileManager.default.contentsOfDirectory(
      at: folder, includingPropertiesForKeys: nil
    ).sorted { $0.path < $1.path }
  }

  func testEveryCommittedInputIsATypedErrorOrAReadInBoundedTime() throws {
    var replayed = 0
    for (target, read) in Self.readers {
      for url in try inputs(target) {
        let data = try Data(contentsOf: url)
        let start = Date()
        do {
          try read(data)
        } catch is WeightFileError {
        } catch {
          XCTFail("\(target)/\(url.lastPathComponent): untyped error \(error)")
        }
        // Generous for a loaded machine or a sanitizer build; these inputs used to hang.
        XCTAssertLessThan(
          Date().timeIntervalSince(start), 10, "\(target)/\(url.lastPathComponent) is slow")
        replayed += 1
      }
    }
    XCTAssertGreaterThanOrEqual(replayed, 2)
  }

  func testExpandedViewOfFourBytesToFourTebibytesIsRefusedByTheTensorByteLimit() throws {
    // Found by the audit: before `maxTensorBytes`, the reader gathered 2^40 floats from one.
    let data = try Data(contentsOf: fixtureURL("Fuzz/torch-zip/expanded_view_4tib.pth"))
    assertWeightError(try WeightFile(data: data, name: "view.pth")) {
      $0
        == .limitExceeded(
          file: "view.pth", key: "w", limit: "tensor bytes", value: 4 << 40, maximum: 4 << 30)
    }
  }

  func testBillionLaughsCheckpointIsRefusedByTheValueLimit() throws {
    // Found by the audit: before `maxStateDictionaryValues`, flattening walked 2^40 leaves.
    let data = try Data(contentsOf: fixtureURL("Fuzz/torch-zip/billion_laughs.pth"))
    assertWeightError(try WeightFile(data: data, name: "laughs.pth")) {
      if case .limitExceeded("laughs.pth", _, "state dictionary values", 100_001, 100_000) = $0 {
        return true
      }
      return false
    }
  }
}
