import Imaging
import XCTest

final class ImageEncodingTests: XCTestCase {
  func testFileExtensionsMapToDefaultEncodingsCaseInsensitively() {
    XCTAssertEqual(ImageEncoding(fileExtension: "png"), .png(bitDepth: .eight))
    XCTAssertEqual(ImageEncoding(fileExtension: "PNG"), .png())
    XCTAssertEqual(
      ImageEncoding(fileExtension: "jpg"), .jpeg(quality: 90, chromaSubsampling: .s420))
    XCTAssertEqual(ImageEncoding(fileExtension: "Jpeg"), .jpeg())
    XCTAssertNil(ImageEncoding(fileExtension: "gif"))
    XCTAssertNil(ImageEncoding(fileExtension: ""))
  }

  func testFormatOfEachEncoding() {
    XCTAssertEqual(ImageEncoding.png(bitDepth: .sixteen).format, .png)
    XCTAssertEqual(ImageEncoding.jpeg(quality: 50).format, .jpeg)
  }
}
