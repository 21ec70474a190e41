import Tensor
import XCTest

@testable import BiasProbe

final class GramBlocksTests: XCTestCase {
  func testSquaredDistancesThroughGEMMMatchDirectDifferences() {
    var rng = SeededGenerator(seed: 11)
    let features = Tensor.normal([9, 4], mean: 50, standardDeviation: 2, using: &rng)
    let cloud = PointCloud(features)
    let block = cloud.squaredDistances(rows: 2..<5, to: cloud, columns: 1..<9).scalars
    let x = features.scalars
    for r in 0..<3 {
      for c in 0..<8 {
        let (i, j) = (2 + r, 1 + c)
        var direct: Float = 0
        for k in 0..<4 { direct += (x[i * 4 + k] - x[j * 4 + k]) * (x[i * 4 + k] - x[j * 4 + k]) }
        XCTAssertEqual(block[r * 8 + c], direct, accuracy: 1e-3 * max(1, direct))
        XCTAssertGreaterThanOrEqual(block[r * 8 + c].bitPattern >> 31, 0)
      }
    }
  }

  func testUpperBlocksVisitEveryPairOnce() {
    let cloud = PointCloud(Tensor(zeros: [10, 2]))
    var seen = Set<[Int]>()
    cloud.forEachUpperBlock(blockRows: 3) { rows, distances in
      let width = 10 - rows.lowerBound
      XCTAssertEqual(distances.count, rows.count * width)
      for r in 0..<rows.count {
        for c in (r + 1)..<width {
          XCTAssertTrue(seen.insert([rows.lowerBound + r, rows.lowerBound + c]).inserted)
          XCTAssertEqual(distances[r * width + c].bitPattern, 0)  // +0, never −0
        }
      }
    }
    XCTAssertEqual(seen.count, 45)
  }
}
