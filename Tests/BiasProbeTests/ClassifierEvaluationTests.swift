import Models
import XCTest

@testable import BiasProbe

final class ClassifierEvaluationTests: XCTestCase {
  /// Ranked predictions from class indices, probabilities irrelevant here.
  private func item(_ name: String, truth: Int, _ ranking: [Int]) -> ClassifierEvaluation.Item {
    ClassifierEvaluation.Item(
      name: name, trueClass: truth,
      predictions: ranking.map { Prediction(index: $0, label: "c\($0)", probability: 0.1) })
  }

  private var evaluation: ClassifierEvaluation {
    // Class 0: 3 images, one top-1 mistake (→ 1) caught by top-2, one mistake (→ 2) missed.
    // Class 1: 2 images, one mistake (→ 0) caught by top-3. Class 2: 1 image, correct.
    ClassifierEvaluation(
      items: [
        item("a", truth: 0, [0, 1, 2]), item("b", truth: 0, [1, 0, 2]),
        item("c", truth: 0, [2, 1, 3]), item("d", truth: 1, [1, 0, 2]),
        item("e", truth: 1, [0, 2, 1]), item("f", truth: 2, [2, 0, 1]),
      ], classNames: ["zero", "one", "two", "three"])
  }

  func testTopKErrorCountsImagesWhoseTruthIsNotInTheFirstK() {
    let evaluation = self.evaluation

    XCTAssertEqual(evaluation.top1Error, Proportion(successes: 3, trials: 6))
    XCTAssertEqual(evaluation.topKError(2), Proportion(successes: 2, trials: 6))
    XCTAssertEqual(evaluation.topKError(3), Proportion(successes: 1, trials: 6))
    XCTAssertEqual(evaluation.rankedCount, 3)
  }

  func testPerClassErrorsWithWilsonIntervals() {
    let perClass = evaluation.perClass(k: 2)

    XCTAssertEqual(perClass.map(\.classIndex), [0, 1, 2])
    XCTAssertEqual(perClass.map(\.name), ["zero", "one", "two"])
    XCTAssertEqual(perClass.map(\.top1Error.successes), [2, 1, 0])
    XCTAssertEqual(perClass.map(\.top1Error.trials), [3, 2, 1])
    XCTAssertEqual(perClass.map(\.topKError.successes), [1, 1, 0])
    // Wilson interval of 2/3 at 95%: closed form (p + z²/2n ± z√(p(1−p)/n + z²/4n²))/(1 + z²/n).
    let interval = perClass[0].top1Error.wilsonInterval()
    XCTAssertEqual(interval.lowerBound, 0.2076596, accuracy: 1e-6)
    XCTAssertEqual(interval.upperBound, 0.9385081, accuracy: 1e-6)
  }

  func testConfusionsAreTheOffDiagonalPairsMostFrequentFirst() {
    let extra = ClassifierEvaluation(
      items: evaluation.items + [item("g", truth: 0, [2, 0, 1])], classNames: evaluation.classNames)

    let confusions = extra.confusions

    XCTAssertEqual(confusions.map(\.trueClass), [0, 0, 1])
    XCTAssertEqual(confusions.map(\.predictedClass), [2, 1, 0])
    XCTAssertEqual(confusions.map(\.count), [2, 1, 1])
    XCTAssertEqual(extra.mostConfused(1).map(\.count), [2])
    let matrix = extra.confusionMatrix()
    XCTAssertEqual(matrix[0], [1, 1, 2, 0])
    XCTAssertEqual(matrix[1], [1, 1, 0, 0])
    XCTAssertEqual(matrix.flatMap { $0 }.reduce(0, +), 7)
  }

  func testAnEmptyEvaluationHasNoErrorsAndNoClasses() {
    let empty = ClassifierEvaluation(items: [], classNames: ["zero"])

    XCTAssertEqual(empty.top1Error, Proportion(successes: 0, trials: 0))
    XCTAssertEqual(empty.topKError(5), Proportion(successes: 0, trials: 0))
    XCTAssertTrue(empty.perClass(k: 5).isEmpty)
    XCTAssertTrue(empty.confusions.isEmpty)
  }
}
