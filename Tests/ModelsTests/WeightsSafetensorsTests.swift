import Foundation
import Models
import Tensor
import TestSupport
import XCTest

/// safetensors bytes with the given header text (no padding) and data.
private func safetensors(_ header: String, data: [UInt8] = [], declaredLength: UInt64? = nil)
  -> Data
{
  let headerBytes = Array(header.utf8)
  return Data(le(declaredLength ?? UInt64(headerBytes.count)) + headerBytes + data)
}

final class WeightsSafetensorsTests: XCTestCase {
  func testMixedFileWrittenBySafetensorsMatchesGoldenValues() throws {
    let golden = try XCTUnwrap(try weightGolden()["safetensors/mixed.safetensors"])
    let file = try Safetensors.read(contentsOf: weightFixture("safetensors/mixed.safetensors"))
    assertMatchesGolden(file, golden)
    XCTAssertEqual(file.metadata, ["format": "np"])
    XCTAssertEqual(file["empty"]?.shape, [0, 3])
  }

  func testBFloat16FileMatchesGoldenValues() throws {
    let golden = try XCTUnwrap(try weightGolden()["safetensors/bfloat16.safetensors"])
    let file = try WeightFile(contentsOf: weightFixture("safetensors/bfloat16.safetensors"))
    assertMatchesGolden(file, golden)
  }

  func testEncodedFileReadsBackIdenticalArraysAndMetadata() throws {
    let source = try Safetensors.read(contentsOf: weightFixture("safetensors/mixed.safetensors"))
    let arrays = try source.keys.map { ($0, try source.array($0)) }
    let metadata = ["a": "1", "quote\"and\\slash": "line\nbreak", "ünï": "cødé"]

    let encoded = Safetensors.encode(arrays, metadata: metadata)
    let decoded = try Safetensors.read(encoded, name: "round-trip")

    XCTAssertEqual(decoded.keys, source.keys)
    XCTAssertEqual(decoded.metadata, metadata)
    for key in source.keys { XCTAssertEqual(decoded[key], source[key], key) }
    let headerLength = encoded.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    XCTAssertEqual((8 + Int(UInt64(littleEndian: headerLength))) % 8, 0, "data is 8-byte aligned")
  }

