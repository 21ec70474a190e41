import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class WeightsFileTests: XCTestCase {
  func testFormatIsRecognisedFromContentNotExtension() throws {
    let cases: [(String, WeightFormat)] = [
      ("safetensors/mixed.safetensors", .safetensors),
      ("torch/legacy_state_dict.pth", .pytorchLegacy),
      ("torch/zip_state_dict.pth", .pytorchZip),
      ("numpy/f4.npy", .numpy),
      ("npz/compressed.npz", .numpyArchive),
    ]
    for (path, format) in cases {
      let data = try Data(contentsOf: weightFixture(path))
      let file = try WeightFile(data: data, name: "renamed.bin")
      XCTAssertEqual(file.format, format, path)
      XCTAssertEqual(file.name, "renamed.bin")
    }
  }

  func testUnknownContentIsUnrecognized() {
    for bytes: [UInt8] in [[], [1, 2, 3], Array("GIF89a and more bytes".utf8), [0x80, 0x03, 0]] {
      assertWeightError(try WeightFile(data: Data(bytes), name: "x.bin")) {
        if case .unrecognizedFormat("x.bin", _) = $0 { return true }
        return false
      }
    }
  }

  func testMissingFileIsUnreadable() {
    let url = URL(fileURLWithPath: "/nonexistent/\(UUID().uuidString).pth")
    assertWeightError(try WeightFile(contentsOf: url), names: url.path) {
      if case .unreadable = $0 { return true }
      return false
    }
  }

  func testDuplicateKeysAreRejected() {
    let array = WeightArray(Tensor(zeros: [1]))
    assertWeightError(
      try WeightFile(name: "d", format: .safetensors, entries: [("a", array), ("a", array)])
    ) { $0 == .duplicateKey(file: "d", key: "a") }
  }

  func testTensorsKeepFileOrderAndConvertToFloat() throws {
    let file = try WeightFile(contentsOf: weightFixture("npz/stored.npz"))
    let tensors = file.tensors()
    XCTAssertEqual(tensors.map(\.key), file.keys)
    XCTAssertEqual(tensors.map(\.tensor.shape), [[3, 4], [3]])
    XCTAssertEqual(tensors[1].tensor.scalars, [3, 1, 4])
  }

  func testTensorOfMissingKeyNamesTheKey() throws {
    let file = try WeightFile(contentsOf: weightFixture("npz/stored.npz"))
    assertWeightError(try file.tensor("weights.T")) {
      $0 == .missingKey(file: weightFixture("npz/stored.npz").path, key: "weights.T")
    }
  }

  func testErrorDescriptionsNameFileAndKey() {
    let errors: [WeightFileError] = [
      .truncated(
        file: "a.pth", key: "w", context: "zip entry data", offset: 4, needed: 8, available: 6),
      .forbiddenGlobal(file: "a.pth", module: "os", name: "system"),
      .sizeMismatch(
        file: "a.pth", key: "w", shape: [2], dtype: "F32", expectedBytes: 8, foundBytes: 4),
      .unusedKeys(file: "a.pth", keys: (0..<12).map { "k\($0)" }),
    ]
    for error in errors {
      XCTAssertTrue(error.description.hasPrefix("a.pth: "), error.description)
    }
    XCTAssertTrue(errors[0].description.contains("'w'"))
    XCTAssertTrue(errors[1].description.contains("os.system"))
    XCTAssertTrue(errors[3].description.contains("12 keys"))
  }
}
