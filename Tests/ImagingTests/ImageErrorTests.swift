import Imaging
import XCTest

final class ImageErrorTests: XCTestCase {
  func testEveryDescriptionNamesTheFileAndWhatIsWrong() {
    let cases: [(ImageError, [String])] = [
      (.fileNotFound(path: "/a/b.png"), ["/a/b.png", "no such file"]),
      (.notARegularFile(path: "/a"), ["/a", "not a regular file"]),
      (
        .unreadableFile(path: "/a.png", reason: "Permission denied"),
        ["/a.png", "Permission denied"]
      ),
      (.emptyFile(file: "e.png"), ["e.png", "empty"]),
      (.fileTooLarge(file: "big.png", byteCount: 2000, limit: 1000), ["big.png", "2000", "1000"]),
      (.unrecognizedFormat(file: "x.bin"), ["x.bin", "not a PNG or JPEG"]),
      (.unsupportedFormat(file: "y.gif", format: "GIF"), ["y.gif", "GIF"]),
      (.truncated(file: "t.jpg", format: .jpeg), ["t.jpg", "JPEG", "truncated"]),
      (
        .corruptData(file: "c.png", format: .png, reason: "IDAT: CRC error"),
        ["c.png", "CRC error"]
      ),
      (.emptyImage(file: "z.png", width: 0, height: 4), ["z.png", "0×4"]),
      (
        .tooManyPixels(file: "h.png", width: 20000, height: 10000, limit: 100_000_000),
        ["h.png", "20000×10000", "200000000", "100000000", "maximumPixelCount"]
      ),
      (
        .notANumber(file: "o.png", channel: 1, y: 2, x: 3), ["o.png", "NaN", "channel 1, y 2, x 3"]
      ),
      (.encodingFailed(file: "w.jpg", format: .jpeg, reason: "too wide"), ["w.jpg", "too wide"]),
      (.unwritableFile(path: "/ro/o.png", reason: "Read-only"), ["/ro/o.png", "Read-only"]),
    ]
    for (error, fragments) in cases {
      for fragment in fragments {
        XCTAssertTrue(
          error.description.contains(fragment), "\"\(error.description)\" lacks \"\(fragment)\"")
      }
    }
  }
}
