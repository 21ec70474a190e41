import Tensor
import TestSupport
import XCTest

final class CropTests: XCTestCase {
  func testCropSelectsTheRegionOfEveryPlane() {
    let image = Tensor(shape: [2, 4, 5], scalars: (0..<40).map(Float.init))

    let crop = image.cropped(top: 1, left: 2, height: 2, width: 3)

    XCTAssertEqual(crop.shape, [2, 2, 3])
    XCTAssertEqual(crop.scalars, [7, 8, 9, 12, 13, 14, 27, 28, 29, 32, 33, 34])
    XCTAssertEqual(image.cropped(to: CropRegion(top: 1, left: 2, height: 2, width: 3)), crop)
  }

  func testCropIsAViewThatCopiesOnlyWhenWritten() {
    let image = Tensor(shape: [1, 3, 3], scalars: (0..<9).map(Float.init))
    var crop = image.cropped(top: 1, left: 1, height: 2, width: 2)

    XCTAssertFalse(crop.isContiguous, "a view keeps the image's strides")
    crop[0, 0, 0] = 100

    XCTAssertEqual(crop.scalars, [100, 5, 7, 8])
    XCTAssertEqual(image[0, 1, 1], 4, "the image keeps its value")
  }

  func testCenterCropRoundsHalvesToEvenLikeTorchvision() {
    // torchvision: top = int(round((H − h) / 2)), Python rounding halves to even.
    XCTAssertEqual(
      CropRegion.centered(height: 224, width: 224, inImageOfHeight: 256, width: 341),
      CropRegion(top: 16, left: 58, height: 224, width: 224))  // 117 / 2 = 58.5 → 58
    XCTAssertEqual(
      CropRegion.centered(height: 2, width: 2, inImageOfHeight: 5, width: 7),
      CropRegion(top: 2, left: 2, height: 2, width: 2))  // 1.5 → 2, 2.5 → 2
    XCTAssertEqual(
      CropRegion.centered(height: 3, width: 3, inImageOfHeight: 3, width: 3),
      CropRegion(top: 0, left: 0, height: 3, width: 3))
  }

  func testCenterCropOfABatch() {
    let batch = Tensor(shape: [2, 1, 4, 4], scalars: (0..<32).map(Float.init))

    let crop = batch.centerCropped(height: 2, width: 2)

    XCTAssertEqual(crop.shape, [2, 1, 2, 2])
    XCTAssertEqual(crop.scalars, [5, 6, 9, 10, 21, 22, 25, 26])
  }

  func testUncropPlacesTheGradientInZeros() {
    let gradient = Tensor(shape: [1, 2, 2], scalars: [1, 2, 3, 4])

    let full = gradient.uncropped(
      from: CropRegion(top: 1, left: 0, height: 2, width: 2), imageHeight: 3, imageWidth: 3)

    XCTAssertEqual(full.scalars, [0, 0, 0, 1, 2, 0, 3, 4, 0])
  }

  func testUncropIsTheAdjointOfCrop() {
    var rng = SeededGenerator(seed: 60)
    let region = CropRegion(top: 2, left: 1, height: 3, width: 4)
    let image = Tensor.normal([2, 3, 7, 6], using: &rng)
    let weights = Tensor.normal([2, 3, 3, 4], using: &rng).permuted([0, 1, 3, 2]).transposed()

    let analytic = weights.uncropped(from: region, imageHeight: 7, imageWidth: 6)

    assertGradientMatchesFiniteDifferences(
      analytic, of: { dot($0.cropped(to: region), weights) }, at: image)
    XCTAssertEqual(dot(image.cropped(to: region), weights), dot(image, analytic), accuracy: 1e-4)
  }
}
