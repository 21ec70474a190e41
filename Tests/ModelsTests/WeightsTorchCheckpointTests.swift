import Foundation
import Models
import Tensor
import TestSupport
import XCTest

/// Golden values of the real EfficientNet-Lite0 checkpoint, from an independent Python reading
/// (pickle with a restricted find_class + numpy `as_strided` over the raw storage records):
/// `Tools/make_weight_fixtures.py`.
private struct RealCheckpointGolden: Decodable {
  struct Key: Decodable {
    let key: String
    let shape: [Int]
    let dtype: String
    let stride: [Int]
    let sum: Double
    let abs_sum: Double
    let first: [Double]
  }
  struct Element: Decodable {
    let index: [Int]
    let value: Double
  }
  let key_count: Int
  let keys: [Key]
  let selected: [String: [Element]]
}

final class WeightsTorchCheckpointTests: XCTestCase {
  // MARK: Fixtures written by the torch.save emulation

  func testLegacyCheckpointMatchesGoldenValues() throws {
    let golden = try XCTUnwrap(try weightGolden()["torch/legacy_state_dict.pth"])
    let file = try TorchCheckpoint.read(contentsOf: weightFixture("torch/legacy_state_dict.pth"))
    assertMatchesGolden(file, golden)
  }

  func testZipCheckpointWithParameterMatchesGoldenValues() throws {
    let golden = try XCTUnwrap(try weightGolden()["torch/zip_state_dict.pth"])
    let file = try TorchCheckpoint.read(contentsOf: weightFixture("torch/zip_state_dict.pth"))
    assertMatchesGolden(file, golden)
    XCTAssertEqual(file["fc.weight"]?.shape, [2, 3])
  }

  func testBigEndianZipCheckpointIsByteSwapped() throws {
    let golden = try XCTUnwrap(try weightGolden()["torch/zip_big_endian.pth"])
    let file = try WeightFile(contentsOf: weightFixture("torch/zip_big_endian.pth"))
    assertMatchesGolden(file, golden)
  }

  func testNestedCheckpointHasDottedKeysAndScalarMetadata() throws {
    let golden = try XCTUnwrap(try weightGolden()["torch/zip_nested.pth"])
    let file = try WeightFile(contentsOf: weightFixture("torch/zip_nested.pth"))
    assertMatchesGolden(file, golden)
    XCTAssertEqual(file.keys, ["model.fc.weight", "model.fc.bias", "layers.0", "layers.1"])
    XCTAssertEqual(file.metadata["epoch"], "7")
    XCTAssertEqual(file.metadata["note"], "None")
  }

  func testStridedAndSharedStorageViewsAreGatheredRowMajor() throws {
    // conv.weight is stored channels-last (strides 12, 1, 6, 3), shared.* share one storage,
    // broadcast_row has stride 0: all must come out dense and row-major.
    let file = try WeightFile(contentsOf: weightFixture("torch/legacy_state_dict.pth"))
    let shared = try file.tensor("shared.matrix").scalars + file.tensor("shared.tail").scalars
    XCTAssertEqual(shared.count, 10)
    let row = try file.tensor("broadcast_row")
    XCTAssertEqual(row.shape, [2, 3])
    XCTAssertEqual(Array(row.scalars[0..<3]), Array(row.scalars[3..<6]))
    XCTAssertEqual(file["bn.num_batches_tracked"]?.int64Scalars(), [123_456_789_012])
    XCTAssertEqual(file["bn.num_batches_tracked"]?.shape, [])
  }

  // MARK: The real EfficientNet-Lite0 checkpoint (legacy format)

