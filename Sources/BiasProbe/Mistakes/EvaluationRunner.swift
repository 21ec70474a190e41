import Foundation
import Imaging
import Models
import Tensor

/// Runs a classifier over labelled image files in batches and collects a `ClassifierEvaluation`.
///
/// Each batch is decoded (`ImageFile.decode`) and preprocessed (`Preprocessing`, e.g. shorter
/// side 256 and centre crop 224) on all cores (`ComputeThreads.parallelFor`), then goes through
/// the classifier as one `[batchSize, 3, H, W]` tensor; memory is bounded by one batch.
public struct EvaluationRunner: Sendable {
  /// The classifier evaluated.
  public var classifier: any ImageClassifier
  /// What turns a decoded photograph into the classifier's input.
  public var preprocessing: Preprocessing
  /// Images per forward pass.
  public var batchSize: Int
  /// How many ranked predictions to keep per image (5 for top-5 error).
  public var top: Int

  /// - Precondition: `batchSize >= 1`, `top >= 1`.
  public init(
    classifier: any ImageClassifier, preprocessing: Preprocessing, batchSize: Int = 32,
    top: Int = 5
  ) {
    precondition(batchSize >= 1, "batchSize must be at least 1, not \(batchSize).")
    precondition(top >= 1, "top must be at least 1, not \(top).")
    self.classifier = classifier
    self.preprocessing = preprocessing
    self.batchSize = batchSize
    self.top = top
  }

  /// Uses the `Classifier`'s own preprocessing.
  public init(classifier: Classifier, batchSize: Int = 32, top: Int = 5) {
    self.init(
      classifier: classifier, preprocessing: classifier.preprocessing, batchSize: batchSize,
      top: top)
  }

  /// Decodes, preprocesses and classifies every image; reports `"evaluation"` progress per batch.
  ///
  /// - Complexity: one forward pass per image, in batches of `batchSize`.
  /// - Throws: `ImageError` (naming the file) when an image cannot be decoded,
  ///   `ClassifierError.wrongImageShape` when it is too small for the preprocessing,
  ///   `EvaluationError.classOutOfRange` when a true class exceeds the classifier's classes.
  public func evaluate(
    _ images: [LabelledImage], progress: ProgressHandler = WorkProgress.ignore
  ) throws -> ClassifierEvaluation {
    let classCount = classifier.classNames.count
    for image in images where !(0..<classCount).contains(image.trueClass) {
      throw EvaluationError.classOutOfRange(name: image.name, trueClass: image.trueClass, classCount: classCount)
    }
    var items: [ClassifierEvaluation.Item] = []
    items.reserveCapacity(images.count)
    progress(WorkProgress(stage: "evaluation", completed: 0, total: images.count))
    for start in stride(from: 0, to: images.count, by: batchSize) {
      let batch = Array(images[start..<min(start + batchSize, images.count)])
      let inputs = try prepare(batch)
      let logits = classifier.logits(Tensor.stack(inputs))
      let ranked = classifier.topPredictions(logits: logits, k: top)
      for (image, predictions) in zip(batch, ranked) {
        items.append(ClassifierEvaluation.Item(name: image.name, trueClass: image.trueClass, predictions: predictions))
      }
      progress(WorkProgress(stage: "evaluation", completed: items.count, total: images.count))
    }
    return ClassifierEvaluation(items: items, classNames: classifier.classNames)
  }

  /// Classifies an in-memory dataset: `images` `[N, 3, H, W]` already at the classifier's input
  /// size (no preprocessing), in batches of `batchSize`; `names[i]` (default `"i"`) names image
  /// `i`. Reports `"evaluation"` progress per batch.
  ///
  /// - Precondition: `images` is `[N, 3, H, W]` and `trueClasses` (and `names`, when given) has
  ///   `N` entries.
  /// - Throws: `EvaluationError.classOutOfRange` when a true class exceeds the classifier's.
  public func evaluate(
    images: Tensor, trueClasses: [Int], names: [String]? = nil,
    progress: ProgressHandler = WorkProgress.ignore
  ) throws -> ClassifierEvaluation {
    precondition(images.rank == 4 && images.shape[1] == 3,
      "A dataset is [N, 3, H, W], not \(images.shape).")
    let count = images.shape[0]
    precondition(trueClasses.count == count,
      "\(trueClasses.count) true classes for \(count) images.")
    precondition(names == nil || names!.count == count, "\(names!.count) names for \(count) images.")
    let names = names ?? (0..<count).map(String.init)
    let classCount = classifier.classNames.count
    for (name, trueClass) in zip(names, trueClasses) where !(0..<classCount).contains(trueClass) {
      throw EvaluationError.classOutOfRange(name: name, trueClass: trueClass, classCount: classCount)
    }
    var items: [ClassifierEvaluation.Item] = []
    items.reserveCapacity(count)
    progress(WorkProgress(stage: "evaluation", completed: 0, total: count))
    for start in stride(from: 0, to: count, by: batchSize) {
      let end = min(start + batchSize, count)
      let logits = classifier.logits(images.sliced(axis: 0, start..<end).contiguous())
      for (offset, predictions) in classifier.topPredictions(logits: logits, k: top).enumerated() {
        items.append(
          ClassifierEvaluation.Item(
            name: names[start + offset], trueClass: trueClasses[start + offset],
            predictions: predictions))
      }
      progress(WorkProgress(stage: "evaluation", completed: items.count, total: count))
    }
    return ClassifierEvaluation(items: items, classNames: classifier.classNames)
  }

  /// The network inputs `[3, H, W]` of a batch, decoded and preprocessed in parallel.
  func prepare(_ batch: [LabelledImage]) throws -> [Tensor] {
    var results = [Result<Tensor, any Error>?](repeating: nil, count: batch.count)
    let preprocessing = self.preprocessing
    results.withUnsafeMutableBufferPointer { slots in
      // Each iteration writes its own slot.
      ComputeThreads.parallelFor(batch.count) { i in
        slots[i] = Result {
          try preprocessing(ImageFile.decode(contentsOf: batch[i].url))
        }
      }
    }
    return try results.map { try $0!.get() }
  }
}

/// Why an evaluation cannot run.
public enum EvaluationError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A labelled image's class is not one of the classifier's.
  case classOutOfRange(name: String, trueClass: Int, classCount: Int)

  public var description: String {
    switch self {
    case .classOutOfRange(let name, let trueClass, let classCount):
      return "\(name): class \(trueClass) is outside the classifier's 0..<\(classCount)."
    }
  }
}
