import Imaging
import XCTest

final class ImageInfoTests: XCTestCase {
  func testPNGInfoReportsEachFixturesSizeColourModelDepthAndAlpha() throws {
    let models: [Int: ImageInfo.ColorModel] = [0: .gray, 2: .rgb, 3: .palette, 4: .gray, 6: .rgb]
    for fixture in try ImageFixture.all() where fixture.format == "png" {
      let info = try ImageFile.info(contentsOf: fixture.url)
      let colorType = try XCTUnwrap(fixture.colorType)
      XCTAssertEqual(
        info,
        ImageInfo(
          width: fixture.width, height: fixture.height, format: .png,
          colorModel: try XCTUnwrap(models[colorType]), bitDepth: fixture.bitDepth,
          hasAlpha: fixture.hasAlpha), fixture.image)
      XCTAssertEqual(info.pixelCount, fixture.width * fixture.height)
    }
  }
}
