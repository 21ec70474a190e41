import Imaging
import XCTest

final class ImageDecodingOptionsTests: XCTestCase {
  func testDefaultsCompositeOverWhiteWithAHundredMegapixelLimitAndStrictJPEG() {
    let options = ImageDecodingOptions.default
    XCTAssertEqual(options.alpha, .composite(over: RGBColor(red: 1, green: 1, blue: 1)))
    XCTAssertEqual(options.maximumPixelCount, 100_000_000)
    XCTAssertEqual(options.maximumByteCount, 1 << 30)
    XCTAssertEqual(options.jpegWarnings, .fail)
  }

  func testDefaultAlphaPolicyFlattensTransparentPixelsToWhite() throws {
    // Fixture pixel (0, 1) of rgba8.png is fully transparent.
    let image = try ImageFile.decode(contentsOf: try ImageFixture.named("rgba8.png").url)
    XCTAssertEqual((0..<3).map { image[$0, 0, 1] }, [1, 1, 1])
  }
}
