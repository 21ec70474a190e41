import Models

/// The top-k errors, per-class errors and confusions of a classifier on labelled images, computed
/// from its ranked predictions.
///
/// - `topKError(k)`: the share of images whose true class is not among the first `k` predictions
///   (top-1 and top-5 error are `k = 1` and `k = 5`).
/// - `perClass(k:)`: the same for the images of each true class, with Wilson intervals from
///   `Proportion`.
/// - `confusions`: how often each (true, predicted) pair occurs among top-1 mistakes, most
///   frequent first.
public struct ClassifierEvaluation: Sendable {
  /// One evaluated image.
  public struct Item: Sendable, Hashable, Codable {
    /// The image's name (its file name in the label file).
    public var name: String
    /// The true class index.
    public var trueClass: Int
    /// The classifier's most probable classes, best first.
    public var predictions: [Prediction]

    /// - Precondition: at least one prediction.
    public init(name: String, trueClass: Int, predictions: [Prediction]) {
      precondition(!predictions.isEmpty, "An evaluated image needs at least one prediction.")
      self.name = name
      self.trueClass = trueClass
      self.predictions = predictions
    }

    /// The top-1 class.
    public var predictedClass: Int { predictions[0].index }
    /// Whether the top-1 class is the true class.
    public var isCorrect: Bool { predictedClass == trueClass }
    /// Whether the true class is among the first `k` predictions.
    public func isCorrect(top k: Int) -> Bool {
      predictions.prefix(k).contains { $0.index == trueClass }
    }
  }

  /// The images, in evaluation order.
  public let items: [Item]
  /// The class names in logit order (for reports).
  public let classNames: [String]

  public init(items: [Item], classNames: [String]) {
    self.items = items
    self.classNames = classNames
  }

  /// The number of predictions every item has: the largest `k` that `topKError` accepts.
  public var rankedCount: Int { items.map(\.predictions.count).min() ?? 0 }

  /// Images whose true class is not among the first `k` predictions, out of all images
  /// (0 of 0 without images).
  ///
  /// - Precondition: `1 <= k <= rankedCount` (evaluate with `top >= k`) unless there are no
  ///   images.
  /// - Complexity: O(images · k).
  public func topKError(_ k: Int) -> Proportion {
    precondition(k >= 1 && (items.isEmpty || k <= rankedCount),
      "Top-\(k) error needs \(k) ranked predictions per image; the items have \(rankedCount).")
    return Proportion(successes: items.filter { !$0.isCorrect(top: k) }.count, trials: items.count)
  }

  /// Top-1 error.
  public var top1Error: Proportion { topKError(1) }

  /// The errors of the images of one true class.
  public struct ClassResult: Sendable, Hashable {
    /// The class index.
    public var classIndex: Int
    /// Its name.
    public var name: String
    /// Top-1 mistakes out of the class's images.
    public var top1Error: Proportion
    /// Top-k mistakes out of the class's images (`k` as asked).
    public var topKError: Proportion
  }

  /// Per true class (the classes with at least one image, by index): top-1 and top-`k` error.
  ///
  /// - Precondition: `1 <= k <= rankedCount`.
  public func perClass(k: Int) -> [ClassResult] {
    precondition(k >= 1 && (items.isEmpty || k <= rankedCount),
      "Top-\(k) error needs \(k) ranked predictions per image; the items have \(rankedCount).")
    var groups: [Int: [Item]] = [:]
    for item in items { groups[item.trueClass, default: []].append(item) }
    return groups.keys.sorted().map { index in
      let group = groups[index]!
      return ClassResult(
        classIndex: index, name: name(of: index),
        top1Error: Proportion(successes: group.filter { !$0.isCorrect }.count, trials: group.count),
        topKError: Proportion(
          successes: group.filter { !$0.isCorrect(top: k) }.count, trials: group.count))
    }
  }

  /// A (true, predicted) pair among top-1 mistakes and how often it occurred.
  public struct Confusion: Sendable, Hashable, Codable {
    public var trueClass: Int
    public var predictedClass: Int
    public var count: Int
  }

  /// The top-1 confusion counts off the diagonal, most frequent first (ties by true class, then
  /// predicted class).
  ///
  /// - Complexity: O(images + pairs log pairs).
  public var confusions: [Confusion] {
    var counts: [Int: [Int: Int]] = [:]
    for item in items where !item.isCorrect {
      counts[item.trueClass, default: [:]][item.predictedClass, default: 0] += 1
    }
    return counts.flatMap { truth, row in
      row.map { Confusion(trueClass: truth, predictedClass: $0.key, count: $0.value) }
    }.sorted {
      ($0.count, -$0.trueClass, -$0.predictedClass) > ($1.count, -$1.trueClass, -$1.predictedClass)
    }
  }

  /// The `limit` most frequent confusions.
  public func mostConfused(_ limit: Int) -> [Confusion] {
    Array(confusions.prefix(max(0, limit)))
  }

  /// The full top-1 confusion counts, `[true][predicted]`, over `classNames.count` classes.
  ///
  /// - Complexity: O(classes² + images) memory and time: 1,000,000 counts for ImageNet.
  public func confusionMatrix() -> [[Int]] {
    let classes = classNames.count
    var matrix = Array(repeating: Array(repeating: 0, count: classes), count: classes)
    for item in items where classNames.indices.contains(item.trueClass)
      && classNames.indices.contains(item.predictedClass)
    {
      matrix[item.trueClass][item.predictedClass] += 1
    }
    return matrix
  }

  /// The name of class `index`, or `"class N"`.
  public func name(of index: Int) -> String {
    classNames.indices.contains(index) ? classNames[index] : "class \(index)"
  }
}
