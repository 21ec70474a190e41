import XCTest

@testable import Tensor

final class ThreadingTests: XCTestCase {
  func testParallelForRunsEveryIterationOnce() {
    withComputeThreads(2) {
      var hits = [Int](repeating: 0, count: 1000)
      hits.withUnsafeMutableBufferPointer { buffer in
        let counts = UncheckedSendable(buffer)
        ComputeThreads.parallelFor(1000) { counts.value[$0] += 1 }
      }
      XCTAssertEqual(hits, [Int](repeating: 1, count: 1000))
    }
  }

  func testKernelsInsideAParallelLoopSeeOneThread() {
    withComputeThreads(2) {
      var seen = [Int](repeating: 0, count: 2)
      seen.withUnsafeMutableBufferPointer { buffer in
        let counts = UncheckedSendable(buffer)
        ComputeThreads.parallelFor(2) { counts.value[$0] = ComputeThreads.count }
      }
      // Both chunks ran on the pool (one on the caller, one on a worker) and saw one thread;
      // outside the loop the setting is back.
      XCTAssertEqual(seen, [1, 1])
      XCTAssertEqual(ComputeThreads.count, 2)
    }
  }

  func testAConvolutionInsideAParallelLoopMatchesItsSerialResult() {
    // Arrange: two images, each convolved on its own inside the loop (serially there).
    var rng = SeededGenerator(seed: 3)
    let images = (0..<2).map { _ in Tensor.normal([1, 8, 30, 30], using: &rng) }
    let weight = Tensor.normal([16, 8, 3, 3], using: &rng)
    let serial = withComputeThreads(1) {
      images.map { Tensor.convolution2D($0, weight: weight).scalars }
    }
    // Act
    var results = [[Float]](repeating: [], count: 2)
    withComputeThreads(2) {
      results.withUnsafeMutableBufferPointer { buffer in
        let outputs = UncheckedSendable(buffer)
        ComputeThreads.parallelFor(2) { index in
          outputs.value[index] = Tensor.convolution2D(images[index], weight: weight).scalars
        }
      }
    }
    // Assert
    XCTAssertEqual(results, serial)
  }
}
