import Explain
import Tensor
import TestSupport
import XCTest

final class SLICTests: XCTestCase {
  /// Against scikit-image 0.24 on three preprocessed photographs
  /// (Tools/make_superpixel_fixtures.py):
  ///
  /// ```python
  /// slic(image, n_segments=100, compactness=10, start_label=1)
  /// slic(image, n_segments=200, compactness=20, sigma=1, start_label=1)
  /// ```
  func testMatchesScikitImage() throws {
    let settings: [(file: String, segmenter: SLIC)] = [
      ("slic100", SLIC(segmentCount: 100, compactness: 10)),
      ("slic200", SLIC(segmentCount: 200, compactness: 20, sigma: 1)),
    ]
    for name in SuperpixelFixtures.names {
      let image = try SuperpixelFixtures.input(name)
      for setting in settings {
        let map = try setting.segmenter.segment(image)
        let golden = try SuperpixelFixtures.golden("\(name)_\(setting.file)")
        let ari = try map.adjustedRandIndex(with: golden)
        print(
          "SLIC \(setting.file) \(name): ARI \(ari), \(map.count) segments (scikit-image \(golden.count))"
        )
        XCTAssertGreaterThan(ari, 0.9, "\(name) \(setting.file)")
        XCTAssertEqual(
          Double(map.count), Double(golden.count), accuracy: 0.03 * Double(golden.count),
          "\(name) \(setting.file)")
      }
    }
  }

  func testSuperpixelsAreConnectedAndNotTiny() throws {
    let image = try SuperpixelFixtures.input("chelsea")
    let map = try SLIC().segment(image)
    XCTAssertEqual(componentCount(map), map.count)
    // 0.5 · 224² / 100 grid centres.
    XCTAssertGreaterThanOrEqual(map.sizes.min()!, Int(0.5 * 224.0 * 224.0 / 100))
    let loose = try SLIC(enforceConnectivity: false).segment(image)
    XCTAssertLessThanOrEqual(loose.count, 100)
  }

  func testSameMapOnOneAndTwoThreads() throws {
    let image = try SuperpixelFixtures.input("astronaut")
    let threads = ComputeThreads.count
    defer { ComputeThreads.set(threads) }
    ComputeThreads.set(1)
    let one = try SLIC().segment(image)
    ComputeThreads.set(2)
    let two = try SLIC().segment(image)
    XCTAssertEqual(one, two)
    XCTAssertEqual(try SLIC().segment(image), two)
  }

  /// On a flat image k-means only sees positions, and a pixel equidistant from two centres stays
  /// with the first: the cells are `[0, 21), [21, 41), [41, 60)` on both axes. From scikit-image:
  ///
  /// ```python
  /// slic(np.full((60, 60, 3), 0.4), n_segments=9, start_label=0)[::10, ::10]
  /// # [[0 0 0 1 1 2] [0 0 0 1 1 2] [0 0 0 1 1 2] [3 3 3 4 4 5] [3 3 3 4 4 5] [6 6 6 7 7 8]]
  /// slic(np.full((1, 100, 3), 0.5), n_segments=10)   # 11 pixels, then runs of 10, the last of 9
  /// slic(np.zeros((4, 5, 3)), n_segments=1000)        # 1 ... 20, one per pixel
  /// ```
  func testFlatImagesMatchScikitImage() throws {
    func band(_ i: Int) -> Int { i < 21 ? 0 : i < 41 ? 1 : 2 }
    let expected = try SuperpixelMap(
      height: 60, width: 60, labels: (0..<3600).map { band($0 / 60) * 3 + band($0 % 60) })
    XCTAssertEqual(
      try SLIC(segmentCount: 9).segment(Tensor(shape: [3, 60, 60], repeating: 0.4)), expected)
    XCTAssertEqual(try SLIC(segmentCount: 9).segment(Tensor(zeros: [3, 60, 60])), expected)
    let line = try SLIC(segmentCount: 10).segment(Tensor(shape: [3, 1, 100], repeating: 0.5))
    XCTAssertEqual(line.labels, (0..<100).map { Int32($0 < 11 ? 0 : ($0 - 1) / 10) })
    let pixels = try SLIC(segmentCount: 1000).segment(Tensor(zeros: [3, 4, 5]))
    XCTAssertEqual(pixels.labels, (0..<20).map { Int32($0) })
    let one = try SLIC().segment(Tensor(shape: [3, 1, 1], scalars: [0.1, 0.2, 0.3]))
    XCTAssertEqual(one.labels, [0])
  }

  func testBadInputThrows() {
    let image = Tensor(zeros: [3, 8, 8])
    XCTAssertThrowsError(try SLIC().segment(Tensor(zeros: [3, 8]))) {
      XCTAssertEqual($0 as? SegmentationError, .wrongShape([3, 8]))
    }
    XCTAssertThrowsError(
      try SLIC().segment(
        Tensor(shape: [3, 2, 2], scalars: [0, 0, 0, 0, 0, .infinity] + [0, 0, 0, 0, 0, 0]))
    ) {
      XCTAssertEqual($0 as? SegmentationError, .nonFiniteInput)
    }
    for bad in [
      SLIC(segmentCount: 0), SLIC(compactness: 0), SLIC(iterations: 0), SLIC(sigma: -1),
      SLIC(minSizeFactor: -0.5), SLIC(maxSizeFactor: 0),
    ] {
      XCTAssertThrowsError(try bad.segment(image)) { error in
        guard case .invalidParameter = error as? SegmentationError else {
          return XCTFail("\(error)")
        }
      }
    }
  }

  /// The number of 4-connected pieces of equal label.
  private func componentCount(_ map: SuperpixelMap) -> Int {
    var seen = [Bool](repeating: false, count: map.labels.count)
    var pieces = 0
    for start in seen.indices where !seen[start] {
      pieces += 1
      var stack = [start]
      seen[start] = true
      while let index = stack.popLast() {
        let (y, x) = (index / map.width, index % map.width)
        for (dy, dx) in [(0, 1), (0, -1), (1, 0), (-1, 0)] {
          let (ny, nx) = (y + dy, x + dx)
          guard ny >= 0, ny < map.height, nx >= 0, nx < map.width else { continue }
          let next = ny * map.width + nx
          if !seen[next], map.labels[next] == map.labels[index] {
            seen[next] = true
            stack.append(next)
          }
        }
      }
    }
    return pieces
  }
}
