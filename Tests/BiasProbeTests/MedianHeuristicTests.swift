import Tensor
import XCTest

@testable import BiasProbe

final class MedianHeuristicTests: XCTestCase {
  func testMedianOfOddAndEvenPairCounts() {
    // 3 points: squared distances 1, 4, 9 → median 4.
    XCTAssertEqual(
      MedianHeuristic.medianSquaredDistance(of: Tensor(shape: [3, 1], scalars: [0, 1, 3])), 4)
    // 4 points on a line 0, 1, 2, 10: distances² 1, 4, 100, 1, 81, 64 → sorted 1 1 4 64 81 100
    // → median (4 + 64)/2 = 34.
    XCTAssertEqual(
      MedianHeuristic.medianSquaredDistance(of: Tensor(shape: [4, 1], scalars: [0, 1, 2, 10]),
        blockRows: 3), 34)
  }

  func testMedianOnDigitsMatchesNumPy() throws {
    // np.median of the squared distances over distinct pairs (Tools/make_mmd_critic_fixtures.py).
    let golden = try CriticismTestData.golden()
    let (features, _) = try CriticismTestData.digits()
    let first200 = features.sliced(axis: 0, 0..<200)
    XCTAssertEqual(
      MedianHeuristic.medianSquaredDistance(of: first200)!, golden.first200MedianSquaredDistance)
    // Over all 1.6 million pairs one single-precision distance lands 1 ulp off the integer 2410.
    XCTAssertEqual(
      try MedianHeuristic.gamma(for: features), golden.medianHeuristicGamma,
      accuracy: 1e-6 * golden.medianHeuristicGamma)
  }

  func testDegenerateInputs() {
    XCTAssertNil(MedianHeuristic.medianSquaredDistance(of: Tensor(zeros: [1, 3])))
    XCTAssertEqual(try MedianHeuristic.gamma(for: Tensor(zeros: [1, 3])), 1)
    XCTAssertThrowsError(try MedianHeuristic.gamma(for: Tensor(zeros: [4, 3]))) {
      XCTAssertEqual($0 as? SelectionError, .zeroMedianDistance)
    }
  }
}
