import Foundation
import Models
import Tensor
import TestSupport
import XCTest

/// A tensor in a golden JSON file of `Tests/Fixtures/Training/`: `{"shape": [...], "data": [...]}`.
struct TrainingFixtureTensor: Decodable {
  let shape: [Int]
  let data: [Double]

  var tensor: Tensor { Tensor(shape: shape, scalars: data.map { Float($0) }) }
}

/// Decodes `Tests/Fixtures/Training/<name>`.
func trainingFixture<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
  try JSONDecoder().decode(T.self, from: Data(contentsOf: fixtureURL("Training/\(name)")))
}

/// The folder of the Fashion-MNIST files under `Assets/`.
func fashionMNISTDirectory(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
  try assetURL("datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", file: file, line: line)
    .deletingLastPathComponent()
}

/// The bytes of an IDX file: `00 00 type rank`, big-endian extents, then `payload`.
func idxBytes(type: UInt8, dimensions: [Int], payload: [UInt8]) -> Data {
  var bytes: [UInt8] = [0, 0, type, UInt8(dimensions.count)]
  for extent in dimensions {
    bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: extent >> $0) }
  }
  return Data(bytes + payload)
}

/// The CRC-32 of `bytes` (ISO-HDLC, reflected polynomial 0xEDB88320), computed bit by bit.
func testCRC32(_ bytes: [UInt8]) -> UInt32 {
  var crc: UInt32 = 0xFFFF_FFFF
  for byte in bytes {
    crc ^= UInt32(byte)
    for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
  }
  return ~crc
}

/// A gzip file whose deflate body is made of *stored* blocks (RFC 1951 §3.2.4: a header byte,
/// `LEN`, `NLEN`, then the bytes as they are), so tests can build valid gzip files of any
/// content, with any optional header field, without a compressor.
func storedGzip(
  _ payload: [UInt8], name: String? = nil, comment: String? = nil, extra: [UInt8]? = nil,
  headerCRC: Bool = false, blockSize: Int = 65535
) -> Data {
  var flags: UInt8 = 0
  if headerCRC { flags |= 0x02 }
  if extra != nil { flags |= 0x04 }
  if name != nil { flags |= 0x08 }
  if comment != nil { flags |= 0x10 }
  var bytes: [UInt8] = [0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 255]
  if let extra {
    bytes += [UInt8(extra.count & 0xff), UInt8(extra.count >> 8)] + extra
  }
  if let name { bytes += Array(name.utf8) + [0] }
  if let comment { bytes += Array(comment.utf8) + [0] }
  if headerCRC {
    let crc = testCRC32(bytes)
    bytes += [UInt8(crc & 0xff), UInt8((crc >> 8) & 0xff)]
  }
  var start = 0
  repeat {
    let end = min(start + blockSize, payload.count)
    let length = end - start
    bytes.append(end == payload.count ? 1 : 0)  // BFINAL, BTYPE = 00 (stored)
    bytes += [UInt8(length & 0xff), UInt8(length >> 8)]
    bytes += [UInt8(~length & 0xff), UInt8((~length >> 8) & 0xff)]
    bytes += payload[start..<end]
    start = end
  } while start < payload.count
  let crc = testCRC32(payload)
  for value in [crc, UInt32(truncatingIfNeeded: payload.count)] {
    bytes += [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: value >> UInt32($0)) }
  }
  return Data(bytes)
}
