import Explain
import Tensor
import TestSupport
import XCTest

final class QuickshiftTests: XCTestCase {
  /// LIME's quickshift (kernel 4, max_dist 200, ratio 0.2) against scikit-image 0.24 on three
  /// photographs preprocessed as the classifier sees them (Tools/make_superpixel_fixtures.py):
  ///
  /// ```python
  /// quickshift(image, kernel_size=4, max_dist=200, ratio=0.2)   # rng=42
  /// ```
  ///
  /// The maps agree exactly (ARI 1): with `max_dist` 200 no link is cut, and scikit-image's
  /// own maps do not change with its noise seed either.
  func testMatchesScikitImageWithLIMEDefaults() throws {
    for name in SuperpixelFixtures.names {
      let image = try SuperpixelFixtures.input(name)
      let map = try Quickshift().segment(image)
      let golden = try SuperpixelFixtures.golden("\(name)_quickshift")
      let ari = try map.adjustedRandIndex(with: golden)
      print("quickshift \(name): ARI \(ari), \(map.count) segments (scikit-image \(golden.count))")
      XCTAssertGreaterThan(ari, 0.999, name)
      XCTAssertEqual(
        Double(map.count), Double(golden.count), accuracy: 0.05 * Double(golden.count), name)
    }
  }

  /// Smoothing, a short cut-off and a larger colour weight:
  /// `quickshift(image, kernel_size=3, max_dist=6, ratio=0.5, sigma=1)`. Here cut links make
  /// the map depend on the tie-breaking noise: scikit-image against itself with `rng` 1, 2, 3
  /// instead of 42 scores ARI 0.952, 0.950, 0.956 (this implementation: 0.956).
  func testMatchesScikitImageWithSmoothing() throws {
    let image = try SuperpixelFixtures.input("astronaut")
    let map = try Quickshift(kernelSize: 3, maxDistance: 6, ratio: 0.5, sigma: 1).segment(image)
    let golden = try SuperpixelFixtures.golden("astronaut_quickshift_smoothed")
    let ari = try map.adjustedRandIndex(with: golden)
    print(
      "quickshift smoothed astronaut: ARI \(ari), \(map.count) segments (scikit-image \(golden.count))"
    )
    XCTAssertGreaterThan(ari, 0.94)
    XCTAssertEqual(Double(map.count), Double(golden.count), accuracy: 0.05 * Double(golden.count))
  }

  func testSameSeedSameMapAndThreadCountDoesNotMatter() throws {
    let image = try SuperpixelFixtures.input("coffee")
    let segmenter = Quickshift(seed: 7)
    let first = try segmenter.segment(image)
    XCTAssertEqual(try segmenter.segment(image), first)
    let threads = ComputeThreads.count
    defer { ComputeThreads.set(threads) }
    ComputeThreads.set(1)
    let one = try segmenter.segment(image)
    ComputeThreads.set(2)
    let two = try segmenter.segment(image)
    XCTAssertEqual(one, first)
    XCTAssertEqual(two, first)
  }

  /// A larger kernel and a shorter cut-off move the count the documented way.
  func testParametersMoveTheSegmentCount() throws {
    let image = try SuperpixelFixtures.input("chelsea")
    let lime = try Quickshift().segment(image).count
    XCTAssertGreaterThan(try Quickshift(kernelSize: 2).segment(image).count, lime)
    XCTAssertGreaterThan(try Quickshift(maxDistance: 5).segment(image).count, lime)
  }

  func testDegenerateImagesGiveValidMaps() throws {
    let segmenter = Quickshift()
    // A constant image: every pixel links towards the densest (central) pixels.
    let gray = Tensor(shape: [3, 40, 50], repeating: 0.5)
    let grayMap = try segmenter.segment(gray)
    XCTAssertGreaterThanOrEqual(grayMap.count, 1)
    XCTAssertLessThanOrEqual(grayMap.count, 4)
    XCTAssertLessThanOrEqual(try segmenter.segment(Tensor(zeros: [3, 30, 30])).count, 4)
    let one = try segmenter.segment(Tensor(shape: [3, 1, 1], scalars: [0.2, 0.4, 0.6]))
    XCTAssertEqual(one.labels, [0])
    let line = try segmenter.segment(Tensor(shape: [3, 1, 64], repeating: 0.3))
    XCTAssertEqual(line.labels.count, 64)
    XCTAssertEqual(line.sizes.reduce(0, +), 64)
  }

  /// A kernel wider than the image makes every pixel's window the whole image; with no cut the
  /// whole image flows to the single densest pixel.
  func testHugeKernelAndNoCutGiveOneSegment() throws {
    var generator = SeededGenerator(seed: 5)
    let image = Tensor.uniform([3, 12, 9], using: &generator)
    let map = try Quickshift(kernelSize: 1e6, maxDistance: .infinity).segment(image)
    XCTAssertEqual(map.count, 1)
  }

  /// Two flat halves of very different colours are never joined (their Lab distance · 0.2 is
  /// far above a cut-off of 5).
  func testSeparatesFlatRegionsOfDifferentColour() throws {
    var scalars = [Float](repeating: 0, count: 3 * 20 * 20)
    for channel in 0..<3 {
      for y in 0..<20 {
        for x in 10..<20 { scalars[channel * 400 + y * 20 + x] = channel == 0 ? 1 : 0 }
      }
    }
    let map = try Quickshift(maxDistance: 5).segment(Tensor(shape: [3, 20, 20], scalars: scalars))
    for y in 0..<20 {
      XCTAssertNotEqual(map.labels[y * 20 + 9], map.labels[y * 20 + 10])
    }
  }

  func testBadInputThrows() {
    let image = Tensor(zeros: [3, 8, 8])
    XCTAssertThrowsError(try Quickshift().segment(Tensor(zeros: [8, 8]))) {
      XCTAssertEqual($0 as? SegmentationError, .wrongShape([8, 8]))
    }
    XCTAssertThrowsError(try Quickshift().segment(Tensor(zeros: [1, 8, 8]))) {
      XCTAssertEqual($0 as? SegmentationError, .wrongShape([1, 8, 8]))
    }
    XCTAssertThrowsError(try Quickshift().segment(Tensor(zeros: [3, 0, 8]))) {
      XCTAssertEqual($0 as? SegmentationError, .emptyImage)
    }
    var scalars = [Float](repeating: 0, count: 3 * 64)
    scalars[17] = .nan
    XCTAssertThrowsError(try Quickshift().segment(Tensor(shape: [3, 8, 8], scalars: scalars))) {
      XCTAssertEqual($0 as? SegmentationError, .nonFiniteInput)
    }
    for bad in [
      Quickshift(kernelSize: 0.5), Quickshift(kernelSize: .nan), Quickshift(maxDistance: -1),
      Quickshift(maxDistance: .nan),
      Quickshift(ratio: -0.1), Quickshift(sigma: .infinity),
    ] {
      XCTAssertThrowsError(try bad.segment(image)) { error in
        guard case .invalidParameter = error as? SegmentationError else {
          return XCTFail("\(error)")
        }
      }
    }
  }
}
