/// A walk over the marker structure of a JPEG stream, used to tell a truncated file (the data
/// stops before the end-of-image marker) from a damaged one when libjpeg-turbo complains.
///
/// A JPEG stream is `FF D8` (SOI) followed by segments: a marker `FF xx` (any number of `FF` fill
/// bytes may precede `xx`), then for most markers a 2-byte big-endian length that counts itself
/// and the segment data. `D0`–`D7` (RSTn) and `01` (TEM) have no length. A start-of-scan segment
/// (`DA`) is followed by entropy-coded data, in which `FF 00` is an escaped `FF` byte and `FF D0`…
/// `FF D7` are restart markers; any other `FF xx` ends it. `FF D9` (EOI) ends the image.
/// Progressive files have many scans; all are walked.
enum JPEGMarkers {
  /// What the walk found.
  enum Ending: Equatable {
    /// An `EOI` marker after well-formed segments (bytes after it are ignored).
    case complete
    /// The data ran out before `EOI`.
    case truncated
    /// Something that is not a JPEG segment structure (the decoder's message says more).
    case malformed
  }

  /// Walks the segments of `bytes`.
  ///
  /// - Complexity: O(`bytes.count`); entropy-coded data is scanned with `firstIndex(of: 0xFF)`.
  static func ending(of bytes: UnsafeRawBufferPointer) -> Ending {
    let count = bytes.count
    guard count >= 2, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return .malformed }
    var i = 2
    while true {
      // A marker: one or more FF, then the code.
      guard i < count else { return .truncated }
      guard bytes[i] == 0xFF else { return .malformed }
      while i < count && bytes[i] == 0xFF { i += 1 }
      guard i < count else { return .truncated }
      let code = bytes[i]
      i += 1
      switch code {
      case 0xD9:
        return .complete
      case 0xD0...0xD7, 0x01:
        continue
      case 0x00, 0xD8:
        return .malformed
      default:
        guard count - i >= 2 else { return .truncated }
        let length = Int(bytes[i]) << 8 | Int(bytes[i + 1])
        guard length >= 2 else { return .malformed }
        guard count - i >= length else { return .truncated }
        i += length
        if code == 0xDA {
          // Skip the entropy-coded data up to the next marker that is not RSTn or a stuffed FF.
          scan: while true {
            guard let next = bytes[i...].firstIndex(of: 0xFF) else { return .truncated }
            guard next + 1 < count else { return .truncated }
            let following = bytes[next + 1]
            if following == 0x00 || (0xD0...0xD7).contains(following) {
              i = next + 2
            } else {
              i = next
              break scan
            }
          }
        }
      }
    }
  }
}
