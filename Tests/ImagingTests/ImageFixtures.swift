import Foundation
import Imaging
import Tensor
import TestSupport
import XCTest

/// The golden images written by `Tools/make_image_fixtures.py` into `Tests/Fixtures/Images/`.
struct ImageFixture: Decodable {
  var image: String
  var format: String
  var width: Int
  var height: Int
  var bitDepth: Int
  var hasAlpha: Bool
  var expected: String
  var expectedRGBA: String?
  var tolerance: Float
  var description: String
  var colorType: Int?
  var pillowMode: String?

  var url: URL { fixtureURL("Images/\(image)") }

  /// The expected default decode, `[3, H, W]`.
  func expectedTensor() throws -> Tensor {
    try ImageFixture.readFloat32(expected, shape: [3, height, width])
  }

  /// The expected straight RGBA, `[4, H, W]` (alpha 1 for images without alpha).
  func expectedRGBATensor() throws -> Tensor {
    guard let expectedRGBA else {
      let rgb = try expectedTensor()
      return Tensor.concatenate([rgb, Tensor(shape: [1, height, width], repeating: 1)], axis: 0)
    }
    return try ImageFixture.readFloat32(expectedRGBA, shape: [4, height, width])
  }

  /// A raw little-endian float32 file under `Tests/Fixtures/Images/`.
  static func readFloat32(_ name: String, shape: [Int]) throws -> Tensor {
    let data = try Data(contentsOf: fixtureURL("Images/\(name)"))
    let count = shape.reduce(1, *)
    XCTAssertEqual(data.count, 4 * count, "\(name) holds \(data.count) bytes, not \(4 * count)")
    let scalars = (0..<count).map { i -> Float in
      let bits = (0..<4).reduce(UInt32(0)) {
        $0 | UInt32(data[data.startIndex + 4 * i + $1]) << (8 * $1)
      }
      return Float(bitPattern: bits)
    }
    return Tensor(shape: shape, scalars: scalars)
  }

  /// Every fixture in `manifest.json`.
  static func all() throws -> [ImageFixture] {
    struct Manifest: Decodable { var images: [ImageFixture] }
    let data = try Data(contentsOf: fixtureURL("Images/manifest.json"))
    return try JSONDecoder().decode(Manifest.self, from: data).images
  }

  /// The fixture named `image`.
  static func named(_ image: String) throws -> ImageFixture {
    guard let fixture = try all().first(where: { $0.image == image }) else {
      throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: image])
    }
    return fixture
  }
}

/// The largest `|a − b|` over all elements (shapes must match).
func maximumDifference(_ a: Tensor, _ b: Tensor) -> Float {
  precondition(a.shape == b.shape, "Cannot compare \(a.shape) with \(b.shape).")
  return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
}

/// Asserts that `body` throws exactly `expected`.
func assertThrows<T>(
  _ expected: ImageError, _ body: @autoclosure () throws -> T,
  file: StaticString = #filePath, line: UInt = #line
) {
  do {
    _ = try body()
    XCTFail("Expected \(expected), but nothing was thrown", file: file, line: line)
  } catch let error as ImageError {
    XCTAssertEqual(error, expected, file: file, line: line)
  } catch {
    XCTFail("Expected \(expected), got \(error)", file: file, line: line)
  }
}

/// Asserts that `body` throws an `ImageError` accepted by `matches`, and returns it.
@discardableResult
func assertThrowsImageError<T>(
  _ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line,
  matching matches: (ImageError) -> Bool
) -> ImageError? {
  do {
    _ = try body()
    XCTFail("Expected an ImageError, but nothing was thrown", file: file, line: line)
  } catch let error as ImageError {
    XCTAssertTrue(matches(error), "Unexpected error: \(error)", file: file, line: line)
    return error
  } catch {
    XCTFail("Expected an ImageError, got \(error)", file: file, line: line)
  }
  return nil
}

/// A fresh temporary folder, removed when the test ends.
func makeTemporaryDirectory(for test: XCTestCase) throws -> URL {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("ImagingTests-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
  return url
}

/// CRC-32 (ISO 3309, as in PNG and zlib), to craft test files whose chunks have valid CRCs.
func crc32<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
  var crc: UInt32 = 0xFFFF_FFFF
  for byte in bytes {
    crc ^= UInt32(byte)
    for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
  }
  return ~crc
}

/// A PNG chunk: length, type, data, CRC.
func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
  let body = Array(type.utf8) + data
  return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
}

func bigEndian(_ value: UInt32) -> [UInt8] {
  [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) }
}

/// The byte offsets of each chunk of a PNG stream, by type, in order.
func pngChunkOffsets(_ bytes: [UInt8]) -> [(type: String, offset: Int, length: Int)] {
  var result: [(String, Int, Int)] = []
  var offset = 8
  while offset + 8 <= bytes.count {
    let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
    let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
    result.append((type, offset, length))
    offset += 12 + length
  }
  return result
}
