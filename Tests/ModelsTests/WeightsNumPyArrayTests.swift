import Foundation
import Models
import Tensor
import TestSupport
import XCTest

/// `.npy` bytes (version 1.0) with the given header dictionary text and data.
private func npy(_ dictionary: String, data: [UInt8] = [], major: UInt8 = 1) -> Data {
  let header = Array((dictionary + "\n").utf8)
  let length = major == 1 ? le(UInt16(header.count)) : le(UInt32(header.count))
  return Data([0x93] + Array("NUMPY".utf8) + [major, 0] + length + header + data)
}

final class WeightsNumPyArrayTests: XCTestCase {
  func testEveryFixtureWrittenByNumPyMatchesGoldenValues() throws {
    let golden = try weightGolden().filter { $0.key.hasPrefix("numpy/") }
    XCTAssertGreaterThanOrEqual(golden.count, 25)
    for (path, expected) in golden.sorted(by: { $0.key < $1.key }) {
      let file = try WeightFile(contentsOf: weightFixture(path))
      assertMatchesGolden(file, expected)
    }
  }

  func testFortranOrderIsTransposedToRowMajor() throws {
    // fortran_f4.npy holds a (2, 3, 4) array in column-major order; the golden values are the
    // row-major flattening NumPy reports, so the first row is a[0, 0, :].
    let golden = try XCTUnwrap(try weightGolden()["numpy/fortran_f4.npy"])
    let array = try NumPyArray.read(contentsOf: weightFixture("numpy/fortran_f4.npy"))
    XCTAssertEqual(array.shape, [2, 3, 4])
    XCTAssertEqual(array.tensor().scalars, golden.arrays["fortran_f4"]?.values.map { Float($0) })
    let raw = try Data(contentsOf: weightFixture("numpy/fortran_f4.npy"))
    XCTAssertTrue(
      String(decoding: raw.prefix(128), as: UTF8.self).contains("'fortran_order': True"))
  }

  func testEncoderReproducesNumPyBytesExactly() throws {
    for name in [
      "encoded_f4", "encoded_1d_f4", "encoded_scalar_f4", "encoded_i8", "encoded_long_axis_f4",
    ] {
      let numpyBytes = try Data(contentsOf: weightFixture("numpy/\(name).npy"))
      let array = try NumPyArray.read(numpyBytes, name: name)
      XCTAssertEqual(NumPyArray.encode(array), numpyBytes, name)
    }
  }

  func testWrittenTensorReadsBackAsFloat32() throws {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("weights-\(UUID().uuidString).npy")
    defer { try? FileManager.default.removeItem(at: url) }
    var generator = SeededGenerator(seed: 7)
    let tensor = Tensor(shape: [3, 4, 5], scalars: (0..<60).map { _ in generator.nextUnitFloat() })

    try NumPyArray.write(tensor.permuted([2, 0, 1]), to: url)
    let array = try NumPyArray.read(contentsOf: url)

    XCTAssertEqual(array.dtype, .float32)
    XCTAssertEqual(array.tensor(), tensor.permuted([2, 0, 1]).contiguous())
    let file = try WeightFile(contentsOf: url)
    XCTAssertEqual(file.keys, [url.deletingPathExtension().lastPathComponent])
  }

  func testHeaderKeysMayComeInAnyOrderWithEitherQuote() throws {
    let data = npy(
      #"{"shape": (2,), 'fortran_order': False, 'descr': "<i4"}  "#,
      data: le(Int32(-3)) + le(Int32(9)))
    let array = try NumPyArray.read(data, name: "q")
    XCTAssertEqual(array.int64Scalars(), [-3, 9])
  }

  func testPython2LongSuffixInShapeIsAccepted() throws {
    let data = npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2L, 1L), }", data: [4, 5])
    XCTAssertEqual(try NumPyArray.read(data, name: "l").shape, [2, 1])
  }

  func testHeaderDictionaryIsValidatedStrictly() {
    let bad = [
      "{'descr': '<f4', 'fortran_order': False}",  // no shape
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1, }",
      "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
      "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1), }",  // not a tuple
      "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': [1], }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } junk",
      "{'descr': '<f\\x34', 'fortran_order': False, 'shape': (1,), }",
      "['descr', '<f4']",
    ]
    for dictionary in bad {
      assertWeightError(try NumPyArray.read(npy(dictionary, data: [0, 0, 0, 0]), name: "h")) {
        if case .malformed("h", nil, _) = $0 { return true }
        return false
      }
    }
  }

  func testHeaderWithoutFinalNewlineIsMalformed() {
    var data = [UInt8](npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }"))
    data[data.count - 1] = UInt8(ascii: " ")
    assertWeightError(try NumPyArray.read(Data(data + [0, 0, 0, 0]), name: "nl")) {
      if case .malformed = $0 { return true }
      return false
    }
  }

  func testUnsupportedTypesAreRefusedByName() {
    for descriptor in ["<c8", "|O", "<U3", "|S4", "<M8[s]", "<f16", "|f4", "<q", "V8", "<i3"] {
      let dictionary = "{'descr': '\(descriptor)', 'fortran_order': False, 'shape': (), }"
      assertWeightError(try NumPyArray.read(npy(dictionary), name: "t")) {
        $0 == .unsupportedDType(file: "t", key: "array", dtype: descriptor)
      }
    }
    let structured = "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"
    assertWeightError(try NumPyArray.read(npy(structured), name: "s")) {
      if case .unsupported("s", nil, _) = $0 { return true }
      return false
    }
  }

  func testDataSizeMustMatchTheShapeExactly() {
    let dictionary = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"
    for count in [0, 8, 11, 13, 16] {
      let data = npy(dictionary, data: [UInt8](repeating: 0, count: count))
      assertWeightError(try NumPyArray.read(data, name: "d")) {
        $0
          == .sizeMismatch(
            file: "d", key: "array", shape: [3], dtype: "<f4", expectedBytes: 12, foundBytes: count)
      }
    }
  }

  func testHugeDeclaredShapeIsRejectedWithoutAllocating() {
    let dictionary =
      "{'descr': '<f8', 'fortran_order': True, 'shape': (999999999999999999, 999999999999), }"
    assertWeightError(try NumPyArray.read(npy(dictionary, data: [1, 2, 3]), name: "big")) {
      if case .sizeMismatch("big", "array", _, "<f8", Int.max, 3) = $0 { return true }
      return false
    }
  }

  func testUnsupportedVersionsAndBadMagicAreRejected() {
    var data = [UInt8](npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }"))
    data[6] = 4
    assertWeightError(try NumPyArray.read(Data(data), name: "v")) {
      $0 == .unsupported(file: "v", key: nil, feature: ".npy format version 4.0")
    }
    data[6] = 1
    data[1] = UInt8(ascii: "X")
    assertWeightError(try NumPyArray.read(Data(data), name: "m")) {
      if case .unrecognizedFormat("m", _) = $0 { return true }
      return false
    }
  }

  func testHeaderLengthAboveTheLimitIsRejected() {
    var limits = WeightFileLimits()
    limits.maxHeaderBytes = 16
    let data = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", major: 2)
    assertWeightError(try NumPyArray.read(data, name: "l", limits: limits)) {
      if case .limitExceeded("l", nil, ".npy header length", _, 16) = $0 { return true }
      return false
    }
  }
}
