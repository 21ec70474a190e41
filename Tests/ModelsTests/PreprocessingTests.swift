import Models
import Tensor
import TestSupport
import XCTest

final class PreprocessingTests: XCTestCase {
  /// A white-and-black photograph resized with antialiasing stays inside [0, 1] (the filter's
  /// rounding could otherwise give 1.0000001 next to an edge).
  func testResizedPhotographStaysInTheUnitRange() throws {
    var generator = SeededGenerator(seed: 3)
    let noise = Tensor.uniform([3, 301, 517], using: &generator)
    let photo = noise.map { $0 < 0.5 ? 0 : 1 }
    let input = try Preprocessing.imageNet(photo)
    XCTAssertEqual(input.shape, [3, 224, 224])
    XCTAssertTrue(input.scalars.allSatisfy { (0...1).contains($0) })
    XCTAssertGreaterThan(input.scalars.max() ?? 0, 0.99)
  }

  func testTooSmallOrWrongShapedImagesAreTypedErrors() {
    XCTAssertThrowsError(try Preprocessing.imageNet(Tensor(zeros: [1, 300, 300])))
    let cropOnly = Preprocessing(resizeShorterSide: nil, cropSize: (224, 224), antialias: true)
    XCTAssertThrowsError(try cropOnly(Tensor(zeros: [3, 100, 300])))
  }
}
