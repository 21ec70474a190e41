import BiasProbe
import Foundation
import Models
import Tensor
import TestSupport
import XCTest

/// The seeded attacks, selections and searches of BiasProbe give bit-identical results on one
/// and on two threads (`ComputeThreads.set`, which also sets OpenBLAS's threads): the same seed
/// and data give the same images, norms, predictions, indices and scores (every Float's and
/// Double's bit pattern), whatever the thread split of the convolutions, GEMMs and parallel loops.
final class ThreadDeterminismTests: XCTestCase {
  private var savedThreadCount = 1

  override func setUp() {
    savedThreadCount = ComputeThreads.count
  }

  override func tearDown() {
    ComputeThreads.set(savedThreadCount)
  }

  /// `work` computed with 1, then 2 threads.
  private func onOneAndTwoThreads<T>(_ work: () throws -> T) rethrows -> (one: T, two: T) {
    ComputeThreads.set(1)
    let one = try work()
    ComputeThreads.set(2)
    let two = try work()
    return (one, two)
  }

  /// Asserts that two lists of bit patterns are equal, naming how many entries differ.
  private func assertSameBits(
    _ one: [UInt64], _ two: [UInt64], _ name: String, file: StaticString = #filePath,
    line: UInt = #line
  ) {
    XCTAssertEqual(one.count, two.count, "\(name): lengths", file: file, line: line)
    let differing = zip(one, two).filter { $0 != $1 }.count
    XCTAssertEqual(
      differing, 0, "\(name): \(differing) of \(one.count) values differ on 1 and 2 threads",
      file: file, line: line)
  }

  /// Every number of the attack results, as bit patterns: the adversarial pixels, the norms,
  /// the predictions before and after, success and step count.
  private func bits(of results: [AdversarialResult]) -> [UInt64] {
    results.flatMap { result -> [UInt64] in
      let pixels = result.image.scalars.map { UInt64($0.bitPattern) }
      let scalars: [UInt64] = [
        UInt64(result.label), UInt64(bitPattern: Int64(result.target ?? -1)),
        UInt64(result.original.index), UInt64(result.original.probability.bitPattern),
        UInt64(result.adversarial.index), UInt64(result.adversarial.probability.bitPattern),
        result.isSuccessful ? 1 : 0, UInt64(result.l2.bitPattern), UInt64(result.linf.bitPattern),
        UInt64(result.rho.bitPattern), UInt64(result.iterations),
      ]
      return scalars + pixels
    }
  }

  private func bits(of selection: Selection) -> [UInt64] {
    selection.indices.map { UInt64($0) } + selection.scores.map(\.bitPattern)
  }

  // MARK: Attacks on EfficientNet-Lite0 and two photographs

  func testLite0AttacksAreBitIdenticalOnOneAndTwoThreads() throws {
    // Arrange: two photographs as Lite0 sees them, labelled with its own predictions.
    let classifier = try Lite0.classifier()
    let images = Tensor.stack([
      try Lite0.photo("coffee.png", for: classifier), try Lite0.photo("chelsea.png", for: classifier),
    ])
    let attacks: [(String, any Attack)] = [
      ("PGD L∞", try PGD(classifier: classifier, norm: .linf, epsilon: 4 / 255, steps: 2, seed: 7, batchSize: 2)),
      ("PGD L2", try PGD(classifier: classifier, norm: .l2, epsilon: 1, steps: 2, seed: 7, batchSize: 2)),
      ("FGSM", try FGSM(classifier: classifier, epsilon: 2 / 255, batchSize: 2)),
      ("BIM", try BIM(classifier: classifier, epsilon: 4 / 255, stepSize: 1 / 255, steps: 2, batchSize: 2)),
      ("DeepFool", try DeepFool(classifier: classifier, candidates: 3, maxIterations: 2, batchSize: 4)),
    ]
    let labels = attacks[0].1.predictedLabels(images)

    for (name, attack) in attacks {
      // Act
      let (one, two) = try onOneAndTwoThreads { try attack.attack(images, labels: labels) }

      // Assert: identical, and the attack really moved the pixels.
      assertSameBits(bits(of: one), bits(of: two), name)
      XCTAssertTrue(one.allSatisfy { $0.l2 > 0 }, "\(name) left an image unchanged")
    }
  }

  func testAdversarialRankingIsBitIdenticalOnOneAndTwoThreads() throws {
    // Arrange: a mirrored pair of the cat photograph and the coffee photograph, Lite0's labels.
    let classifier = try Lite0.classifier()
    let cat = try Lite0.photo("chelsea.png", for: classifier)
    let images = Tensor.stack([cat, try Lite0.photo("coffee.png", for: classifier), cat * Tensor(0.7)])
    let deepFool = try DeepFool(classifier: classifier, candidates: 3, maxIterations: 3, batchSize: 6)
    let criticism = AdversarialCriticism(attack: deepFool, count: 2)

    // Act
    let (one, two) = try onOneAndTwoThreads { try criticism.rank(images: images, labels: nil) }

    // Assert
    XCTAssertEqual(one.order, two.order)
    assertSameBits(one.robustness.map(\.bitPattern), two.robustness.map(\.bitPattern), "ρ")
    assertSameBits(bits(of: one.results), bits(of: two.results), "DeepFool results")
    XCTAssertEqual(one.results.count, 3)
  }

