import Foundation
import Imaging
import XCTest

final class ImageFormatTests: XCTestCase {
  func testSignaturesIdentifyPNGAndJPEG() {
    XCTAssertEqual(
      ImageFormat(sniffing: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]), .png)
    XCTAssertEqual(ImageFormat(sniffing: [0xFF, 0xD8, 0xFF, 0xE0]), .jpeg)
    XCTAssertEqual(ImageFormat(sniffing: Data([0xFF, 0xD8, 0xFF, 0xDB])), .jpeg)
  }

  func testOtherBytesIdentifyNoFormat() {
    XCTAssertNil(ImageFormat(sniffing: [UInt8]()))
    XCTAssertNil(ImageFormat(sniffing: [0x89, 0x50, 0x4E, 0x47]))  // a prefix is not enough
    XCTAssertNil(ImageFormat(sniffing: [0xFF, 0xD8, 0x00]))
    XCTAssertNil(ImageFormat(sniffing: Array("GIF89a".utf8)))
  }

  func testKnownUnsupportedFormatsAreNamedInTheError() {
    let cases: [([UInt8], String)] = [
      (Array("GIF87a....".utf8), "GIF"),
      (Array("BM\u{0}\u{0}\u{0}\u{0}".utf8), "BMP"),
      ([0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0], "TIFF"),
      ([0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8], "TIFF"),
      (Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8), "WebP"),
      ([0x93] + Array("NUMPY".utf8) + [1, 0], "NumPy .npy (not an image file)"),
    ]
    for (bytes, name) in cases {
      assertThrows(
        .unsupportedFormat(file: "x", format: name), try ImageFile.decode(Data(bytes), named: "x"))
    }
  }

  func testAProperPrefixOfASignatureIsTruncatedData() {
    assertThrows(
      .truncated(file: "<data>", format: .png), try ImageFile.decode(Data([0x89, 0x50])))
    assertThrows(
      .truncated(file: "<data>", format: .jpeg), try ImageFile.decode(Data([0xFF, 0xD8])))
  }

  func testNamesForMessages() {
    XCTAssertEqual(ImageFormat.png.name, "PNG")
    XCTAssertEqual(ImageFormat.jpeg.name, "JPEG")
  }
}
