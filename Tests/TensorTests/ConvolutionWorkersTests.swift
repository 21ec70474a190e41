import XCTest

@testable import Tensor

final class ConvolutionWorkersTests: XCTestCase {
  func testTilesCoverEveryPositionOnceAndStayNearTheCacheBudget() {
    // The 3×3 64→64 convolution on 56×56: 576 × 3136 floats of patches.
    let tiling = ConvolutionTiling(patchSize: 576, outputPlane: 3136, units: 1, workers: 2)
    var covered = 0
    for tile in 0..<tiling.tileCount {
      let positions = tiling.positions(tile, outputPlane: 3136)
      XCTAssertEqual(positions.lowerBound, covered)
      covered = positions.upperBound
      XCTAssertLessThanOrEqual(
        576 * positions.count * 4, ConvolutionTiling.targetBytes + 576 * 4 * 16)
    }
    XCTAssertEqual(covered, 3136)
    XCTAssertEqual(tiling.tileCount % 2, 0, "two workers get the same number of tiles")
  }

  func testSmallPlanesAreOneTile() {
    let tiling = ConvolutionTiling(patchSize: 27, outputPlane: 100, units: 64, workers: 2)
    XCTAssertEqual(tiling.tileCount, 1)
    XCTAssertEqual(tiling.tileSize, 100)
    XCTAssertFalse(tiling.splitsRows)
  }

  func testTilesNeverGetNarrowerThanTheMinimumForManyChannels() {
    // ResNet's 3×3 512→512 stage at 14×14: 4608 rows would fit only 21 positions in the cache
    // budget, but every GEMM call repacks the 512 × 4608 weights.
    let tiling = ConvolutionTiling(patchSize: 4608, outputPlane: 196, units: 1, workers: 2)
    XCTAssertEqual(tiling.tileCount, 2)
    XCTAssertGreaterThanOrEqual(tiling.tileSize, ConvolutionTiling.minimumTile / 2)
    XCTAssertFalse(tiling.splitsRows)
  }

  func testSevenBySevenAtBatchOneSplitsRowsInsteadOfTiles() {
    let tiling = ConvolutionTiling(patchSize: 4608, outputPlane: 49, units: 1, workers: 2)
    XCTAssertEqual(tiling.tileCount, 1)
    XCTAssertTrue(tiling.splitsRows)
    XCTAssertFalse(
      ConvolutionTiling(patchSize: 4608, outputPlane: 49, units: 1, workers: 1).splitsRows)
  }

  func testOneByOneKernelsTakeWholePlanesSplitOnlyForTheWorkers() {
    // ResNet's 1×1 256→64 on 56×56: no im2col, so one GEMM per plane (each tile would pack the
    // weights again), halved when two workers share one image.
    let one = ConvolutionTiling(
      patchSize: 256, outputPlane: 3136, units: 1, workers: 1, wholePlanes: true)
    XCTAssertEqual(one.tileCount, 1)
    XCTAssertEqual(one.tileSize, 3136)
    let two = ConvolutionTiling(
      patchSize: 256, outputPlane: 3136, units: 1, workers: 2, wholePlanes: true)
    XCTAssertEqual(two.tileCount, 2)
    let batch = ConvolutionTiling(
      patchSize: 256, outputPlane: 3136, units: 32, workers: 2, wholePlanes: true)
    XCTAssertEqual(batch.tileCount, 1)
  }

  func testEveryItemRunsOnceAcrossWorkers() {
    let lock = NSLock()
    var seen = [Int](repeating: 0, count: 37)
    ConvolutionWorkers.run(workers: 2, items: 37, scratchCount: 8) { _, range, scratch in
      scratch.update(repeating: 1, count: 8)
      lock.lock()
      for item in range { seen[item] += 1 }
      lock.unlock()
    }
    XCTAssertEqual(seen, [Int](repeating: 1, count: 37))
  }
}
