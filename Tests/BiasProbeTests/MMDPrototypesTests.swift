import Tensor
import XCTest

@testable import BiasProbe

final class MMDPrototypesTests: XCTestCase {
  /// For |S| = 1 the greedy choice is the exact maximiser of J(S) = 2/n Σ_j K_cj − K_cc.
  func testFirstPrototypeIsTheBruteForceOptimum() throws {
    for seed in 0..<5 as Range<UInt64> {
      var rng = SeededGenerator(seed: seed)
      let features = Tensor.normal([12, 3], using: &rng)
      let kernel = try RBFKernel(features: features, options: .init(bandwidth: .gamma(0.4)))
      let dense = CriticismTestData.bruteForceKernel(features, gamma: 0.4)
      let best = (0..<12).max { MMDPrototypes.objective([$0], kernel: dense) < MMDPrototypes.objective([$1], kernel: dense) }!
      XCTAssertEqual(MMDPrototypes(count: 1).select(in: kernel).indices, [best])
    }
  }

  /// A re-implementation that adds, at each step, the candidate maximising J(S ∪ {c}) evaluated
  /// from scratch on the brute-force kernel makes the same choices in the same order.
  func testGreedyMatchesBruteForceGreedyOnTheObjective() throws {
    var rng = SeededGenerator(seed: 42)
    let features = Tensor.normal([30, 4], using: &rng)
    let dense = CriticismTestData.bruteForceKernel(features, gamma: 0.25)
    var expected: [Int] = []
    for _ in 0..<8 {
      let next = (0..<30).filter { !expected.contains($0) }.max {
        MMDPrototypes.objective(expected + [$0], kernel: dense)
          < MMDPrototypes.objective(expected + [$1], kernel: dense)
      }!
      expected.append(next)
    }
    let selection = try MMDPrototypes(count: 8, kernel: .init(bandwidth: .gamma(0.25)))
      .select(from: features, labels: nil)
    XCTAssertEqual(selection.indices, expected)
    // The dense kernel and the blocked one agree too.
    XCTAssertEqual(MMDPrototypes(count: 8).select(in: dense).indices, expected)
  }

  func testOnePrototypePerDenseCluster() throws {
    let centres: [[Float]] = [[0, 0], [10, 0], [0, 10], [10, 10], [5, 5]]
    let (features, labels) = CriticismTestData.blobs(centres: centres, count: 30, spread: 0.3, seed: 9)
    let selection = try MMDPrototypes(count: 5, kernel: .init(bandwidth: .gamma(0.5)))
      .select(from: features, labels: labels)
    XCTAssertEqual(Set(selection.indices.map { labels[$0] }), Set(0..<5))
    // J(S) = mean K − MMD²(X, S) grows along the greedy path.
    let dense = CriticismTestData.bruteForceKernel(features, gamma: 0.5)
    let path = (1...5).map { MMDPrototypes.objective(Array(selection.indices.prefix($0)), kernel: dense) }
    XCTAssertEqual(path, path.sorted())
  }

  func testDigitsMatchTheReferenceImplementation() throws {
    let golden = try CriticismTestData.golden()
    let (features, labels) = try CriticismTestData.digits()
    for reference in golden.cases {
      let options = RBFKernel.Options(
        bandwidth: .gamma(reference.gamma), scope: RBFKernel.Scope(rawValue: reference.scope)!)
      let selection = try MMDPrototypes(count: golden.prototypeCount, kernel: options)
        .select(from: features, labels: labels)
      XCTAssertEqual(selection.indices, reference.prototypes, reference.scope)
      for (score, expected) in zip(selection.scores, reference.prototypeScores) {
        XCTAssertEqual(score, expected, accuracy: 1e-5)
      }
    }
  }

  func testCountBeyondThePointsSelectsEveryPointOnce() throws {
    let features = Tensor(shape: [3, 1], scalars: [0, 1, 5])
    let selection = try MMDPrototypes(count: 10).select(from: features, labels: nil)
    XCTAssertEqual(selection.indices.sorted(), [0, 1, 2])
    XCTAssertEqual(try MMDPrototypes(count: 0).select(from: features, labels: nil).indices, [])
  }
}