  func testAdversarialMMDIsBitIdenticalOnOneAndTwoThreads() throws {
    // Arrange: digits of class 3 as the "real" set, the others' first 600 as the "adversarial" one.
    let (features, labels) = try CriticismTestData.digits()
    let real = Tensor.stack(labels.indices.filter { labels[$0] == 3 }.map { features[index: $0] })
    let other = features.sliced(axis: 0, 0..<600).contiguous()

    // Act
    let (one, two) = try onOneAndTwoThreads {
      try AdversarialMMD.compare(real: real, adversarial: other)
    }

    // Assert
    assertSameBits(
      [one.mmdSquared.bitPattern, one.gamma.bitPattern] + one.witness.map(\.bitPattern),
      [two.mmdSquared.bitPattern, two.gamma.bitPattern] + two.witness.map(\.bitPattern),
      "MMD², γ and witness")
  }

  // MARK: MMD-critic on scikit-learn's digits (1797 × 64, blocks of 256 rows)

  func testMMDCriticSelectionsAreBitIdenticalOnOneAndTwoThreads() throws {
    let (features, labels) = try CriticismTestData.digits()
    for scope in RBFKernel.Scope.allCases {
      let options = RBFKernel.Options(bandwidth: .medianHeuristic, scope: scope, blockRows: 256)
      let prototypes = MMDPrototypes(count: 12, kernel: options)

      // Act: the kernel's γ and row sums, the prototypes, the criticisms of each regulariser.
      let (one, two) = try onOneAndTwoThreads { () -> [String: [UInt64]] in
        let kernel = try RBFKernel(features: features, labels: labels, options: options)
        let chosen = prototypes.select(in: kernel)
        var result = [
          "γ": [kernel.gamma.bitPattern], "row sums": kernel.rowSums.map(\.bitPattern),
          "prototypes": bits(of: chosen),
          "rows": kernel.rows(Array(chosen.indices.prefix(3))).flatMap { $0.map(\.bitPattern) },
          "select(from:)": bits(of: try prototypes.select(from: features, labels: labels)),
        ]
        for regularizer in MMDCriticisms.Regularizer.allCases {
          let criticisms = MMDCriticisms(count: 12, regularizer: regularizer, prototypes: prototypes)
          result["criticisms \(regularizer)"] = bits(
            of: criticisms.select(in: kernel, prototypes: chosen.indices))
        }
        return result
      }

      // Assert
      XCTAssertEqual(one.keys.sorted(), two.keys.sorted())
      for key in one.keys.sorted() {
        assertSameBits(one[key]!, two[key]!, "\(scope) \(key)")
      }
      XCTAssertEqual(one["prototypes"]!.count, 24)
    }
  }

  // MARK: Nearest neighbours and features

  func testNearestNeighboursAreBitIdenticalOnOneAndTwoThreads() throws {
    // Arrange: the digits as the reference set (blocks of 500 rows), 40 seeded random queries.
    let (features, labels) = try CriticismTestData.digits()
    var generator = SeededGenerator(seed: 5)
    let queries = Tensor(
      shape: [40, 64], scalars: (0..<40 * 64).map { _ in 16 * generator.nextUnitFloat() })
    for metric in NearestNeighbours.Metric.allCases {
      let index = try NearestNeighbours(
        reference: features, labels: labels.map(String.init), metric: metric, blockSize: 500)

      // Act
      let (one, two) = try onOneAndTwoThreads { try index.neighbours(of: queries, k: 6) }

      // Assert
      XCTAssertEqual(one, two, "\(metric)")
      assertSameBits(
        one.flatMap { $0.map(\.distance.bitPattern) }, two.flatMap { $0.map(\.distance.bitPattern) },
        "\(metric) distances")
      XCTAssertEqual(one.map(\.count), Array(repeating: 6, count: 40))
    }
  }

  func testLite0FeaturesOfPhotographFilesAreBitIdenticalOnOneAndTwoThreads() throws {
    // Arrange: four bundled photographs, decoded in parallel, two per forward pass.
    let classifier = try Lite0.classifier()
    let extractor = FeatureExtractor(classifier: classifier, modelIdentity: "lite0", batchSize: 2)
    let files = try ["astronaut.png", "china.jpg", "horse.png", "rocket.jpg"].map {
      try assetURL("images/\($0)")
    }

    // Act
    let (one, two) = try onOneAndTwoThreads { try extractor.features(ofFiles: files).features }

    // Assert
    XCTAssertEqual(one.shape, [4, 1280])
    assertSameBits(
      one.scalars.map { UInt64($0.bitPattern) }, two.scalars.map { UInt64($0.bitPattern) },
      "features")
  }
}
