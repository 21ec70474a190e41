import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class MiniBatchesTests: XCTestCase {
  /// Ten 1×1×1 images whose pixel is their index, labelled `index % 3`.
  private let dataset = ImageDataset(
    images: Tensor(shape: [10, 1, 1, 1], scalars: (0..<10).map(Float.init)),
    labels: (0..<10).map { $0 % 3 }, classNames: ["a", "b", "c"])

  func testSequentialBatchesCoverTheDatasetInOrderWithASmallerLastBatch() {
    let batches = Array(MiniBatches(dataset, batchSize: 4))

    XCTAssertEqual(batches.map(\.indices), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
    XCTAssertEqual(batches[2].images.scalars, [8, 9])
    XCTAssertEqual(batches[2].images.shape, [2, 1, 1, 1])
    XCTAssertEqual(batches[1].labels, [1, 2, 0, 1])
  }

  func testDroppingTheLastPartialBatchKeepsOnlyFullBatches() {
    let batches = MiniBatches(dataset, batchSize: 4, dropsLastPartialBatch: true)

    XCTAssertEqual(batches.count, 2)
    XCTAssertEqual(Array(batches).map(\.labels.count), [4, 4])
  }

  func testShuffledBatchesVisitEveryExampleOnceAndImagesFollowTheirLabels() {
    var rng = SeededGenerator(seed: 9)

    let batches = Array(MiniBatches(dataset, batchSize: 3, shuffledUsing: &rng))

    let visited = batches.flatMap(\.indices)
    XCTAssertEqual(visited.sorted(), Array(0..<10))
    XCTAssertNotEqual(visited, Array(0..<10))
    for batch in batches {
      XCTAssertEqual(batch.images.scalars, batch.indices.map(Float.init))
      XCTAssertEqual(batch.labels, batch.indices.map { $0 % 3 })
    }
  }

  func testTheSameSeedGivesTheSameOrderAndAnotherSeedAnother() {
    var first = SeededGenerator(seed: 5)
    var second = SeededGenerator(seed: 5)
    var third = SeededGenerator(seed: 6)

    let a = seededPermutation(1000, using: &first)
    let b = seededPermutation(1000, using: &second)
    let c = seededPermutation(1000, using: &third)

    XCTAssertEqual(a, b)
    XCTAssertNotEqual(a, c)
    XCTAssertEqual(a.sorted(), Array(0..<1000))
  }

  func testPermutationsOfThreeAreUniform() {
    // 6000 permutations of 3: each of the 6 orders about 1000 times. A chi-square statistic
    // with 5 degrees of freedom above 20.5 has probability 0.001 under uniformity.
    var rng = SeededGenerator(seed: 12)
    var counts: [[Int]: Int] = [:]
    for _ in 0..<6000 { counts[seededPermutation(3, using: &rng), default: 0] += 1 }

    XCTAssertEqual(counts.count, 6)
    let chiSquare = counts.values.reduce(0.0) { $0 + pow(Double($1) - 1000, 2) / 1000 }
    XCTAssertLessThan(chiSquare, 20.5, "\(counts)")
  }

  func testEmptyAndSingletonPermutations() {
    var rng = SeededGenerator(seed: 1)
    XCTAssertEqual(seededPermutation(0, using: &rng), [])
    XCTAssertEqual(seededPermutation(1, using: &rng), [0])
  }
}
