import ArgumentParser
import BiasProbe
import Foundation
import Models
import Tensor

/// `demo evaluate FOLDER --labels FILE`: top-1 / top-k error of EfficientNet-Lite0 on a labelled
/// folder, per class, and the most confused pairs with their WordNet distance.
struct Evaluate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Evaluate EfficientNet-Lite0 on a folder of labelled photographs.",
    discussion: """
      The label file has one 'filename,label' row per image (a tab may replace the comma); the \
      label is a class index (967), an ImageNet WordNet id (n07920052) or a class name \
      (espresso). Lines starting with # and a 'filename,label' header are skipped. See \
      Docs/Mistakes.md.

      Prints the top-1 and top-k error with 95% Wilson intervals, the error of each class and \
      the most confused (true, predicted) pairs with their WordNet distance, common ancestor and \
      kind (neighbour ≤ 2, related ≤ 4, different). With --json prints one object: {"images", \
      "top", "top1Error", "topKError", "perClass", "confused", "mistakeKinds", "items"}, each \
      error as {"errors", "images", "rate", "low", "high"}.
      """)

  @Argument(help: "The folder holding the images.", completion: .directory)
  var folder: String

  @Option(help: "The label file (CSV or TSV: filename,label).", completion: .file())
  var labels: String

  @Option(help: "k of the top-k error (and predictions kept per image).")
  var top = 5

  @Option(help: "Images per forward pass.")
  var batchSize = 32

  @Option(help: "How many confused pairs to list.")
  var confused = 10

  @Flag(help: "Print one JSON object instead of tables.")
  var json = false

  @Flag(help: "No progress on stderr.")
  var quiet = false

  @OptionGroup var resources: MistakeResources

  func validate() throws {
    guard top >= 1 else { throw ValidationError("--top must be at least 1.") }
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1.") }
    guard confused >= 0 else { throw ValidationError("--confused must be at least 0.") }
  }

  func run() throws {
    if let threads = resources.threads { ComputeThreads.set(threads) }
    Classify.keepFreedMemory()
    let (classifier, hierarchy) = try resources.load()
    guard top <= classifier.classNames.count else {
      throw ValidationError("--top must be at most the \(classifier.classNames.count) classes.")
    }
    let images = try LabelFile.read(
      contentsOf: URL(fileURLWithPath: labels), folder: URL(fileURLWithPath: folder),
      classNames: classifier.classNames, classIDs: hierarchy.classIDs)
    let progress = ProgressLine(quiet: quiet)
    let evaluation = try EvaluationRunner(classifier: classifier, batchSize: batchSize, top: top)
      .evaluate(images, progress: progress.handler)
    let report = EvaluationReport(evaluation: evaluation, hierarchy: hierarchy, top: top, confused: confused)
    if json {
      print(try report.json())
    } else {
      report.printTables()
    }
  }
}

/// The model, class names and WordNet files the mistake commands share.
struct MistakeResources: ParsableArguments {
  @Option(help: "The EfficientNet-Lite0 checkpoint.")
  var model = "Assets/models/efficientnet-lite0.pth"

  @Option(help: "The class names, one per line, in logit order.")
  var classNames = "Assets/labels/imagenet_classes.txt"

  @Option(help: "The WordNet id of each class, one per line, in logit order.")
  var wordnetIDs = "Assets/labels/imagenet_wnids.txt"

  @Option(help: "WordNet 3.0's noun data file.")
  var wordnet = "Assets/wordnet/data.noun"

  @Option(help: "Threads for the numeric kernels (default: all cores).")
  var threads: Int?

  func validate() throws {
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1.") }
  }

  /// The classifier and its classes placed in WordNet.
  func load() throws -> (Classifier, ClassHierarchy) {
    let classifier = try Classifier.efficientNetLite0(
      weights: URL(fileURLWithPath: model), labels: URL(fileURLWithPath: classNames))
    let hierarchy = try ClassHierarchy(
      wordNet: URL(fileURLWithPath: wordnet), classIDs: URL(fileURLWithPath: wordnetIDs),
      expectedClassCount: classifier.classNames.count)
    return (classifier, hierarchy)
  }
}

/// What `demo evaluate` prints.
struct EvaluationReport {
  let evaluation: ClassifierEvaluation
  let hierarchy: ClassHierarchy
  let top: Int
  let confused: Int

