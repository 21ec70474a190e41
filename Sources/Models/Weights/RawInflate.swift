import CZlib
import Foundation

/// Decompression of raw deflate streams (RFC 1951, no zlib or gzip wrapper), as stored in zip
/// entries with method 8, through zlib's `inflate` with `windowBits = -15`.
enum RawInflate {
  /// Why a stream could not be inflated to exactly the declared size.
  struct Failure: Error {
    let reason: String
  }

  /// The `expectedCount` bytes that `compressed` inflates to.
  ///
  /// The output buffer is allocated once at `expectedCount`; the caller has already bounded that
  /// size by the archive's limits.
  /// - Throws: `Failure` if the stream is corrupt, ends early, or would produce more or fewer
  ///   than `expectedCount` bytes.
  /// - Complexity: O(`compressed.count + expectedCount`).
  static func inflate(_ compressed: Data, expectedCount: Int) throws -> Data {
    var stream = z_stream()
    let status = inflateInit2_(
      &stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    guard status == Z_OK else { throw Failure(reason: "zlib could not start (status \(status))") }
    defer { inflateEnd(&stream) }

    var output = Data(count: expectedCount)
    var spare: UInt8 = 0  // room for one byte beyond the end, to detect overlong streams
    let chunk = Int(UInt32.max / 2)
    let outcome: String? = compressed.withUnsafeBytes { input in
      output.withUnsafeMutableBytes { out in
        withUnsafeMutablePointer(to: &spare) { sparePointer in
          var inputOffset = 0
          var outputOffset = 0
          while true {
            let inCount = min(chunk, input.count - inputOffset)
            stream.next_in = input.baseAddress.map {
              UnsafeMutablePointer(mutating: ($0 + inputOffset).assumingMemoryBound(to: Bytef.self))
            }
            stream.avail_in = uInt(inCount)
            let outCount = min(chunk, out.count - outputOffset)
            let writingSpare = outCount == 0
            if writingSpare {
              stream.next_out = sparePointer
              stream.avail_out = 1
            } else if let base = out.baseAddress {
              stream.next_out = (base + outputOffset).assumingMemoryBound(to: Bytef.self)
              stream.avail_out = uInt(outCount)
            }
            let code = CZlib.inflate(&stream, Z_NO_FLUSH)
            let consumed = inCount - Int(stream.avail_in)
            let produced = (writingSpare ? 1 : outCount) - Int(stream.avail_out)
            inputOffset += consumed
            if writingSpare && produced > 0 {
              return "the deflate stream is longer than the declared \(expectedCount) bytes"
            }
            outputOffset += produced
            switch code {
            case Z_STREAM_END:
              return outputOffset == expectedCount
                ? nil
                : "the deflate stream gives \(outputOffset) bytes, \(expectedCount) declared"
            case Z_OK:
              continue
            case Z_BUF_ERROR where consumed == 0 && produced == 0:
              return "the deflate stream is truncated"
            case Z_DATA_ERROR:
              let message = stream.msg.map { String(cString: $0) } ?? "no message"
              return "corrupt deflate stream (\(message))"
            default:
              return "zlib inflate failed (status \(code))"
            }
          }
        }
      }
    }
    if let outcome { throw Failure(reason: outcome) }
    return output
  }

  /// The CRC-32 (ISO-HDLC, as in zip) of `data`.
  /// - Complexity: O(`data.count`).
  static func crc32(_ data: Data) -> UInt32 {
    data.withUnsafeBytes { raw in
      var crc = CZlib.crc32(0, nil, 0)
      var offset = 0
      while offset < raw.count, let base = raw.baseAddress {
        let n = min(raw.count - offset, 1 << 30)
        crc = CZlib.crc32(crc, (base + offset).assumingMemoryBound(to: Bytef.self), uInt(n))
        offset += n
      }
      return UInt32(truncatingIfNeeded: crc)
    }
  }
}
