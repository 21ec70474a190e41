import Tensor
import XCTest

@testable import BiasProbe

final class MMDCriticismsTests: XCTestCase {
  /// Four tight clusters take the four prototypes; two groups of 20 and 16 points elsewhere are
  /// what the prototypes miss. (Checked with the numpy port of `mmd.py` on the same layout.)
  func makeClustersWithOutliers() -> (features: Tensor, groups: [Int]) {
    let centres: [[Float]] = [[0, 0], [10, 0], [0, 10], [10, 10]]
    let (main, _) = CriticismTestData.blobs(centres: centres, count: 40, spread: 0.1, seed: 5)
    let (first, _) = CriticismTestData.blobs(centres: [[5, 5]], count: 20, spread: 0.1, seed: 6)
    let (second, _) = CriticismTestData.blobs(centres: [[20, 20]], count: 16, spread: 0.1, seed: 7)
    let features = Tensor.concatenate([main, first, second], axis: 0)
    let groups = [Int](repeating: 0, count: 160) + [Int](repeating: 1, count: 20)
      + [Int](repeating: 2, count: 16)
    return (features, groups)
  }

  func testCriticismsLandOnTheUnrepresentedGroups() throws {
    let (features, groups) = makeClustersWithOutliers()
    let prototypes = MMDPrototypes(count: 4, kernel: .init(bandwidth: .gamma(0.5)))
    let kernel = try RBFKernel(features: features, options: prototypes.kernel)
    let chosen = prototypes.select(in: kernel).indices
    XCTAssertEqual(chosen.map { groups[$0] }, [0, 0, 0, 0])

    let plain = MMDCriticisms(count: 3, regularizer: .none, prototypes: prototypes)
      .select(in: kernel, prototypes: chosen)
    XCTAssertEqual(plain.indices.map { groups[$0] }, [1, 1, 1])
    // The diversity regulariser moves on to the second group, then to the main clusters.
    let diverse = MMDCriticisms(count: 3, regularizer: .logDeterminant, prototypes: prototypes)
      .select(in: kernel, prototypes: chosen)
    XCTAssertEqual(diverse.indices.map { groups[$0] }, [1, 2, 0])
    XCTAssertEqual(diverse.scores[0], 20.0 / 196, accuracy: 3e-3)  // |w| ≈ group mass
    XCTAssertEqual(Set(plain.indices).intersection(chosen), [])
  }

  /// The first criticism maximises |w(c)| over the non-prototypes, with the witness of ``MMD``.
  func testFirstCriticismMaximisesTheWitnessOfMMD() throws {
    var rng = SeededGenerator(seed: 3)
    let features = Tensor.normal([40, 3], using: &rng)
    let prototypes = MMDPrototypes(count: 5, kernel: .init(bandwidth: .gamma(0.3)))
    let chosen = try prototypes.select(from: features, labels: nil).indices
    let z = Tensor.stack(chosen.map { features.selecting(axis: 0, index: $0) })
    let witness = try MMD.witness(at: features, data: features, prototypes: z, gamma: 0.3)
    let expected = (0..<40).filter { !chosen.contains($0) }.max { abs(witness[$0]) < abs(witness[$1]) }!
    let selection = try MMDCriticisms(count: 1, regularizer: .none, prototypes: prototypes)
      .select(from: features, labels: nil)
    XCTAssertEqual(selection.indices, [expected])
    XCTAssertEqual(selection.scores[0], abs(witness[expected]), accuracy: 1e-5)
  }

  func testDigitsMatchTheReferenceImplementation() throws {
    let golden = try CriticismTestData.golden()
    let (features, labels) = try CriticismTestData.digits()
    for reference in golden.cases {
      let options = RBFKernel.Options(
        bandwidth: .gamma(reference.gamma), scope: RBFKernel.Scope(rawValue: reference.scope)!)
      let kernel = try RBFKernel(features: features, labels: labels, options: options)
      let prototypes = MMDPrototypes(count: golden.prototypeCount, kernel: options)
      XCTAssertEqual(prototypes.select(in: kernel).indices, reference.prototypes)
      for regularizer in MMDCriticisms.Regularizer.allCases {
        let expected = try XCTUnwrap(reference.criticisms[regularizer.rawValue])
        let selection = MMDCriticisms(
          count: golden.criticismCount, regularizer: regularizer, prototypes: prototypes
        ).select(in: kernel, prototypes: reference.prototypes)
        XCTAssertEqual(selection.indices, expected.indices, "\(reference.scope) \(regularizer)")
        for (score, value) in zip(selection.scores, expected.scores) {
          XCTAssertEqual(score, value, accuracy: 1e-4 * max(1, abs(value)))
        }
      }
    }
  }

  /// Duplicates make K_CC singular once nothing else is left: no crash, distinct locations first.
  func testDuplicatesAndSingularLogDeterminant() throws {
    let locations: [Float] = [0, 0, 0, 0, 3, 3, 3, 7, 7]
    let features = Tensor(shape: [9, 1], scalars: locations)
    let prototypes = MMDPrototypes(count: 1, kernel: .init(bandwidth: .gamma(0.5)))
    let criticisms = try MMDCriticisms(count: 8, regularizer: .logDeterminant, prototypes: prototypes)
      .select(from: features, labels: nil)
    XCTAssertEqual(criticisms.indices.count, 8)
    XCTAssertEqual(Set(criticisms.indices).count, 8)
    let firstLocations = Set(criticisms.indices.prefix(3).map { locations[$0] })
    XCTAssertEqual(firstLocations.count, 3)
    XCTAssertFalse(criticisms.scores.contains { $0.isNaN })
  }

  func testClassWithOneExampleUnderTheLocalKernel() throws {
    var (features, labels) = CriticismTestData.blobs(centres: [[0, 0], [4, 4]], count: 10, spread: 1, seed: 2)
    features = Tensor.concatenate([features, Tensor(shape: [1, 2], scalars: [9, -9])], axis: 0)
    labels.append(7)
    let options = RBFKernel.Options(scope: .local)
    for regularizer in MMDCriticisms.Regularizer.allCases {
      let selector = MMDCriticisms(
        count: 5, regularizer: regularizer, prototypes: MMDPrototypes(count: 3, kernel: options))
      let selection = try selector.select(from: features, labels: labels)
      XCTAssertEqual(selection.indices.count, 5)
      XCTAssertFalse(selection.scores.contains { $0.isNaN })
    }
    // One point alone: one prototype, no criticism left.
    let single = Tensor(shape: [1, 2], scalars: [1, 2])
    let alone = try MMDCriticisms(count: 2, prototypes: MMDPrototypes(count: 1))
      .select(from: single, labels: nil)
    XCTAssertEqual(alone.indices, [])
  }
}
