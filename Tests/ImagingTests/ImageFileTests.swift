import Foundation
import Imaging
import Tensor
import TestSupport
import XCTest

final class ImageFileTests: XCTestCase {
  // MARK: Real photographs (Assets/, fetched by Scripts/setup.sh)

  /// Pillow's decode of real photographs, from `Tools/make_image_fixtures.py --assets`.
  private struct Photograph: Decodable {
    struct Pixel: Decodable {
      var y: Int
      var x: Int
      var rgb: [Int]
    }
    var image: String
    var width: Int
    var height: Int
    var pixels: [Pixel]
    var channelSums: [Int]
  }

  private func photograph(_ name: String) throws -> Photograph {
    struct File: Decodable { var photographs: [Photograph] }
    let data = try Data(contentsOf: fixtureURL("Images/photographs.json"))
    let all = try JSONDecoder().decode(File.self, from: data).photographs
    return try XCTUnwrap(all.first { $0.image == name })
  }

  /// Per-channel sums of the decoded image in 8-bit levels (`round(v · 255)`).
  private func channelSums(_ image: Tensor) -> [Int] {
    (0..<3).map { c in
      image.selecting(axis: 0, index: c).scalars.reduce(0) { $0 + Int(($1 * 255).rounded()) }
    }
  }

  func testCoffeePhotographDecodesToPillowsPixels() throws {
    let image = try ImageFile.decode(contentsOf: try assetURL("images/coffee.png"))
    XCTAssertEqual(image.shape, [3, 400, 600])
    // Python: np.array(Image.open("coffee.png").convert("RGB"))[y, x] for these (y, x).
    let golden: [(y: Int, x: Int, rgb: [Int])] = [
      (0, 0, [21, 13, 8]), (399, 599, [143, 60, 29]), (200, 300, [248, 250, 255]),
      (123, 321, [166, 73, 24]), (393, 11, [178, 122, 74]),
    ]
    for (y, x, rgb) in golden {
      XCTAssertEqual((0..<3).map { image[$0, y, x] }, rgb.map { Float($0) / 255 }, "(\(y), \(x))")
    }
    XCTAssertEqual(channelSums(image), try photograph("coffee.png").channelSums)
  }

  func testPhotographWithAnICCProfileDecodesToTheStoredValuesLikePillow() throws {
    let golden = try photograph("chelsea.png")  // carries an iCCP chunk
    let image = try ImageFile.decode(contentsOf: try assetURL("images/chelsea.png"))
    XCTAssertEqual(image.shape, [3, golden.height, golden.width])
    for pixel in golden.pixels {
      XCTAssertEqual(
        (0..<3).map { image[$0, pixel.y, pixel.x] }, pixel.rgb.map { Float($0) / 255 })
    }
    XCTAssertEqual(channelSums(image), golden.channelSums)
  }

  func testJPEGPhotographMatchesPillowWithinOneLevel() throws {
    let golden = try photograph("rocket.jpg")
    let image = try ImageFile.decode(contentsOf: try assetURL("images/rocket.jpg"))
    XCTAssertEqual(image.shape, [3, golden.height, golden.width])
    for pixel in golden.pixels {
      for c in 0..<3 {
        XCTAssertEqual(image[c, pixel.y, pixel.x], Float(pixel.rgb[c]) / 255, accuracy: 1.01 / 255)
      }
    }
    let sums = channelSums(image)
    for c in 0..<3 {
      // Mean difference below 0.01 level per pixel.
      XCTAssertLessThanOrEqual(
        abs(sums[c] - golden.channelSums[c]), golden.width * golden.height / 100, "channel \(c)")
    }
    print("rocket.jpg channel sums: Swift \(sums), Pillow \(golden.channelSums)")
  }

  func testInfoReadsThePhotographsSizesFromTheirHeaders() throws {
    XCTAssertEqual(
      try ImageFile.info(contentsOf: try assetURL("images/coffee.png")),
      ImageInfo(
        width: 600, height: 400, format: .png, colorModel: .rgb, bitDepth: 8, hasAlpha: false))
    let rocket = try ImageFile.info(contentsOf: try assetURL("images/rocket.jpg"))
    XCTAssertEqual([rocket.width, rocket.height], [640, 427])
    XCTAssertEqual(rocket.format, .jpeg)
    let horse = try ImageFile.info(contentsOf: try assetURL("images/horse.png"))
    XCTAssertTrue(horse.hasAlpha)
  }

  // MARK: Files that are not images

  func testNonexistentPathIsFileNotFound() throws {
    let path = try makeTemporaryDirectory(for: self).appendingPathComponent("missing.png")
    assertThrows(.fileNotFound(path: path.path), try ImageFile.decode(contentsOf: path))
    assertThrows(.fileNotFound(path: path.path), try ImageFile.info(contentsOf: path))
  }

  func testDirectoryIsNotARegularFile() throws {
    let folder = try makeTemporaryDirectory(for: self).appendingPathComponent("photo.png")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    assertThrows(.notARegularFile(path: folder.path), try ImageFile.decode(contentsOf: folder))
  }

  func testDeviceFileIsNotARegularFile() {
    let url = URL(fileURLWithPath: "/dev/zero")
    assertThrows(.notARegularFile(path: "/dev/zero"), try ImageFile.decode(contentsOf: url))
  }

  func testEmptyFileIsAnEmptyFileError() throws {
    let url = try makeTemporaryDirectory(for: self).appendingPathComponent("empty.png")
    try Data().write(to: url)
    assertThrows(.emptyFile(file: url.path), try ImageFile.decode(contentsOf: url))
    assertThrows(.emptyFile(file: "<data>"), try ImageFile.decode(Data()))
  }

