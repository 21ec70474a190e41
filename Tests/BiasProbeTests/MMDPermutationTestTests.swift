import Tensor
import XCTest

@testable import BiasProbe

final class MMDPermutationTestTests: XCTestCase {
  func testStatisticIsTheSquaredMMDBetweenTheGroups() throws {
    var rng = SeededGenerator(seed: 3)
    let a = Tensor.normal([12, 4], using: &rng)
    let b = Tensor.normal([9, 4], mean: 0.7, standardDeviation: 1, using: &rng)
    // Interleave the groups so the statistic must follow the flags, not the row order.
    let order = [0, 12, 1, 2, 13, 3, 14, 15, 4, 5, 6, 16, 7, 17, 8, 9, 18, 19, 10, 20, 11]
    let both = Tensor.concatenate([a, b], axis: 0)
    let rows = Tensor.stack(order.map { both.selecting(axis: 0, index: $0) }).contiguous()
    let kernel = try RBFKernel(features: rows, options: .init(bandwidth: .gamma(0.3))).matrix
    let test = MMDPermutationTest(kernel: kernel, inFirstGroup: order.map { $0 < 12 })
    XCTAssertEqual(test.statistic, try MMD.squared(a, b, gamma: 0.3), accuracy: 1e-6)
  }

  func testSeparatedGroupsGetTheSmallestPValueAndMixedGroupsDoNot() throws {
    var rng = SeededGenerator(seed: 5)
    let a = Tensor.normal([30, 2], using: &rng)
    let far = Tensor.normal([30, 2], mean: 4, standardDeviation: 1, using: &rng)
    let same = Tensor.normal([30, 2], using: &rng)
    let groups = (0..<60).map { $0 < 30 }
    for (other, separated) in [(far, true), (same, false)] {
      let kernel = try RBFKernel(features: Tensor.concatenate([a, other], axis: 0)).matrix
      let test = MMDPermutationTest(kernel: kernel, inFirstGroup: groups)
      var permutations = SeededGenerator(seed: 1)
      let p = test.pValue(permutations: 99, using: &permutations)
      if separated {
        XCTAssertEqual(p, 0.01, accuracy: 1e-12, "no relabelling comes close")
      } else {
        XCTAssertGreaterThan(p, 0.05)
      }
      // Same seed, same p-value.
      var again = SeededGenerator(seed: 1)
      XCTAssertEqual(test.pValue(permutations: 99, using: &again), p)
    }
  }
}
