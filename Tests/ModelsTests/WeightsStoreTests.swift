import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class WeightsStoreTests: XCTestCase {
  private func store() throws -> WeightStore {
    let arrays: [(key: String, array: WeightArray)] = [
      ("fc.weight", WeightArray(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))),
      ("fc.bias", WeightArray(Tensor(shape: [2], scalars: [0.5, -0.5]))),
      ("bn.num_batches_tracked", WeightArray(dtype: .int64, shape: [], data: Data(le(Int64(9))))),
    ]
    return WeightStore(
      try WeightFile(name: "model.safetensors", format: .safetensors, entries: arrays))
  }

  func testTakeReturnsTheTensorAndRecordsTheKey() throws {
    var weights = try store()

    let weight = try weights.take("fc.weight", shape: [2, 3])

    XCTAssertEqual(weight, Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
    XCTAssertEqual(weights.usedKeys, ["fc.weight"])
    XCTAssertEqual(weights.unusedKeys, ["fc.bias", "bn.num_batches_tracked"])
  }

  func testWrongShapeNamesTheFileTheKeyAndBothShapes() throws {
    var weights = try store()
    assertWeightError(try weights.take("fc.weight", shape: [3, 2])) {
      $0
        == .shapeMismatch(
          file: "model.safetensors", key: "fc.weight", expected: [3, 2], found: [2, 3])
    }
    XCTAssertTrue(weights.usedKeys.isEmpty, "a failed take does not count as used")
    let message = "\(WeightFileError.shapeMismatch(file: "f", key: "k", expected: [1], found: [2]))"
    XCTAssertTrue(message.contains("f") && message.contains("'k'") && message.contains("[2]"))
  }

  func testMissingKeyNamesTheFileAndTheKey() throws {
    var weights = try store()
    XCTAssertFalse(weights.contains("fc.scale"))
    assertWeightError(try weights.take("fc.scale", shape: [2])) {
      $0 == .missingKey(file: "model.safetensors", key: "fc.scale")
    }
  }

  func testFinishListsUnusedKeysInFileOrderUnlessIgnored() throws {
    var weights = try store()
    _ = try weights.take("fc.weight", shape: [2, 3])

    assertWeightError(try weights.finish()) {
      $0 == .unusedKeys(file: "model.safetensors", keys: ["fc.bias", "bn.num_batches_tracked"])
    }
    _ = try weights.take("fc.bias", shape: [2])
    XCTAssertNoThrow(try weights.finish(ignoring: { $0.hasSuffix("num_batches_tracked") }))
    let count = try weights.takeArray("bn.num_batches_tracked", shape: [])
    XCTAssertEqual(count.int64Scalars(), [9])
    XCTAssertNoThrow(try weights.finish())
  }

  func testStoreOverTheRealCheckpointTakesEveryParameter() throws {
    let url = try assetURL("models/efficientnet-lite0.pth")
    var weights = try WeightStore(contentsOf: url)
    for key in weights.file.keys where !key.hasSuffix("num_batches_tracked") {
      let shape = try XCTUnwrap(weights.file[key]).shape
      _ = try weights.takeArray(key, shape: shape)
    }
    XCTAssertEqual(try weights.take("_fc.bias", shape: [1000]).shape, [1000])
    XCTAssertNoThrow(try weights.finish(ignoring: { $0.hasSuffix("num_batches_tracked") }))
    assertWeightError(try weights.finish(), names: url.path) {
      if case .unusedKeys(_, let keys) = $0 { return keys.count == 49 }
      return false
    }
  }
}