  func testRandomBytesAreAnUnrecognizedFormat() throws {
    var generator = SeededGenerator(seed: 3)
    let url = try makeTemporaryDirectory(for: self).appendingPathComponent("noise.jpg")
    var bytes = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &generator) }
    bytes[0] = 0x42  // make sure the noise does not start like a known signature
    try Data(bytes).write(to: url)
    assertThrows(.unrecognizedFormat(file: url.path), try ImageFile.decode(contentsOf: url))
  }

  func testGIFIsAnUnsupportedFormatNamedInTheError() throws {
    let url = try makeTemporaryDirectory(for: self).appendingPathComponent("anim.png")
    try Data("GIF89a\u{1}\u{0}\u{1}\u{0}".utf8).write(to: url)
    assertThrows(
      .unsupportedFormat(file: url.path, format: "GIF"), try ImageFile.decode(contentsOf: url))
  }

  func testFormatComesFromTheBytesNotTheExtension() throws {
    let folder = try makeTemporaryDirectory(for: self)
    let png = try Data(contentsOf: try ImageFixture.named("rgb8.png").url)
    let misnamed = folder.appendingPathComponent("really-a-png.jpg")
    try png.write(to: misnamed)
    XCTAssertEqual(try ImageFile.info(contentsOf: misnamed).format, .png)
    assertAllClose(
      try ImageFile.decode(contentsOf: misnamed),
      try ImageFixture.named("rgb8.png").expectedTensor())
  }

  func testFileAboveTheByteLimitIsRefusedBeforeReading() throws {
    let url = try ImageFixture.named("rgb8.png").url
    let size = try Data(contentsOf: url).count
    assertThrows(
      .fileTooLarge(file: url.path, byteCount: size, limit: 100),
      try ImageFile.decode(contentsOf: url, options: ImageDecodingOptions(maximumByteCount: 100)))
  }

  func testSymbolicLinkToAnImageIsFollowed() throws {
    let link = try makeTemporaryDirectory(for: self).appendingPathComponent("link.png")
    try FileManager.default.createSymbolicLink(
      at: link, withDestinationURL: try ImageFixture.named("gray8.png").url)
    assertAllClose(
      try ImageFile.decode(contentsOf: link), try ImageFixture.named("gray8.png").expectedTensor())
  }

  func testDanglingAndLoopingSymbolicLinksAreErrorsNotCrashes() throws {
    let folder = try makeTemporaryDirectory(for: self)
    let dangling = folder.appendingPathComponent("dangling.png")
    try FileManager.default.createSymbolicLink(
      atPath: dangling.path, withDestinationPath: folder.appendingPathComponent("gone.png").path)
    assertThrows(.fileNotFound(path: dangling.path), try ImageFile.decode(contentsOf: dangling))
    let loop = folder.appendingPathComponent("loop.png")
    try FileManager.default.createSymbolicLink(atPath: loop.path, withDestinationPath: loop.path)
    assertThrowsImageError(try ImageFile.decode(contentsOf: loop)) {
      switch $0 {
      case .fileNotFound(loop.path), .unreadableFile(loop.path, _), .notARegularFile(loop.path):
        return true
      default: return false
      }
    }
  }

  func testUnreadableFileIsAnUnreadableFileError() throws {
    try XCTSkipIf(getuid() == 0, "root reads files whatever their permissions")
    let url = try makeTemporaryDirectory(for: self).appendingPathComponent("secret.png")
    try Data(contentsOf: try ImageFixture.named("rgb8.png").url).write(to: url)
    try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: url.path)
    assertThrowsImageError(try ImageFile.decode(contentsOf: url)) {
      if case .unreadableFile(url.path, _) = $0 { return true } else { return false }
    }
  }

  // MARK: Writing

  func testWriteChoosesTheFormatFromTheExtensionAndRoundTrips() throws {
    let folder = try makeTemporaryDirectory(for: self)
    let image = try ImageFixture.named("rgb8.png").expectedTensor()
    let png = folder.appendingPathComponent("out.PNG")
    try ImageFile.write(image, to: png)
    XCTAssertEqual(try ImageFile.info(contentsOf: png).format, .png)
    assertAllClose(
      try ImageFile.decode(contentsOf: png), image, absoluteTolerance: 0, relativeTolerance: 0)
    let jpeg = folder.appendingPathComponent("out.jpeg")
    try ImageFile.write(image, to: jpeg)
    XCTAssertEqual(try ImageFile.info(contentsOf: jpeg).format, .jpeg)
  }

  func testWriteWithAnUnknownExtensionAndNoEncodingIsUnsupported() throws {
    let url = try makeTemporaryDirectory(for: self).appendingPathComponent("out.bmp")
    assertThrows(
      .unsupportedFormat(file: url.path, format: "the file extension \".bmp\""),
      try ImageFile.write(Tensor(shape: [3, 2, 2], repeating: 0), to: url))
    try ImageFile.write(Tensor(shape: [3, 2, 2], repeating: 0), to: url, as: .png())
    XCTAssertEqual(try ImageFile.info(contentsOf: url).format, .png)
  }

  func testWriteIntoAMissingFolderIsAnUnwritableFileError() throws {
    let url = try makeTemporaryDirectory(for: self)
      .appendingPathComponent("no-such-folder").appendingPathComponent("out.png")
    assertThrowsImageError(try ImageFile.write(Tensor(shape: [1, 2, 2], repeating: 1), to: url)) {
      if case .unwritableFile(url.path, _) = $0 { return true } else { return false }
    }
  }
}