  func testWrittenTensorsAreFloat32AndReadBack() throws {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("weights-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    let weight = Tensor(shape: [2, 3], scalars: [1, -2, 3.5, 0, 1e-8, -7])
    // A non-contiguous view is written in row-major order.
    let transposed = weight.transposed()

    try Safetensors.write([("w", weight), ("t", transposed)], metadata: ["k": "v"], to: url)
    let file = try WeightFile(contentsOf: url)

    XCTAssertEqual(file.format, .safetensors)
    XCTAssertEqual(file["w"]?.dtype, .float32)
    XCTAssertEqual(try file.tensor("w"), weight)
    XCTAssertEqual(try file.tensor("t"), transposed.contiguous())
    XCTAssertEqual(file.metadata, ["k": "v"])
  }

  func testWritingToAMissingFolderIsUnwritable() {
    let url = URL(fileURLWithPath: "/nonexistent-folder-\(UUID().uuidString)/w.safetensors")
    assertWeightError(try Safetensors.write([("w", Tensor(zeros: [1]))], to: url)) {
      if case .unwritable(url.path, _) = $0 { return true }
      return false
    }
  }

  func testHeaderLengthOfTwoToTheSixtyIsRejectedBeforeAllocating() {
    let data = safetensors("{}", declaredLength: 1 << 60)
    assertWeightError(
      try Safetensors.read(data, name: "huge.safetensors"), names: "huge.safetensors"
    ) {
      $0
        == .limitExceeded(
          file: "huge.safetensors", key: nil, limit: "safetensors header length", value: 1 << 60,
          maximum: 100 << 20)
    }
  }

  func testHeaderLengthBeyondTheFileIsTruncated() {
    let data = safetensors("{}", declaredLength: 1000)
    assertWeightError(try Safetensors.read(data, name: "t")) {
      if case .truncated("t", nil, "safetensors header", 8, 1000, 10) = $0 { return true }
      return false
    }
  }

  func testInvalidJSONIsMalformed() {
    for header in [
      "{", "{\"a\":}", "[]", "{\"a\": {\"dtype\": \"F32\",}}", "{} x", "{\"a\" 1}",
      "{\"\\ud800\": 1}", "nul", "{\"a\": 01}",
    ] {
      assertWeightError(try Safetensors.read(safetensors(header), name: "j")) {
        if case .malformed("j", _, _) = $0 { return true }
        return false
      }
    }
  }

  func testOffsetsOutsideTheDataAreRejected() {
    let header = #"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#
    let data = safetensors(header, data: float32Bytes([1, 2]))
    assertWeightError(try Safetensors.read(data, name: "o")) {
      $0 == .dataOutOfRange(file: "o", key: "w", start: 4, end: 12, available: 8)
    }
  }

  func testOverlappingTensorsAreRejected() {
    let header = #"""
      {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
       "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}
      """#
    let data = safetensors(header, data: float32Bytes([1, 2]))
    assertWeightError(try Safetensors.read(data, name: "ov")) {
      $0 == .overlappingData(file: "ov", key: "b", otherKey: "a")
    }
  }

  func testByteRangeNotMatchingShapeTimesDTypeIsSizeMismatch() {
    let header = #"{"w": {"dtype": "F16", "shape": [3], "data_offsets": [0, 8]}}"#
    let data = safetensors(header, data: float32Bytes([1, 2]))
    assertWeightError(try Safetensors.read(data, name: "s")) {
      $0
        == .sizeMismatch(
          file: "s", key: "w", shape: [3], dtype: "F16", expectedBytes: 6, foundBytes: 8)
    }
  }

  func testShapeWhoseByteCountOverflowsIsSizeMismatch() {
    let header =
      #"{"w": {"dtype": "F64", "shape": [4611686018427387904, 4], "data_offsets": [0, 8]}}"#
    let data = safetensors(header, data: float32Bytes([1, 2]))
    assertWeightError(try Safetensors.read(data, name: "x")) {
      if case .sizeMismatch("x", "w", _, "F64", Int.max, 8) = $0 { return true }
      return false
    }
  }

  func testUnknownDTypeNamesTheKey() {
    let header = #"{"w": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}}"#
    assertWeightError(try Safetensors.read(safetensors(header, data: [0]), name: "d")) {
      $0 == .unsupportedDType(file: "d", key: "w", dtype: "F8_E4M3")
    }
  }

  func testDuplicateKeysAreRejected() {
    let header = #"""
      {"w": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},
       "w": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}}
      """#
    assertWeightError(try Safetensors.read(safetensors(header, data: [0, 1]), name: "dup")) {
      $0 == .duplicateKey(file: "dup", key: "w")
    }
  }

  func testEntriesWithMissingExtraOrMistypedFieldsAreMalformed() {
    let entries = [
      #"{"dtype": "U8", "shape": [1]}"#,
      #"{"dtype": "U8", "shape": [1], "data_offsets": [0, 1], "extra": 1}"#,
      #"{"dtype": "U8", "shape": [-1], "data_offsets": [0, 1]}"#,
      #"{"dtype": "U8", "shape": [1.5], "data_offsets": [0, 1]}"#,
      #"{"dtype": "U8", "shape": [1], "data_offsets": [1, 0]}"#,
      #"{"dtype": "U8", "shape": [1], "data_offsets": [0, 1, 2]}"#,
      #"{"dtype": 8, "shape": [1], "data_offsets": [0, 1]}"#,
      #"[1]"#,
    ]
    for entry in entries {
      assertWeightError(
        try Safetensors.read(safetensors("{\"w\": \(entry)}", data: [0]), name: "f")
      ) {
        if case .malformed("f", "w", _) = $0 { return true }
        return false
      }
    }
  }

  func testMetadataThatIsNotStringsIsMalformed() {
    let header = #"{"__metadata__": {"epoch": 3}}"#
    assertWeightError(try Safetensors.read(safetensors(header), name: "m")) {
      if case .malformed("m", "__metadata__", _) = $0 { return true }
      return false
    }
  }

  func testDeeplyNestedHeaderHitsTheNestingLimit() {
    let header = "{\"__metadata__\": " + String(repeating: "[", count: 100_000)
    assertWeightError(try Safetensors.read(safetensors(header), name: "deep")) {
      if case .malformed("deep", nil, let reason) = $0 { return reason.contains("nesting") }
      return false
    }
  }

  func testTensorCountAboveTheLimitIsRejected() {
    var limits = WeightFileLimits()
    limits.maxTensorCount = 2
    let header =
      "{"
      + (0..<4).map { #""t\#($0)": {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]}"# }
      .joined(separator: ",") + "}"
    assertWeightError(try Safetensors.read(safetensors(header), name: "n", limits: limits)) {
      if case .limitExceeded("n", nil, "tensor count", 4, 2) = $0 { return true }
      return false
    }
  }

  func testEmptyTensorsMayShareAnOffset() throws {
    let header = #"""
      {"a": {"dtype": "F32", "shape": [0], "data_offsets": [4, 4]},
       "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
      """#
    let file = try Safetensors.read(safetensors(header, data: float32Bytes([1, 2])), name: "e")
    XCTAssertEqual(file.keys, ["b", "a"], "data-offset order")
    XCTAssertEqual(file["a"]?.shape, [0])
  }
}
