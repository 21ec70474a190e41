import Foundation
import Tensor
import TestSupport
import XCTest

/// Golden values from Tools/make_resize_fixtures.py: Pillow's `Image.resize(BILINEAR)` on float
/// images (antialiased) and PyTorch's `F.interpolate(mode='bilinear', align_corners=False)`
/// formula in float64, cross-checked there against scikit-image.
private struct ResizeFixture: Decodable {
  struct Case: Decodable {
    var name: String
    var inputShape: [Int]
    var outputHeight: Int
    var outputWidth: Int
    var input: [Float]
    var bilinear: [Float]
    var antialiased: [Float]
  }
  var cases: [Case]

  static func load() throws -> ResizeFixture {
    let data = try Data(contentsOf: fixtureURL("Resize/resize.json"))
    return try JSONDecoder().decode(ResizeFixture.self, from: data)
  }
}

final class ResizeTests: XCTestCase {
  func testPlainBilinearResizeMatchesPyTorchOnGoldenCases() throws {
    let fixture = try ResizeFixture.load()
    XCTAssertEqual(fixture.cases.count, 7)
    for golden in fixture.cases {
      let image = Tensor(shape: golden.inputShape, scalars: golden.input)
      let outputShape = [golden.inputShape[0], golden.outputHeight, golden.outputWidth]

      let resized = image.resized(
        height: golden.outputHeight, width: golden.outputWidth, antialias: false)

      assertAllClose(
        resized, Tensor(shape: outputShape, scalars: golden.bilinear), absoluteTolerance: 2e-6,
        relativeTolerance: 1e-5, golden.name)
    }
  }

  func testAntialiasedResizeMatchesPillowOnGoldenCases() throws {
    let fixture = try ResizeFixture.load()
    for golden in fixture.cases {
      let image = Tensor(shape: golden.inputShape, scalars: golden.input)
      let outputShape = [golden.inputShape[0], golden.outputHeight, golden.outputWidth]

      let resized = image.resized(
        height: golden.outputHeight, width: golden.outputWidth, antialias: true)

      assertAllClose(
        resized, Tensor(shape: outputShape, scalars: golden.antialiased), absoluteTolerance: 2e-6,
        relativeTolerance: 1e-5, golden.name)
    }
  }

  func testDownscalingByThreeSamplesWithoutAntialiasAndAveragesWithIt() {
    var rng = SeededGenerator(seed: 1)
    let image = Tensor.uniform([1, 12, 12], using: &rng)

    let plain = image.resized(height: 4, width: 4, antialias: false)
    let smooth = image.resized(height: 4, width: 4, antialias: true)

    // Plain: output o samples input 3·o + 1 exactly ((o + ½)·3 − ½), skipping the other pixels.
    XCTAssertEqual(plain[0, 0, 0], image[0, 1, 1])
    XCTAssertEqual(plain[0, 1, 2], image[0, 4, 7])
    // Antialiased: centre 1.5, triangle of half-width 3, weights (2/3, 1, 2/3, 1/3) / (8/3) on
    // pixels 0...3 of each axis.
    let weights: [Float] = [0.25, 0.375, 0.25, 0.125]
    var expected: Float = 0
    for i in 0..<4 {
      for j in 0..<4 { expected += weights[i] * weights[j] * image[0, i, j] }
    }
    XCTAssertEqual(smooth[0, 0, 0], expected, accuracy: 1e-6)
  }

  func testAntialiasedUpscalingEqualsPlainBilinear() {
    var rng = SeededGenerator(seed: 2)
    let image = Tensor.uniform([2, 5, 6], using: &rng)

    let smooth = image.resized(height: 11, width: 9, antialias: true)
    let plain = image.resized(height: 11, width: 9, antialias: false)

    assertAllClose(smooth, plain, absoluteTolerance: 1e-6)
  }

  func testResizingToTheSameSizeIsTheIdentity() {
    var rng = SeededGenerator(seed: 3)
    let image = Tensor.uniform([3, 7, 5], using: &rng)

    for antialias in [false, true] {
      XCTAssertEqual(image.resized(height: 7, width: 5, antialias: antialias), image)
    }
  }

