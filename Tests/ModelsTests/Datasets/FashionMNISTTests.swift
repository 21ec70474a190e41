import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class FashionMNISTTests: XCTestCase {
  func testTestSplitHoldsTenThousandImagesInUnitRangeWithAThousandPerClass() throws {
    let test = try FashionMNIST.load(.test, from: fashionMNISTDirectory())

    XCTAssertEqual(test.images.shape, [10000, 1, 28, 28])
    XCTAssertEqual(test.classCounts, [Int](repeating: 1000, count: 10))
    XCTAssertEqual(test.classNames.count, 10)
    XCTAssertEqual(test.images.minimum(), 0)
    XCTAssertEqual(test.images.maximum(), 1)
    // numpy: x = np.frombuffer(gzip.open(path).read(), np.uint8, offset=16); x.mean() / 255
    XCTAssertEqual(Double(test.images.mean()), 0.286849, accuracy: 1e-5)
  }

  func testFirstTestImageIsAnAnkleBootWithTheFilesPixels() throws {
    let test = try FashionMNIST.load(.test, from: fashionMNISTDirectory(), limit: 10)

    XCTAssertEqual(test.count, 10)
    XCTAssertEqual(test.labels, [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
    XCTAssertEqual(test.classNames[test.labels[0]], "Ankle boot")
    // numpy: x[0, 14, 10:18] = [0 0 98 136 110 109 110 162]; x[0].sum() = 33456
    let row = (10..<18).map { test.images[0, 0, 14, $0] }
    XCTAssertEqual(row, [0, 0, 98, 136, 110, 109, 110, 162].map { Float($0) / 255 })
    XCTAssertEqual(
      Double(test.images.selecting(axis: 0, index: 0).sum()), 33456 / 255, accuracy: 1e-3)
  }

  func testTrainSplitHoldsSixtyThousandImagesWithSixThousandPerClass() throws {
    let train = try FashionMNIST.load(.train, from: fashionMNISTDirectory(), limit: 0)
    let labels = try IDXFile(
      contentsOf: fashionMNISTDirectory().appendingPathComponent("train-labels-idx1-ubyte.gz"))

    XCTAssertEqual(train.count, 0)
    XCTAssertEqual(train.images.shape, [0, 1, 28, 28])
    XCTAssertEqual(labels.dimensions, [60000])
    var counts = [Int](repeating: 0, count: 10)
    for label in try labels.unsignedBytes() { counts[Int(label)] += 1 }
    XCTAssertEqual(counts, [Int](repeating: 6000, count: 10))
  }

  // MARK: Bad folders

  /// A folder with the two test-split files written from `images` and `labels` IDX bytes.
  private func folder(images: Data?, labels: Data?) throws -> URL {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("fashion-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
    let names = FashionMNIST.Split.test.fileNames
    try images.map {
      try storedGzip(Array($0)).write(to: directory.appendingPathComponent(names.images))
    }
    try labels.map {
      try storedGzip(Array($0)).write(to: directory.appendingPathComponent(names.labels))
    }
    return directory
  }

  private func images(_ count: Int, side: Int = 28) -> Data {
    idxBytes(
      type: 0x08, dimensions: [count, side, side],
      payload: [UInt8](repeating: 255, count: count * side * side))
  }

  private func labels(_ values: [UInt8]) -> Data {
    idxBytes(type: 0x08, dimensions: [values.count], payload: values)
  }

  func testSmallValidFolderLoadsWithWhitePixelsEqualToOne() throws {
    let directory = try folder(images: images(3), labels: labels([0, 9, 4]))

    let dataset = try FashionMNIST.load(.test, from: directory)

    XCTAssertEqual(dataset.labels, [0, 9, 4])
    XCTAssertEqual(dataset.images.minimum(), 1)
  }

  func testMissingFileIsNamed() throws {
    let directory = try folder(images: images(2), labels: nil)

    XCTAssertThrowsError(try FashionMNIST.load(.test, from: directory)) { error in
      let expected = directory.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path
      XCTAssertEqual(error as? DatasetError, .missingFile(file: expected))
      XCTAssertTrue("\(error)".contains("Scripts/setup.sh"))
    }
  }

  /// Writes a folder from `images` and `labels` and asserts that loading it throws the error
  /// `expected` builds from the paths of the images and labels files.
  private func assertLoadingFails(
    images: Data, labels: Data, _ expected: (_ images: String, _ labels: String) -> DatasetError,
    file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let directory = try folder(images: images, labels: labels)
    let names = FashionMNIST.Split.test.fileNames
    let imagesPath = directory.appendingPathComponent(names.images).path
    let labelsPath = directory.appendingPathComponent(names.labels).path

    XCTAssertThrowsError(try FashionMNIST.load(.test, from: directory), file: file, line: line) {
      XCTAssertEqual($0 as? DatasetError, expected(imagesPath, labelsPath), file: file, line: line)
    }
  }

  func testCountMismatchLabelOutOfRangeAndWrongExtentsAreTypedErrorsNamingTheFile() throws {
    try assertLoadingFails(images: images(3), labels: labels([1, 2])) { images, labels in
      .countMismatch(imagesFile: images, imageCount: 3, labelsFile: labels, labelCount: 2)
    }
    try assertLoadingFails(images: images(2), labels: labels([1, 10])) { _, labels in
      .labelOutOfRange(file: labels, index: 1, label: 10, classCount: 10)
    }
    try assertLoadingFails(images: images(2, side: 27), labels: labels([1, 2])) { images, _ in
      .unexpectedDimensions(file: images, expected: "[N, 28, 28]", found: [2, 27, 27])
    }
    let matrix = idxBytes(type: 0x08, dimensions: [2, 1], payload: [1, 2])
    try assertLoadingFails(images: images(2), labels: matrix) { _, labels in
      .unexpectedDimensions(file: labels, expected: "[N]", found: [2, 1])
    }
  }

  func testCorruptFileGivesTheIDXErrorNamingIt() throws {
    let directory = try folder(images: images(2), labels: labels([1, 2]))
    let url = directory.appendingPathComponent("t10k-images-idx3-ubyte.gz")
    var bytes = try Data(contentsOf: url)
    bytes[bytes.count - 9] ^= 1  // a pixel: the CRC no longer matches
    try bytes.write(to: url)

    XCTAssertThrowsError(try FashionMNIST.load(.test, from: directory)) { error in
      guard case .corruptGzip(let file, _) = error as? IDXFileError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(file, url.path)
    }
  }
}
