import Foundation
import TestSupport
import XCTest

@testable import Models

/// A zip checkpoint `{"w": view}` whose view of a one-element float storage has `size` and
/// `stride` (stride 0 repeats the element, as `torch.zeros(1).expand(n)` saves).
private func expandedView(size: [Int], stride: [Int]) -> Data {
  var pickle = PickleWriter()
  pickle.proto()
  pickle.beginStateDict()
  pickle.string("w")
  pickle.tensor(storage: "0", count: 1, size: size, stride: stride)
  pickle.setItems()
  pickle.stop()
  return torchZip(pickle, storages: [("0", float32Bytes([7]))])
}

/// The limits of `WeightFileLimits` that are not tested with their reader: tensor bytes (before
/// a view is gathered) and the values walked in a checkpoint's dictionary.
final class WeightsFileLimitsTests: XCTestCase {
  func testDefaultsAreGenerousForRealCheckpoints() {
    let limits = WeightFileLimits.default
    XCTAssertEqual(limits.maxTensorBytes, 4 << 30)
    XCTAssertEqual(limits.maxStateDictionaryValues, 100_000)
    XCTAssertEqual(limits.maxEntryBytes, 16 << 30)
    XCTAssertEqual(limits.pickle, Unpickler.Limits())
  }

  func testExpandedViewOfOneElementCannotAskForTerabytes() {
    // 164 bytes of checkpoint declaring 2^40 floats (4 TiB) repeated from one element.
    let bomb = expandedView(size: [1 << 40], stride: [0])
    XCTAssertLessThan(bomb.count, 1024)
    assertWeightError(try WeightFile(data: bomb, name: "bomb.pth")) {
      $0
        == .limitExceeded(
          file: "bomb.pth", key: "w", limit: "tensor bytes", value: 4 << 40, maximum: 4 << 30)
    }
  }

  func testExpandedViewsWithinTheLimitAreGatheredAndTheLimitCanBeRaised() throws {
    let view = expandedView(size: [10, 100], stride: [0, 0])
    var limits = WeightFileLimits()
    limits.maxTensorBytes = 3999
    assertWeightError(try WeightFile(data: view, name: "v.pth", limits: limits)) {
      $0 == .limitExceeded(file: "v.pth", key: "w", limit: "tensor bytes", value: 4000, maximum: 3999)
    }
    limits.maxTensorBytes = 4000
    let file = try WeightFile(data: view, name: "v.pth", limits: limits)
    let tensor = try file.tensor("w")
    XCTAssertEqual(tensor.shape, [10, 100])
    XCTAssertEqual(tensor.scalars, [Float](repeating: 7, count: 1000))
  }

  func testTensorBytesLimitAppliesToSafetensorsAndNumPy() throws {
    var limits = WeightFileLimits()
    limits.maxTensorBytes = 1
    let safetensors = try Data(
      contentsOf: fixtureURL("Weights/safetensors/bfloat16.safetensors"))
    assertWeightError(try Safetensors.read(safetensors, name: "s", limits: limits)) {
      if case .limitExceeded("s", _, "tensor bytes", _, 1) = $0 { return true }
      return false
    }
    let npy = try Data(contentsOf: fixtureURL("Weights/numpy/f4.npy"))
    assertWeightError(try NumPyArray.read(npy, name: "n.npy", limits: limits)) {
      if case .limitExceeded("n.npy", "array", "tensor bytes", _, 1) = $0 { return true }
      return false
    }
    XCTAssertNoThrow(try Safetensors.read(safetensors, name: "s"))
    XCTAssertNoThrow(try NumPyArray.read(npy, name: "n.npy"))
  }

  func testStateDictionaryValueLimitCountsEveryVisitedValue() throws {
    // {"a": 1, "b": [2, 3]}: the root, a, b, and b's two items = 5 values.
    var pickle = PickleWriter()
    pickle.proto()
    pickle.emptyDict()
    pickle.mark()
    pickle.string("a")
    pickle.int(1)
    pickle.string("b")
    pickle.emptyList()
    pickle.mark()
    pickle.int(2)
    pickle.int(3)
    pickle.appends()
    pickle.setItems()
    pickle.stop()
    let data = torchZip(pickle, storages: [])
    var limits = WeightFileLimits()
    limits.maxStateDictionaryValues = 4
    assertWeightError(try WeightFile(data: data, name: "d.pth", limits: limits)) {
      if case .limitExceeded("d.pth", _, "state dictionary values", 5, 4) = $0 { return true }
      return false
    }
    limits.maxStateDictionaryValues = 5
    let file = try WeightFile(data: data, name: "d.pth", limits: limits)
    XCTAssertEqual(file.metadata, ["a": "1", "b.0": "2", "b.1": "3"])
  }
}