  func testResizeKeepsConstantImagesConstant() {
    let image = Tensor(shape: [2, 13, 7], repeating: 0.375)

    for antialias in [false, true] {
      for (height, width) in [(3, 2), (5, 11), (26, 1), (1, 1)] {
        let resized = image.resized(height: height, width: width, antialias: antialias)
        assertAllClose(
          resized, Tensor(shape: [2, height, width], repeating: 0.375), absoluteTolerance: 1e-6)
      }
    }
  }

  func testBatchIsResizedImageByImage() {
    var rng = SeededGenerator(seed: 4)
    let batch = Tensor.uniform([2, 3, 9, 8], using: &rng)

    let resized = batch.resized(height: 5, width: 6)

    XCTAssertEqual(resized.shape, [2, 3, 5, 6])
    for n in 0..<2 {
      assertAllClose(resized[index: n], batch[index: n].resized(height: 5, width: 6))
    }
  }

  func testNonContiguousInputGivesTheSameResultAsItsCopy() {
    var rng = SeededGenerator(seed: 5)
    let base = Tensor.uniform([3, 8, 9], using: &rng)
    let view = base.permuted([0, 2, 1]).sliced(axis: 1, 1..<8)  // [3, 7, 8], strided

    XCTAssertFalse(view.isContiguous)
    assertAllClose(
      view.resized(height: 4, width: 5), view.contiguous().resized(height: 4, width: 5))
  }

  func testBackwardIsTheAdjointOfTheForwardPass() {
    var rng = SeededGenerator(seed: 6)
    for antialias in [false, true] {
      for (inSize, outSize) in [((9, 7), (4, 11)), ((5, 6), (13, 3)), ((8, 8), (8, 3))] {
        let resize = BilinearResize(from: inSize, to: outSize, antialias: antialias)
        let x = Tensor.normal([2, 3, inSize.0, inSize.1], using: &rng)
        let y = Tensor.normal([2, 3, outSize.0, outSize.1], using: &rng)

        // ⟨R x, y⟩ = ⟨x, Rᵀ y⟩ for the adjoint Rᵀ.
        let forward = dot(resize(x), y)
        let adjoint = dot(x, resize.backward(y))

        XCTAssertEqual(forward, adjoint, accuracy: 1e-4 * Swift.max(1, Swift.abs(forward)))
      }
    }
  }

  func testBackwardMatchesFiniteDifferences() {
    var rng = SeededGenerator(seed: 7)
    for antialias in [false, true] {
      let resize = BilinearResize(from: (5, 7), to: (3, 10), antialias: antialias)
      let x = Tensor.normal([2, 5, 7], using: &rng)
      let w = Tensor.normal([2, 3, 10], using: &rng)

      let analytic = resize.backward(w)

      assertGradientMatchesFiniteDifferences(analytic, of: { dot(resize($0), w) }, at: x)
    }
  }

  func testShorterSideSizeFollowsTorchvision() {
    // torchvision: long = int(size * long / short).
    XCTAssertTrue(Tensor.sizeResizing(height: 375, width: 500, shorterSideTo: 256) == (256, 341))
    XCTAssertTrue(Tensor.sizeResizing(height: 500, width: 375, shorterSideTo: 256) == (341, 256))
    XCTAssertTrue(Tensor.sizeResizing(height: 300, width: 300, shorterSideTo: 224) == (224, 224))
    XCTAssertTrue(Tensor.sizeResizing(height: 3, width: 1000, shorterSideTo: 7) == (7, 2333))
  }

  func testResizingTheShorterSideKeepsTheAspectRatio() {
    let image = Tensor(zeros: [3, 30, 40])

    XCTAssertEqual(image.resized(shorterSide: 12).shape, [3, 12, 16])
    XCTAssertEqual(image.permuted([0, 2, 1]).resized(shorterSide: 12).shape, [3, 16, 12])
  }
}
