import Foundation

/// How an attribute (skin colour, a background, a planted mark) relates to a classifier's
/// decisions for one class: the bias statistics of Stock & Cisse (2018) §5.
///
/// Given, per image, the attribute's value, the true label and the predicted label, it
/// estimates for the class `c`:
/// - `P(value | predicted c)`: what the images the model calls `c` look like;
/// - `P(value | true c, correct)` and `P(value | true c, misclassified)`: whether the images of
///   `c` it gets wrong differ from those it gets right;
/// each with a Wilson interval, plus two contingency tables with a test of association:
/// value × {correct, misclassified} among the images of `c`, and value × {predicted c, predicted
/// other} among all images. Images whose value is unknown (`nil`) are left out.
///
/// ```swift
/// let annotations = try AttributeAnnotations(contentsOf: csvURL)
/// let bias = try AttributeBias(annotations: annotations, attribute: "skin",
///                              imageIDs: ids, trueLabels: truth, predictedLabels: predicted)
/// let report = bias.report(forClass: 430)
/// print(report.values[0].givenPredicted.estimate, report.predictionTest?.pValue ?? 1)
/// ```
public struct AttributeBias: Sendable {
  /// The attribute's name (used in reports).
  public let attribute: String
  /// Per image: the attribute's value (`nil`: unknown).
  public let attributeValues: [String?]
  /// Per image: the true class index.
  public let trueLabels: [Int]
  /// Per image: the predicted class index.
  public let predictedLabels: [Int]
  /// The distinct known values, sorted.
  public let values: [String]

  /// - Throws: `StatisticsError.mismatchedCounts` when the three arrays differ in length.
  public init(
    attribute: String, attributeValues: [String?], trueLabels: [Int], predictedLabels: [Int]
  ) throws {
    guard attributeValues.count == trueLabels.count, trueLabels.count == predictedLabels.count else {
      throw StatisticsError.mismatchedCounts(
        "\(attributeValues.count) attribute values, \(trueLabels.count) true labels, "
          + "\(predictedLabels.count) predicted labels")
    }
    self.attribute = attribute
    self.attributeValues = attributeValues
    self.trueLabels = trueLabels
    self.predictedLabels = predictedLabels
    self.values = Array(Set(attributeValues.compactMap { $0 })).sorted()
  }

  /// The statistics of `attribute` from an annotation file, for the images `imageIDs`.
  ///
  /// - Throws: `StatisticsError.unknownAttribute`, `.unannotatedImage` (naming the file and
  ///   id), `.mismatchedCounts`.
  public init(
    annotations: AttributeAnnotations, attribute: String, imageIDs: [String], trueLabels: [Int],
    predictedLabels: [Int]
  ) throws {
    try self.init(
      attribute: attribute, attributeValues: annotations.values(of: attribute, for: imageIDs),
      trueLabels: trueLabels, predictedLabels: predictedLabels)
  }

  /// The statistics for class `c` at the Wilson interval level `confidence`.
  ///
  /// - Complexity: O(n + v²) for n images and v values.
  public func report(forClass c: Int, confidence: Double = 0.95) -> AttributeBiasReport {
    let known = attributeValues.indices.filter { attributeValues[$0] != nil }
    let predictedC = known.filter { predictedLabels[$0] == c }
    let trueC = known.filter { trueLabels[$0] == c }
    let correct = trueC.filter { predictedLabels[$0] == c }
    let misclassified = trueC.filter { predictedLabels[$0] != c }

    func proportion(of value: String, among images: [Int]) -> EstimatedProportion {
      EstimatedProportion(
        Proportion(successes: images.filter { attributeValues[$0] == value }.count,
          trials: images.count), confidence: confidence)
    }
    let perValue = values.map { value -> AttributeValueStatistics in
      // value vs the rest × predicted c vs not, among all images with a known value.
      let isValue = known.map { attributeValues[$0] == value }
      let isPredicted = known.map { predictedLabels[$0] == c }
      var counts = [[0, 0], [0, 0]]
      for (v, p) in zip(isValue, isPredicted) { counts[v ? 0 : 1][p ? 0 : 1] += 1 }
      let fisher = FisherExactTest(counts)
      return AttributeValueStatistics(
        value: value,
        givenPredicted: proportion(of: value, among: predictedC),
        givenTrueCorrect: proportion(of: value, among: correct),
        givenTrueMisclassified: proportion(of: value, among: misclassified),
        predictedOddsRatio: fisher.oddsRatio, predictedPValue: fisher.pValue(.twoSided))
    }

    let correctness = ContingencyTable(
      rows: trueC.map { attributeValues[$0]! },
      columns: trueC.map { predictedLabels[$0] == c ? "correct" : "misclassified" },
      rowOrder: values, columnOrder: ["correct", "misclassified"])
    let prediction = ContingencyTable(
      rows: known.map { attributeValues[$0]! },
      columns: known.map { predictedLabels[$0] == c ? "predicted \(c)" : "predicted other" },
      rowOrder: values, columnOrder: ["predicted \(c)", "predicted other"])
    return AttributeBiasReport(
      attribute: attribute, classIndex: c, confidence: confidence,
      unknownCount: attributeValues.count - known.count, values: perValue,
      correctnessTable: correctness, correctnessTest: Self.test(correctness),
      predictionTable: prediction, predictionTest: Self.test(prediction))
  }

