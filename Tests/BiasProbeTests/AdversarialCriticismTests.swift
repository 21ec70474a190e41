import BiasProbe
import Models
import Tensor
import TestSupport
import XCTest

final class AdversarialCriticismTests: XCTestCase {
  func testRankingOrdersByDecreasingRobustnessWithUnflippedFirstAndTiesInInputOrder() {
    // Arrange: ρ of five images; image 1 was not flipped (+∞), image 2 was misclassified (0).
    let ranking = AdversarialRanking(robustness: [0.1, .infinity, 0, 0.3, 0.1])

    // Act
    let prototypes = ranking.prototypes(count: 2)
    let criticisms = ranking.criticisms(count: 2)
    let disjoint = ranking.criticisms(count: 5, excludingPrototypes: 3)

    // Assert
    XCTAssertEqual(ranking.order, [1, 3, 0, 4, 2])
    XCTAssertEqual(prototypes.indices, [1, 3])
    XCTAssertEqual(prototypes.scores, [.infinity, 0.3])
    XCTAssertEqual(criticisms.indices, [2, 0])
    XCTAssertEqual(criticisms.scores, [0, 0.1])
    XCTAssertEqual(disjoint.indices, [2, 4])
  }

  /// A "class" of four views of the cat photograph (original, mirrored, zoomed, darkened) plus
  /// the coffee photograph, all labelled as the cat's class (Lite0's class of the original),
  /// ranked on Lite0.
  func testLite0RankingOfACatClassIsOrderedByRhoAndDeterministic() throws {
    // Arrange
    let classifier = try Lite0.classifier()
    let cat = try Lite0.photo("chelsea.png", for: classifier)
    let zoomed = cat.sliced(axis: 1, 28..<196).sliced(axis: 2, 28..<196).contiguous()
      .resized(height: 224, width: 224)
    let darker = cat * Tensor(0.6)
    let images = Tensor.stack([
      cat, ProbeFixtures.mirrored(cat), zoomed, darker, try Lite0.photo("coffee.png", for: classifier),
    ])
    let deepFool = try DeepFool(classifier: classifier, candidates: 3, maxIterations: 20)
    let label = deepFool.predictedLabels(cat.expandingShape(at: 0))[0]
    let labels = Array(repeating: label, count: 5)
    let criticism = AdversarialCriticism(attack: deepFool, count: 2, role: .prototypes)

    // Act
    let ranking = try criticism.rank(images: images, labels: labels)
    let again: any ImageExampleSelector = criticism
    let viaProtocol = try again.select(images: images, labels: labels, progress: WorkProgress.ignore)

    // Assert
    print("adversarial ranking, class \(label) (\(classifier.classNames[label])): ρ = \(ranking.robustness), order \(ranking.order)")
    XCTAssertEqual(ranking.results.count, 5)
    for (index, result) in ranking.results.enumerated() {
      XCTAssertEqual(ranking.robustness[index], result.isSuccessful ? Double(result.rho) : .infinity)
    }
    let ordered = ranking.order.map { ranking.robustness[$0] }
    XCTAssertEqual(ordered, ordered.sorted(by: >))
    XCTAssertEqual(Set(ranking.order), Set(0..<5))
    // Images not predicted as the cat's class (the coffee photograph, and here the zoomed view,
    // which Lite0 calls another class) have ρ = 0 and are the first criticisms, in input order.
    let predicted = deepFool.predictedLabels(images)
    let misclassified = (0..<5).filter { predicted[$0] != label }
    XCTAssertTrue(misclassified.contains(4))
    XCTAssertEqual(ranking.criticisms(count: misclassified.count).indices, misclassified)
    for index in 0..<5 {
      if misclassified.contains(index) {
        XCTAssertEqual(ranking.robustness[index], 0)
      } else {
        XCTAssertGreaterThan(ranking.robustness[index], 0)
      }
    }
    // The same images again: bit-identical ρ, the same prototypes.
    XCTAssertEqual(viaProtocol, ranking.prototypes(count: 2))
  }

  func testFeatureSpaceSelectorEqualsTheSelectorOnTheClassifiersFeatures() throws {
    // Arrange
    let classifier = try Lite0.classifier()
    let images = Tensor.stack(try ["chelsea.png", "coffee.png", "horse.png", "rocket.jpg", "camera.png"]
      .map { try Lite0.photo($0, for: classifier) })
    let selector = FeatureSpaceSelector(MMDPrototypes(count: 2), classifier: classifier, batchSize: 2)

    // Act
    let selected = try selector.select(images: images, labels: nil, progress: WorkProgress.ignore)
    let direct = try MMDPrototypes(count: 2).select(from: classifier.features(images), labels: nil)

    // Assert
    XCTAssertEqual(selected.indices, direct.indices)
    assertAllClose(
      Tensor(shape: [2], scalars: selected.scores.map(Float.init)),
      Tensor(shape: [2], scalars: direct.scores.map(Float.init)), absoluteTolerance: 1e-4)
  }
}
