import Foundation
import TestSupport
import XCTest

@testable import BiasProbe

final class LabelFileTests: XCTestCase {
  private let names = ["tench", "goldfish", "tiger cat", "crane", "crane"]
  private let ids = ["n01440764", "n01443537", "n02123159", "n02012849", "n03126707"]
  private let folder = URL(fileURLWithPath: "/data/photos")

  private func parse(_ text: String) throws -> [LabelledImage] {
    try LabelFile.parse(text, source: "labels.csv", folder: folder, classNames: names, classIDs: ids)
  }

  func testAcceptsIndicesWordNetIDsAndNamesWithCommentsHeaderAndTabs() throws {
    // Arrange
    let text = """
      # a comment
      filename,label

      a.png,1
      b.png, n02123159
      sub/c.jpg,Tiger Cat
      "d e.png"\t"goldfish"\r
      f.png,n03126707
      """

    // Act
    let images = try parse(text)

    // Assert
    XCTAssertEqual(images.map(\.name), ["a.png", "b.png", "sub/c.jpg", "d e.png", "f.png"])
    XCTAssertEqual(images.map(\.trueClass), [1, 2, 2, 1, 4])
    XCTAssertEqual(images.map(\.line), [4, 5, 6, 7, 8])
    XCTAssertEqual(images[2].url.path, "/data/photos/sub/c.jpg")
  }

  func testTheRealPhotographLabelsResolveToImageNetClasses() throws {
    let classNames = try String(
      contentsOf: try assetURL("labels/imagenet_classes.txt"), encoding: .utf8
    ).split(separator: "\n").map(String.init)
    let classIDs = try ClassHierarchy.readIDs(contentsOf: try assetURL("labels/imagenet_wnids.txt"))

    let images = try LabelFile.read(
      contentsOf: fixtureURL("Mistakes/photographs.csv"),
      folder: repositoryRoot.appendingPathComponent("Assets/images"), classNames: classNames,
      classIDs: classIDs)

    XCTAssertEqual(
      images.map(\.name), ["coffee.png", "chelsea.png", "grace_hopper.jpg", "camera.png", "china.jpg"])
    XCTAssertEqual(images.map(\.trueClass), [967, 281, 652, 872, 698])
  }

  func testEachBadRowIsATypedErrorNamingFileAndLine() {
    let cases: [(String, LabelFileError)] = [
      ("a.png,1\nb.png\n", .malformedRow(file: "labels.csv", line: 2, reason: "no comma or tab between file name and label")),
      ("a.png,\n", .malformedRow(file: "labels.csv", line: 1, reason: "the label is empty")),
      (",1\n", .malformedRow(file: "labels.csv", line: 1, reason: "the file name is empty")),
      ("a.png,7\n", .classOutOfRange(file: "labels.csv", line: 1, label: "7", classCount: 5)),
      ("a.png,1\na.png,2\n", .duplicateImage(file: "labels.csv", line: 2, name: "a.png", firstLine: 1)),
      ("a.png,zebra\n", .unknownLabel(file: "labels.csv", line: 1, label: "zebra")),
      ("a.png,n09999999\n", .unknownLabel(file: "labels.csv", line: 1, label: "n09999999")),
      ("a.png,crane\n", .ambiguousLabel(file: "labels.csv", line: 1, label: "crane", classes: [3, 4])),
      ("# nothing\nfilename,label\n", .empty(file: "labels.csv")),
    ]
    for (text, expected) in cases {
      XCTAssertThrowsError(try parse(text), text) {
        XCTAssertEqual($0 as? LabelFileError, expected)
      }
    }
  }

  func testAMissingImageOrFileIsReported() throws {
    let labels = FileManager.default.temporaryDirectory
      .appendingPathComponent("labels-\(ProcessInfo.processInfo.processIdentifier).csv")
    try "coffee.png,0\nnot-there.png,1\n".write(to: labels, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: labels) }
    let images = repositoryRoot.appendingPathComponent("Assets/images")

    XCTAssertThrowsError(
      try LabelFile.read(contentsOf: labels, folder: images, classNames: names)
    ) {
      XCTAssertEqual(
        $0 as? LabelFileError,
        .missingImage(file: labels.path, line: 2, path: images.appendingPathComponent("not-there.png").path))
    }
    XCTAssertThrowsError(
      try LabelFile.read(contentsOf: URL(fileURLWithPath: "/no/labels.csv"), folder: images, classNames: names)
    ) {
      XCTAssertEqual($0 as? LabelFileError, .unreadable(file: "/no/labels.csv"))
    }
  }
}
