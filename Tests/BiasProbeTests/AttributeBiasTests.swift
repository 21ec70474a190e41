import Foundation
import XCTest
@testable import BiasProbe

final class AttributeBiasTests: XCTestCase {
  /// A hand-counted example: 12 images, class 1, attribute "mark" (yes/no), one unknown.
  ///
  ///  id  mark  true  predicted
  ///  0   yes   1     1      ← true 1, correct
  ///  1   yes   1     1      ← true 1, correct
  ///  2   yes   1     1      ← true 1, correct
  ///  3   no    1     0      ← true 1, misclassified
  ///  4   no    1     2      ← true 1, misclassified
  ///  5   yes   0     1      ← predicted 1 (wrongly)
  ///  6   yes   2     1      ← predicted 1 (wrongly)
  ///  7   no    0     0
  ///  8   no    2     2
  ///  9   no    0     0
  ///  10  -     1     1      ← unknown: left out
  ///  11  no    1     1      ← true 1, correct
  func testProportionsTablesAndTestsForOneClass() throws {
    let values: [String?] = ["yes", "yes", "yes", "no", "no", "yes", "yes", "no", "no", "no", nil, "no"]
    let truth = [1, 1, 1, 1, 1, 0, 2, 0, 2, 0, 1, 1]
    let predicted = [1, 1, 1, 0, 2, 1, 1, 0, 2, 0, 1, 1]
    let bias = try AttributeBias(
      attribute: "mark", attributeValues: values, trueLabels: truth, predictedLabels: predicted)
    XCTAssertEqual(bias.values, ["no", "yes"])
    let report = bias.report(forClass: 1)
    XCTAssertEqual(report.unknownCount, 1)
    let yes = report.values[1]
    XCTAssertEqual(yes.value, "yes")
    // Predicted 1 (known): ids 0,1,2,5,6,11 → 5 of 6 carry the mark.
    XCTAssertEqual(yes.givenPredicted.proportion, Proportion(successes: 5, trials: 6))
    // True 1, correct: ids 0,1,2,11 → 3 of 4; misclassified: ids 3,4 → 0 of 2.
    XCTAssertEqual(yes.givenTrueCorrect.proportion, Proportion(successes: 3, trials: 4))
    XCTAssertEqual(yes.givenTrueMisclassified.proportion, Proportion(successes: 0, trials: 2))
    let interval = Proportion(successes: 5, trials: 6).wilsonInterval()
    XCTAssertEqual(yes.givenPredicted.lower, interval.lowerBound)
    XCTAssertEqual(yes.givenPredicted.upper, interval.upperBound)
    XCTAssertEqual(report.values[0].givenPredicted.proportion, Proportion(successes: 1, trials: 6))

    XCTAssertEqual(report.correctnessTable.rowLabels, ["no", "yes"])
    XCTAssertEqual(report.correctnessTable.counts, [[1, 2], [3, 0]])
    XCTAssertEqual(report.predictionTable.counts, [[1, 5], [5, 0]])
    // Fisher on [[1, 5], [5, 0]] (scipy.stats.fisher_exact: p = 0.015151515151515152).
    XCTAssertEqual(report.predictionTest?.method, .fisherExact)
    XCTAssertEqual(report.predictionTest?.pValue ?? .nan, 0.015151515151515152, accuracy: 1e-14)
    // The per-value test of "yes" vs the rest is the same table, rows swapped.
    XCTAssertEqual(yes.predictedPValue, 0.015151515151515152, accuracy: 1e-14)
    XCTAssertEqual(yes.predictedOddsRatio, .infinity)
    XCTAssertEqual(report.correctnessTest?.method, .fisherExact)
  }

  func testFromAnAnnotationFileAndDegenerateTables() throws {
    let annotations = try AttributeAnnotations(
      csv: "image,colour\na,red\nb,green\nc,blue\nd,red\n", source: "colours.csv")
    // Rows blue, green, red (sorted); a, b, c are predicted 0, d (red) is predicted 1.
    let bias = try AttributeBias(
      annotations: annotations, attribute: "colour", imageIDs: ["a", "b", "c", "d"],
      trueLabels: [0, 0, 0, 1], predictedLabels: [0, 0, 0, 1])
    let report = bias.report(forClass: 0)
    XCTAssertNil(report.correctnessTest, "every image of class 0 is correct: nothing to compare")
    XCTAssertEqual(report.predictionTable.counts, [[1, 0], [1, 0], [1, 1]])
    // 3×2, tested exactly: the one "predicted other" image falls in blue, green or red with
    // probabilities 1/4, 1/4, 1/2; the observed (red) is the most probable, so p = 1.
    XCTAssertEqual(report.predictionTest?.method, .freemanHalton)
    XCTAssertEqual(report.predictionTest?.statistic ?? 0, 0.5, accuracy: 1e-12)
    XCTAssertEqual(report.predictionTest?.pValue ?? 0, 1, accuracy: 1e-12)
    let json = try JSONEncoder().encode(report)
    XCTAssertNoThrow(try JSONSerialization.jsonObject(with: json))
    XCTAssertThrowsError(try AttributeBias(
      annotations: annotations, attribute: "colour", imageIDs: ["a"], trueLabels: [0, 1],
      predictedLabels: [0])) {
      XCTAssertEqual($0 as? StatisticsError,
        .mismatchedCounts("1 attribute values, 2 true labels, 1 predicted labels"))
    }
  }
}
