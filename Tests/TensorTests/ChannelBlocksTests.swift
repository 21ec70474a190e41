import Tensor
import TestSupport
import XCTest

final class ChannelBlocksTests: XCTestCase {
  func testBlockPlacesEachChannelInItsLaneAndZeroesThePadding() {
    // Arrange: 20 channels (one whole block and 4 lanes of a second) of a 2×3 plane, each value
    // naming its channel and position.
    let (channels, positions) = (20, 6)
    let planar = Tensor(
      shape: [1, channels, 2, 3], scalars: (0..<(channels * positions)).map(Float.init))
    // Act
    let blocked = ChannelBlocks.blocked(planar)
    // Assert
    XCTAssertEqual(ChannelBlocks.blockCount(channels), 2)
    XCTAssertEqual(blocked.count, 32 * positions)
    let values = blocked.scalars
    for c in 0..<32 {
      for p in 0..<positions {
        let stored = values[((c / 16) * positions + p) * 16 + c % 16]
        XCTAssertEqual(stored, c < channels ? Float(c * positions + p) : 0, "c \(c) p \(p)")
      }
    }
  }

  func testPlanarUndoesBlocked() {
    var rng = SeededGenerator(seed: 3)
    for channels in [1, 16, 17, 40] {
      let map = Tensor.uniform([1, channels, 5, 7], low: -1, high: 1, using: &rng)
      let back = ChannelBlocks.planar(
        ChannelBlocks.blocked(map), channels: channels, height: 5, width: 7)
      XCTAssertEqual(back.shape, map.shape)
      XCTAssertEqual(back.scalars, map.scalars)
    }
  }

  func testAveragePoolIsTheMeanOfEachChannel() {
    // Arrange
    var rng = SeededGenerator(seed: 4)
    let (channels, height, width) = (40, 7, 7)
    let map = Tensor.uniform([1, channels, height, width], low: 0, high: 6, using: &rng)
    let blocked = ChannelBlocks.blocked(map)
    var pooled = [Float](repeating: .nan, count: channels)
    // Act
    blocked.withUnsafeBufferPointer { x in
      pooled.withUnsafeMutableBufferPointer { y in
        ChannelBlocks.averagePool(
          x.baseAddress!, channels: channels, positions: height * width, into: y.baseAddress!)
      }
    }
    // Assert
    let expected = map.mean(alongAxes: [2, 3]).scalars
    assertAllClose(
      Tensor(shape: [channels], scalars: pooled), Tensor(shape: [channels], scalars: expected),
      absoluteTolerance: 1e-5, relativeTolerance: 1e-6)
  }
}