  func testRealEfficientNetLite0CheckpointMatchesIndependentReading() throws {
    let url = try assetURL("models/efficientnet-lite0.pth")
    let golden = try JSONDecoder().decode(
      RealCheckpointGolden.self,
      from: Data(contentsOf: fixtureURL("Weights/efficientnet_lite0_golden.json")))

    let file = try WeightFile(contentsOf: url)

    XCTAssertEqual(file.format, .pytorchLegacy)
    XCTAssertEqual(file.count, golden.key_count)
    XCTAssertEqual(file.count, 296)
    XCTAssertEqual(file.keys, golden.keys.map(\.key))
    XCTAssertEqual(file["_conv_stem.weight"]?.shape, [32, 3, 3, 3])
    XCTAssertEqual(file["_fc.weight"]?.shape, [1000, 1280])
    XCTAssertEqual(file["_conv_head.weight"]?.shape, [1280, 320, 1, 1])
    for expected in golden.keys {
      let array = try file.array(expected.key)
      XCTAssertEqual(array.shape, expected.shape, expected.key)
      XCTAssertEqual(array.dtype.rawValue, expected.dtype, expected.key)
      let values = array.doubleScalars()
      XCTAssertEqual(Array(values.prefix(4)), expected.first, expected.key)
      let sum = values.reduce(0, +)
      let absoluteSum = values.reduce(0) { $0 + abs($1) }
      XCTAssertEqual(sum, expected.sum, accuracy: 1e-9 * max(1, expected.abs_sum), expected.key)
      XCTAssertEqual(absoluteSum, expected.abs_sum, accuracy: 1e-9 * max(1, expected.abs_sum))
    }
    for (key, elements) in golden.selected {
      let tensor = try file.tensor(key)
      for element in elements {
        XCTAssertEqual(
          Double(tensorElement(tensor, element.index)), element.value, "\(key)\(element.index)")
      }
    }
    XCTAssertEqual(file["_bn0.num_batches_tracked"]?.dtype, .int64)
  }

  private func tensorElement(_ tensor: Tensor, _ index: [Int]) -> Float {
    var flat = 0
    for (axis, i) in index.enumerated() { flat = flat * tensor.shape[axis] + i }
    return tensor.scalars[flat]
  }

  // MARK: Checkpoints built here, byte by byte