  /// The association test of a table with its empty rows and columns removed; `nil` when fewer
  /// than two rows or columns remain (nothing to compare).
  static func test(_ table: ContingencyTable) -> AssociationTest? {
    let rows = table.rowTotals.indices.filter { table.rowTotals[$0] > 0 }
    let columns = table.columnTotals.indices.filter { table.columnTotals[$0] > 0 }
    guard rows.count >= 2, columns.count >= 2 else { return nil }
    let pruned = ContingencyTable(
      rowLabels: rows.map { table.rowLabels[$0] }, columnLabels: columns.map { table.columnLabels[$0] },
      counts: rows.map { r in columns.map { table.counts[r][$0] } })
    return try? pruned.associationTest()
  }
}

/// A proportion with its Wilson interval, ready to print or encode.
public struct EstimatedProportion: Sendable, Hashable, Codable {
  /// The counts.
  public let proportion: Proportion
  /// `successes / trials` (NaN without trials).
  public let estimate: Double
  /// The Wilson interval's lower bound.
  public let lower: Double
  /// The Wilson interval's upper bound.
  public let upper: Double

  /// Estimates `proportion` with its Wilson interval at level `confidence`.
  public init(_ proportion: Proportion, confidence: Double = 0.95) {
    self.proportion = proportion
    self.estimate = proportion.estimate
    let interval = proportion.wilsonInterval(confidence: confidence)
    self.lower = interval.lowerBound
    self.upper = interval.upperBound
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(proportion, forKey: .proportion)
    // JSON has no NaN: an empty proportion's estimate is encoded as null.
    try container.encode(estimate.isNaN ? nil : estimate, forKey: .estimate)
    try container.encode(lower, forKey: .lower)
    try container.encode(upper, forKey: .upper)
  }
}

/// The statistics of one attribute value for one class.
public struct AttributeValueStatistics: Sendable, Hashable, Codable {
  /// The attribute value.
  public let value: String
  /// `P(value | predicted c)`.
  public let givenPredicted: EstimatedProportion
  /// `P(value | true c, correctly classified)`.
  public let givenTrueCorrect: EstimatedProportion
  /// `P(value | true c, misclassified)`.
  public let givenTrueMisclassified: EstimatedProportion
  /// The odds ratio of "predicted c" for images with this value against images with another
  /// value (the 2×2 table value/other × predicted c/other); above 1: the value pulls towards c.
  public let predictedOddsRatio: Double
  /// Fisher's exact two-sided p-value for that 2×2 table.
  public let predictedPValue: Double

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(value, forKey: .value)
    try container.encode(givenPredicted, forKey: .givenPredicted)
    try container.encode(givenTrueCorrect, forKey: .givenTrueCorrect)
    try container.encode(givenTrueMisclassified, forKey: .givenTrueMisclassified)
    try container.encode(predictedOddsRatio.isFinite ? predictedOddsRatio : nil, forKey: .predictedOddsRatio)
    try container.encode(predictedPValue, forKey: .predictedPValue)
  }
}

/// Everything `AttributeBias.report(forClass:)` computes for one class.
public struct AttributeBiasReport: Sendable, Hashable, Codable {
  /// The attribute's name.
  public let attribute: String
  /// The class `c`.
  public let classIndex: Int
  /// The Wilson interval level.
  public let confidence: Double
  /// Images left out because their value is unknown.
  public let unknownCount: Int
  /// One entry per known value, sorted by value.
  public let values: [AttributeValueStatistics]
  /// Among images of true class `c`: value × {correct, misclassified}.
  public let correctnessTable: ContingencyTable
  /// The association test of `correctnessTable` (`nil` when it has fewer than two non-empty rows
  /// or columns, e.g. every image of `c` is classified correctly).
  public let correctnessTest: AssociationTest?
  /// Among all images: value × {predicted c, predicted other}.
  public let predictionTable: ContingencyTable
  /// The association test of `predictionTable` (`nil` when degenerate).
  public let predictionTest: AssociationTest?
}