  private var mistakes: [(ClassifierEvaluation.Confusion, ClassHierarchy.Mistake)] {
    evaluation.mostConfused(confused).map {
      ($0, hierarchy.mistake(trueClass: $0.trueClass, predictedClass: $0.predictedClass))
    }
  }

  /// Top-1 mistakes by WordNet kind.
  private var kindCounts: [MistakeKind: Int] {
    var counts: [MistakeKind: Int] = [:]
    for item in evaluation.items where !item.isCorrect {
      counts[hierarchy.mistake(trueClass: item.trueClass, predictedClass: item.predictedClass).kind, default: 0] += 1
    }
    return counts
  }

  func printTables() {
    let images = evaluation.items.count
    print("\(images) image(s)")
    print("top-1 error  " + Self.text(evaluation.top1Error))
    print("top-\(top) error  " + Self.text(evaluation.topKError(top)))
    let kinds = kindCounts
    let mistakeCount = evaluation.top1Error.successes
    if mistakeCount > 0 {
      print(
        "top-1 mistakes by WordNet distance: "
          + [MistakeKind.neighbour, .related, .different].map { "\(kinds[$0] ?? 0) \($0.rawValue)" }
          .joined(separator: ", "))
    }
    print("\nper class: top-1 errors, top-\(top) errors")
    for result in evaluation.perClass(k: top) {
      print(
        String(format: "  %4d  ", result.classIndex)
          + result.name.padding(toLength: 28, withPad: " ", startingAt: 0) + " " + Self.text(result.top1Error) + "   " + Self.text(result.topKError))
    }
    let pairs = mistakes
    guard !pairs.isEmpty else { return }
    print("\nmost confused (true → predicted: count, WordNet distance via common ancestor)")
    for (confusion, mistake) in pairs {
      print(
        "  \(evaluation.name(of: confusion.trueClass)) → \(evaluation.name(of: confusion.predictedClass)): "
          + "\(confusion.count), \(mistake.kind.rawValue), distance \(mistake.distance) via "
          + "\(mistake.ancestorName)")
    }
  }

  func json() throws -> String {
    let kinds = kindCounts
    let object: [String: Any] = [
      "images": evaluation.items.count,
      "top": top,
      "top1Error": Self.object(evaluation.top1Error),
      "topKError": Self.object(evaluation.topKError(top)),
      "perClass": evaluation.perClass(k: top).map { result in
        [
          "index": result.classIndex, "label": result.name,
          "top1Error": Self.object(result.top1Error), "topKError": Self.object(result.topKError),
        ] as [String: Any]
      },
      "confused": mistakes.map { confusion, mistake in
        [
          "true": confusion.trueClass, "trueLabel": evaluation.name(of: confusion.trueClass),
          "predicted": confusion.predictedClass,
          "predictedLabel": evaluation.name(of: confusion.predictedClass),
          "count": confusion.count, "distance": mistake.distance, "ancestor": mistake.ancestorName,
          "ancestorID": mistake.ancestorID, "kind": mistake.kind.rawValue,
        ] as [String: Any]
      },
      "mistakeKinds": Dictionary(
        uniqueKeysWithValues: [MistakeKind.neighbour, .related, .different].map { ($0.rawValue, kinds[$0] ?? 0) }),
      "items": evaluation.items.map { item in
        [
          "file": item.name, "true": item.trueClass, "predicted": item.predictedClass,
          "probability": Double(item.predictions[0].probability),
          "top": item.predictions.map(\.index),
        ] as [String: Any]
      },
    ]
    let data = try JSONSerialization.data(
      withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
  }

  /// `2/5  40.0% [11.8%, 76.9%]`.
  static func text(_ proportion: Proportion) -> String {
    let interval = proportion.wilsonInterval()
    return String(
      format: "%d/%d %6.1f%% [%.1f%%, %.1f%%]", proportion.successes, proportion.trials,
      100 * (proportion.trials > 0 ? proportion.estimate : 0), 100 * interval.lowerBound,
      100 * interval.upperBound)
  }

  /// `{"errors", "images", "rate", "low", "high"}` (95% Wilson interval).
  static func object(_ proportion: Proportion, count: String = "errors", total: String = "images")
    -> [String: Any]
  {
    let interval = proportion.wilsonInterval()
    return [
      count: proportion.successes, total: proportion.trials,
      "rate": proportion.trials > 0 ? proportion.estimate : 0, "low": interval.lowerBound,
      "high": interval.upperBound,
    ]
  }
}