  func testZipCheckpointAcceptsAnyFolderName() throws {
    var pickle = PickleWriter()
    pickle.proto()
    pickle.beginStateDict()
    pickle.string("w")
    pickle.tensor(storage: "0", count: 4, size: [2, 2], stride: [2, 1])
    pickle.setItems()
    pickle.stop()
    let data = torchZip(
      pickle, storages: [("0", float32Bytes([1, 2, 3, 4]))], folder: "my_model-v2")

    let file = try WeightFile(data: data, name: "folder.pth")

    XCTAssertEqual(file.format, .pytorchZip)
    XCTAssertEqual(try file.tensor("w"), Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
  }

  func testMissingStorageEntryNamesTheEntry() throws {
    var pickle = PickleWriter()
    pickle.proto()
    pickle.beginStateDict()
    pickle.string("w")
    pickle.tensor(storage: "7", count: 2, size: [2], stride: [1])
    pickle.setItems()
    pickle.stop()
    let data = torchZip(pickle, storages: [])
    assertWeightError(try WeightFile(data: data, name: "m.pth"), names: "m.pth") {
      $0 == .missingKey(file: "m.pth", key: "archive/data/7")
    }
  }

  func testStorageEntryOfWrongSizeIsSizeMismatch() throws {
    var pickle = PickleWriter()
    pickle.proto()
    pickle.beginStateDict()
    pickle.string("w")
    pickle.tensor(storage: "0", count: 3, size: [3], stride: [1])
    pickle.setItems()
    pickle.stop()
    let data = torchZip(pickle, storages: [("0", float32Bytes([1, 2]))])
    assertWeightError(try WeightFile(data: data, name: "s.pth")) {
      if case .sizeMismatch(_, "archive/data/0", _, "F32", 12, 8) = $0 { return true }
      return false
    }
  }

  func testViewsLeavingTheirStorageAreRejected() throws {
    // (offset, size, stride) triples that address element 4 or beyond of a 4-element storage.
    let cases: [(Int, [Int], [Int])] = [
      (1, [4], [1]), (0, [5], [1]), (0, [2, 2], [3, 1]), (4, [1], [1]),
      (0, [1 << 40, 1 << 40], [1, 1]), (0, [2], [Int(Int32.max)]),
    ]
    for (offset, size, stride) in cases {
      var pickle = PickleWriter()
      pickle.proto()
      pickle.beginStateDict()
      pickle.string("w")
      pickle.tensor(storage: "0", count: 4, offset: offset, size: size, stride: stride)
      pickle.setItems()
      pickle.stop()
      let data = torchZip(pickle, storages: [("0", float32Bytes([1, 2, 3, 4]))])
      assertWeightError(try WeightFile(data: data, name: "v.pth")) {
        if case .malformed("v.pth", "w", _) = $0 { return true }
        return false
      }
    }
  }

  func testNegativeSizesAndOffsetsAreRejected() throws {
    for (offset, size) in [(-1, [2]), (0, [-2])] {
      var pickle = PickleWriter()
      pickle.proto()
      pickle.beginStateDict()
      pickle.string("w")
      pickle.tensor(storage: "0", count: 4, offset: offset, size: size, stride: [1])
      pickle.setItems()
      pickle.stop()
      let data = torchZip(pickle, storages: [("0", float32Bytes([1, 2, 3, 4]))])
      assertWeightError(try WeightFile(data: data, name: "n.pth")) {
        if case .malformed("n.pth", "w", _) = $0 { return true }
        return false
      }
    }
  }

  func testHugeDeclaredStorageSizeIsRejectedBeforeAllocating() throws {
    var pickle = PickleWriter()
    pickle.proto()
    pickle.beginStateDict()
    pickle.string("w")
    pickle.tensor(storage: "0", count: 1 << 62, size: [2], stride: [1])
    pickle.setItems()
    pickle.stop()
    let data = torchZip(pickle, storages: [("0", float32Bytes([1, 2]))])
    assertWeightError(try WeightFile(data: data, name: "h.pth")) {
      if case .sizeMismatch(_, "archive/data/0", _, _, Int.max, 8) = $0 { return true }
      return false
    }
  }

  func testStorageClassOutsideTheAllowListIsForbidden() throws {
    var pickle = PickleWriter()
    pickle.proto()
    pickle.beginStateDict()
    pickle.string("w")
    pickle.tensor(storage: "0", type: "ComplexFloatStorage", count: 1, size: [1], stride: [1])
    pickle.setItems()
    pickle.stop()
    let data = torchZip(pickle, storages: [("0", float32Bytes([1, 2]))])
    assertWeightError(try WeightFile(data: data, name: "c.pth")) {
      $0 == .forbiddenGlobal(file: "c.pth", module: "torch", name: "ComplexFloatStorage")
    }
  }

  func testAllowedGlobalThatBuildsNoTensorIsRejected() throws {
    // torch.FloatStorage(...) is on the allow-list as a storage type, not as a value.
    var pickle = PickleWriter()
    pickle.proto()
    pickle.beginStateDict()
    pickle.string("w")
    pickle.global("torch", "FloatStorage")
    pickle.emptyTuple()
    pickle.reduce()
    pickle.setItems()
    pickle.stop()
    let data = torchZip(pickle, storages: [])
    assertWeightError(try WeightFile(data: data, name: "f.pth")) {
      if case .malformed("f.pth", "w", _) = $0 { return true }
      return false
    }
  }

  func testRootThatIsNotADictionaryIsRejected() throws {
    var pickle = PickleWriter()
    pickle.proto()
    pickle.int(5)
    pickle.stop()
    assertWeightError(try WeightFile(data: torchZip(pickle, storages: []), name: "r.pth")) {
      if case .malformed("r.pth", nil, _) = $0 { return true }
      return false
    }
  }

  /// A legacy state dict `{"w": [2] float32, "n": [] int64}` over storages "10" and "20".
  private func legacyStateDict() -> PickleWriter {
    var pickle = PickleWriter()
    pickle.proto()
    pickle.beginStateDict()
    pickle.string("w")
    pickle.tensor(storage: "10", count: 2, size: [2], stride: [1], legacy: true)
    pickle.string("n")
    pickle.tensor(storage: "20", type: "LongStorage", count: 1, size: [], stride: [], legacy: true)
    pickle.setItems()
    pickle.stop()
    return pickle
  }

  func testLegacyCheckpointBuiltByteByByteIsRead() throws {
    let data = legacyTorch(
      legacyStateDict(),
      records: [("10", 2, float32Bytes([0.5, -1])), ("20", 1, le(Int64(-42)))])

    let file = try WeightFile(data: data, name: "l.pth")

    XCTAssertEqual(file.format, .pytorchLegacy)
    XCTAssertEqual(file.keys, ["w", "n"])
    XCTAssertEqual(try file.tensor("w").scalars, [0.5, -1])
    XCTAssertEqual(file["n"]?.int64Scalars(), [-42])
    XCTAssertEqual(try file.tensor("n").scalars, [-42])
  }

  func testLegacyCheckpointWithWrongRecordCountIsSizeMismatch() throws {
    let data = legacyTorch(
      legacyStateDict(),
      records: [("10", 3, float32Bytes([0.5, -1, 2])), ("20", 1, le(Int64(-42)))])
    assertWeightError(try WeightFile(data: data, name: "bad.pth"), names: "bad.pth") {
      $0
        == .sizeMismatch(
          file: "bad.pth", key: "10", shape: [2], dtype: "F32", expectedBytes: 8, foundBytes: 12)
    }
  }

  func testLegacyCheckpointWithMissingOrExtraRecordsIsRejected() throws {
    let missing = legacyTorch(legacyStateDict(), records: [("10", 2, float32Bytes([0.5, -1]))])
    assertWeightError(try WeightFile(data: missing, name: "m.pth")) {
      if case .malformed("m.pth", nil, _) = $0 { return true }
      return false
    }
    let extra = legacyTorch(
      legacyStateDict(),
      records: [
        ("10", 2, float32Bytes([0.5, -1])), ("20", 1, le(Int64(1))), ("30", 1, le(Int64(1))),
      ])
    assertWeightError(try WeightFile(data: extra, name: "e.pth")) {
      if case .malformed("e.pth", _, _) = $0 { return true }
      return false
    }
  }

  func testLegacyCheckpointWithTruncatedRecordIsTruncated() throws {
    let data = legacyTorch(
      legacyStateDict(), records: [("10", 2, float32Bytes([0.5, -1])), ("20", 1, [1, 2, 3])])
    assertWeightError(try WeightFile(data: data, name: "t.pth")) {
      if case .truncated("t.pth", "20", _, _, 8, _) = $0 { return true }
      return false
    }
  }

  func testLegacyCheckpointWithTrailingBytesIsRejected() throws {
    let bytes = [UInt8](try Data(contentsOf: weightFixture("torch/legacy_state_dict.pth")))
    assertWeightError(try WeightFile(data: Data(bytes + [0]), name: "t.pth")) {
      if case .malformed("t.pth", nil, _) = $0 { return true }
      return false
    }
  }

  func testLegacyCheckpointWithWrongMagicIsUnrecognized() throws {
    var bytes = [UInt8](try Data(contentsOf: weightFixture("torch/legacy_state_dict.pth")))
    bytes[6] ^= 0xFF  // inside the magic number, after the 4 signature bytes
    assertWeightError(try WeightFile(data: Data(bytes), name: "x.pth")) {
      if case .unrecognizedFormat("x.pth", _) = $0 { return true }
      return false
    }
  }

  func testWholePickledModuleIsForbidden() throws {
    assertWeightError(try WeightFile(contentsOf: weightFixture("torch/hostile_module.pth"))) {
      if case .forbiddenGlobal(_, "mymodels", "Net") = $0 { return true }
      return false
    }
  }
}
