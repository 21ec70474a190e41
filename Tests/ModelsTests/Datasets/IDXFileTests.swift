import Foundation
import Models
import TestSupport
import XCTest

final class IDXFileTests: XCTestCase {
  func testUncompressedFileOfEveryElementTypeDecodesBigEndianValues() throws {
    // Two elements per type: the bytes of (1, −2) or (1.5, −2.25), big-endian.
    let cases: [(IDXFile.DataType, [UInt8], [Float])] = [
      (.unsignedByte, [1, 254], [1, 254]),
      (.signedByte, [1, 254], [1, -2]),
      (.int16, [0, 1, 0xff, 0xfe], [1, -2]),
      (.int32, [0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe], [1, -2]),
      (.float32, [0x3f, 0xc0, 0, 0, 0xc0, 0x10, 0, 0], [1.5, -2.25]),
      (.float64, [0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xc0, 0x02, 0, 0, 0, 0, 0, 0], [1.5, -2.25]),
    ]
    for (type, payload, expected) in cases {
      let data = idxBytes(type: type.rawValue, dimensions: [2, 1], payload: payload)

      let file = try IDXFile(data: data, file: "values.idx")

      XCTAssertEqual(file.dataType, type)
      XCTAssertEqual(file.dimensions, [2, 1])
      XCTAssertEqual(file.count, 2)
      XCTAssertEqual(file.floats(), expected, "\(type)")
    }
  }

  func testUnsignedBytesAreReturnedAsStoredAndOtherTypesAreRefused() throws {
    let bytes = try IDXFile(
      data: idxBytes(type: 0x08, dimensions: [3], payload: [0, 128, 255]), file: "u8.idx")
    XCTAssertEqual(try bytes.unsignedBytes(), [0, 128, 255])

    let shorts = try IDXFile(
      data: idxBytes(type: 0x0B, dimensions: [1], payload: [0, 1]), file: "i16.idx")
    XCTAssertThrowsError(try shorts.unsignedBytes()) { error in
      XCTAssertEqual(
        error as? IDXFileError,
        .wrongDataType(file: "i16.idx", expected: .unsignedByte, found: .int16))
    }
  }

  func testGzipCompressedFileGivesTheSameContentAsTheRawFile() throws {
    let raw = idxBytes(type: 0x08, dimensions: [2, 3], payload: [1, 2, 3, 4, 5, 6])

    let file = try IDXFile(data: storedGzip(Array(raw)), file: "small.idx.gz")

    XCTAssertEqual(file.dimensions, [2, 3])
    XCTAssertEqual(try file.unsignedBytes(), [1, 2, 3, 4, 5, 6])
  }

  func testScalarFileWithNoDimensionsHoldsOneElement() throws {
    let file = try IDXFile(data: idxBytes(type: 0x08, dimensions: [], payload: [7]), file: "s")
    XCTAssertEqual(file.dimensions, [])
    XCTAssertEqual(try file.unsignedBytes(), [7])
  }

  func testBadMagicUnknownTypeAndShortHeaderAreTypedErrorsNamingTheFile() {
    func error(_ bytes: [UInt8]) -> IDXFileError? {
      do {
        _ = try IDXFile(data: Data(bytes), file: "bad.idx")
        return nil
      } catch {
        return error as? IDXFileError
      }
    }
    XCTAssertEqual(
      error([1, 0, 8, 1, 0, 0, 0, 0]), .badMagic(file: "bad.idx", found: [1, 0, 8, 1]))
    XCTAssertEqual(error([0, 0, 7, 1, 0, 0, 0, 0]), .unsupportedDataType(file: "bad.idx", code: 7))
    XCTAssertEqual(error([0, 0]), .truncatedHeader(file: "bad.idx", needed: 4, available: 2))
    XCTAssertEqual(
      error([0, 0, 8, 3, 0, 0, 0, 1]), .truncatedHeader(file: "bad.idx", needed: 16, available: 8))
    XCTAssertNil(error([0, 0, 8, 1, 0, 0, 0, 0]), "an empty vector is a valid file")
  }

  func testPayloadShorterOrLongerThanTheExtentsIsASizeMismatch() {
    for payload in [[UInt8](repeating: 1, count: 5), [UInt8](repeating: 1, count: 7)] {
      XCTAssertThrowsError(
        try IDXFile(data: idxBytes(type: 0x0C, dimensions: [3], payload: payload), file: "f")
      ) { error in
        XCTAssertEqual(
          error as? IDXFileError,
          .sizeMismatch(
            file: "f", dimensions: [3], dataType: .int32, expectedBytes: 12,
            foundBytes: payload.count))
      }
    }
  }

  func testExtentsWhoseProductOverflowsAreRejectedBeforeAllocating() {
    let data = idxBytes(
      type: 0x0E, dimensions: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], payload: [1, 2, 3])

    XCTAssertThrowsError(try IDXFile(data: data, file: "huge.idx")) { error in
      guard case .sizeMismatch(_, _, _, let expected, let found) = error as? IDXFileError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(expected, Int.max)
      XCTAssertEqual(found, 3)
    }
  }

  func testMissingFileIsUnreadableNamingThePath() {
    let url = URL(fileURLWithPath: "/nonexistent/labels.idx")
    XCTAssertThrowsError(try IDXFile(contentsOf: url)) { error in
      guard case .unreadable(let file, _) = error as? IDXFileError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(file, "/nonexistent/labels.idx")
      XCTAssertTrue("\(error)".contains("/nonexistent/labels.idx"))
    }
  }

  func testFileLargerThanTheLimitIsRefused() {
    let raw = idxBytes(type: 0x08, dimensions: [100], payload: [UInt8](repeating: 0, count: 100))
    XCTAssertThrowsError(try IDXFile(data: raw, file: "r", limit: 50)) { error in
      XCTAssertEqual(error as? IDXFileError, .tooLarge(file: "r", bytes: 108, limit: 50))
    }
    XCTAssertThrowsError(try IDXFile(data: storedGzip(Array(raw)), file: "g", limit: 50)) {
      error in
      XCTAssertEqual(error as? IDXFileError, .tooLarge(file: "g", bytes: 108, limit: 50))
    }
  }

  func testRealFashionMNISTTestLabelsAreTenThousandBytesBelowTen() throws {
    let url = try fashionMNISTDirectory().appendingPathComponent("t10k-labels-idx1-ubyte.gz")

    let file = try IDXFile(contentsOf: url)

    XCTAssertEqual(file.dataType, .unsignedByte)
    XCTAssertEqual(file.dimensions, [10000])
    let labels = try file.unsignedBytes()
    // numpy: np.frombuffer(gzip.open(path).read(), np.uint8, offset=8)[:10]
    XCTAssertEqual(Array(labels.prefix(10)), [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
    XCTAssertTrue(labels.allSatisfy { $0 < 10 })
  }
}
