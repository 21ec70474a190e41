import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class LayerLoadingTests: XCTestCase {
  /// conv (2 → 3, 3×3) → batch norm → flatten → linear (3·2·2 → 4), freshly initialised.
  private func model(seed: UInt64 = 1) -> Sequential {
    var rng = SeededGenerator(seed: seed)
    return Sequential([
      Conv2D(inputChannels: 2, outputChannels: 3, kernelSize: 3, using: &rng),
      BatchNorm2D(channelCount: 3), Flatten(),
      Linear(inputFeatures: 12, outputFeatures: 4, using: &rng),
    ])
  }

  /// A state dict with random values for every tensor of `model()`, plus PyTorch's
  /// `num_batches_tracked` and the `extra` entries.
  private func checkpoint(
    replacing replaced: [String: Tensor] = [:], dropping dropped: Set<String> = [],
    extra: [(String, Tensor)] = []
  ) throws -> (file: WeightFile, tensors: [String: Tensor]) {
    var entries: [(key: String, array: WeightArray)] = []
    var tensors: [String: Tensor] = [:]
    var rng = SeededGenerator(seed: 42)
    for (name, shape) in model().parameterShapes where !dropped.contains(name) {
      let tensor = replaced[name] ?? Tensor.uniform(shape, low: 0.5, high: 1.5, using: &rng)
      tensors[name] = tensor
      entries.append((name, WeightArray(tensor)))
      if name == "1.running_var" {
        entries.append(
          ("1.num_batches_tracked", WeightArray(dtype: .int64, shape: [], data: Data(count: 8))))
      }
    }
    for (key, tensor) in extra { entries.append((key, WeightArray(tensor))) }
    let file = try WeightFile(name: "net.safetensors", format: .safetensors, entries: entries)
    return (file, tensors)
  }

  func testLoadsEveryParameterAndBufferByStateDictName() throws {
    let (file, tensors) = try checkpoint()
    var network = model()

    try network.load(from: file)

    XCTAssertEqual(network.stateDictionary(), tensors)
    let conv = network["0"] as? Conv2D
    XCTAssertEqual(conv?.weight, tensors["0.weight"])
    let bn = network["1"] as? BatchNorm2D
    XCTAssertEqual(bn?.runningVariance, tensors["1.running_var"])
  }

  func testStoreLoadingWithAPrefixMarksKeysUsed() throws {
    var rng = SeededGenerator(seed: 3)
    let weight = Tensor.normal([4, 3], using: &rng)
    let file = try WeightFile(
      name: "head.npz", format: .numpyArchive,
      entries: [
        ("model.fc.weight", WeightArray(weight)),
        ("model.fc.bias", WeightArray(Tensor(zeros: [4]))),
        ("model.other", WeightArray(Tensor(zeros: [1]))),
      ])
    var store = WeightStore(file)
    var layer = Linear(inputFeatures: 3, outputFeatures: 4, using: &rng)

    try layer.load(from: &store, prefix: "model.fc")

    XCTAssertEqual(layer.weight, weight)
    XCTAssertEqual(store.unusedKeys, ["model.other"])
    var again = layer
    var second = WeightStore(file)
    try again.load(from: &second, prefix: "model.fc.")
    XCTAssertEqual(second.usedKeys, ["model.fc.weight", "model.fc.bias"], "a trailing dot is kept")
  }

  func testWrongShapeThrowsNamingFileKeyAndBothShapesAndLeavesTheLayerUnchanged() throws {
    let (file, _) = try checkpoint(replacing: ["3.weight": Tensor(zeros: [4, 13])])
    var network = model()
    let before = network.stateDictionary()

    XCTAssertThrowsError(try network.load(from: file)) { error in
      XCTAssertEqual(
        error as? WeightFileError,
        .shapeMismatch(
          file: "net.safetensors", key: "3.weight", expected: [4, 12], found: [4, 13]))
      let message = "\(error)"
      for part in ["net.safetensors", "3.weight", "[4, 12]", "[4, 13]"] {
        XCTAssertTrue(message.contains(part), "\(message) names \(part)")
      }
    }
    XCTAssertEqual(network.stateDictionary(), before, "a failed load changes nothing")
  }

  func testMissingKeyThrowsNamingTheKey() throws {
    let (file, _) = try checkpoint(dropping: ["1.running_mean"])
    var network = model()

    XCTAssertThrowsError(try network.load(from: file)) { error in
      XCTAssertEqual(
        error as? WeightFileError, .missingKey(file: "net.safetensors", key: "1.running_mean"))
    }
  }

  func testUnusedKeyThrowsButBatchNormBookkeepingIsIgnored() throws {
    let (file, _) = try checkpoint(extra: [("2.weight", Tensor(zeros: [3]))])
    var network = model()

    XCTAssertThrowsError(try network.load(from: file)) { error in
      XCTAssertEqual(
        error as? WeightFileError, .unusedKeys(file: "net.safetensors", keys: ["2.weight"]))
    }
    let (clean, _) = try checkpoint()
    XCTAssertNoThrow(try network.load(from: clean), "num_batches_tracked is ignored")
    XCTAssertThrowsError(try network.load(from: clean, ignoring: { _ in false })) { error in
      XCTAssertEqual(
        error as? WeightFileError,
        .unusedKeys(file: "net.safetensors", keys: ["1.num_batches_tracked"]))
    }
  }

  func testBiaslessLayerLeavesAStoredBiasUnused() throws {
    let file = try WeightFile(
      name: "conv.safetensors", format: .safetensors,
      entries: [
        ("weight", WeightArray(Tensor(zeros: [2, 1, 1, 1]))),
        ("bias", WeightArray(Tensor(zeros: [2]))),
      ])
    var conv = Conv2D(weight: Tensor(zeros: [2, 1, 1, 1]), bias: nil)

    XCTAssertThrowsError(try conv.load(from: file)) { error in
      XCTAssertEqual(
        error as? WeightFileError, .unusedKeys(file: "conv.safetensors", keys: ["bias"]))
    }
  }

  func testExportedTensorsAreInStateDictOrderAndRoundTripThroughSafetensors() throws {
    let original = model(seed: 5)
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent(
        "layer-loading-\(ProcessInfo.processInfo.processIdentifier).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }

    try original.save(to: url, prefix: "net")
    var restored = model(seed: 6)
    XCTAssertNotEqual(restored.stateDictionary(), original.stateDictionary())
    try restored.load(contentsOf: url, prefix: "net")

    XCTAssertEqual(
      original.namedTensors(prefix: "net").map(\.key),
      original.parameterShapes.map { "net." + $0.name })
    XCTAssertEqual(restored.stateDictionary(), original.stateDictionary())
    let x = layerTestNormal([1, 2, 4, 4], seed: 7)
    XCTAssertEqual(restored(x), original(x))
  }
}
