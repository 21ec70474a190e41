import Explain
import Foundation
import Imaging
import Models
import Tensor

/// Builds a `HumanStudy` from a `ClassifierEvaluation` of labelled image files: each item shows the
/// image as the model saw it (the preprocessed crop, as JPEG), the model's top-1 answer with its
/// probability, optionally an explanation of that answer (a heat-map overlay) and, for mistakes
/// of a study that shows labels, the WordNet relation between label and answer as a note (left
/// out otherwise, since it would hint at the label).
public struct HumanStudyBuilder {
  /// What turns a decoded photograph into the crop shown (the classifier's preprocessing).
  public var preprocessing: Preprocessing
  /// The explanation drawn next to each image (its map reduced over channels by the largest
  /// absolute value), or `nil` for none.
  public var explanation: (any Attribution)?
  /// When given, a mistake's note names its WordNet distance and common ancestor.
  public var hierarchy: ClassHierarchy?
  /// Whether to show only the top-1 mistakes (the population stays all evaluated images).
  public var mistakesOnly: Bool
  /// JPEG quality of the embedded pictures.
  public var quality: Int

  public init(
    preprocessing: Preprocessing, explanation: (any Attribution)? = nil,
    hierarchy: ClassHierarchy? = nil, mistakesOnly: Bool = false, quality: Int = 90
  ) {
    precondition((1...100).contains(quality), "JPEG quality lies in 1...100, not \(quality).")
    self.preprocessing = preprocessing
    self.explanation = explanation
    self.hierarchy = hierarchy
    self.mistakesOnly = mistakesOnly
    self.quality = quality
  }

  /// The study of `evaluation`, whose items are `images` in the same order.
  ///
  /// - Precondition: `images` and `evaluation.items` match one to one (same names).
  /// - Complexity: one decode and, with an explanation, one attribution per shown image.
  /// - Throws: `ImageError` naming a file that cannot be decoded, `AttributionError`.
  public func study(
    id: String, title: String, evaluation: ClassifierEvaluation, images: [LabelledImage],
    showsLabels: Bool = false, progress: ProgressHandler = WorkProgress.ignore
  ) throws -> HumanStudy {
    precondition(images.map(\.name) == evaluation.items.map(\.name),
      "The images must be those of the evaluation, in its order.")
    let shown = zip(images, evaluation.items).filter { !mistakesOnly || !$0.1.isCorrect }
    var items: [HumanStudy.Item] = []
    progress(WorkProgress(stage: "study pictures", completed: 0, total: shown.count))
    for (image, item) in shown {
      let crop = try preprocessing(ImageFile.decode(contentsOf: image.url))
      let picture = EncodedPicture(
        data: try ImageFile.encode(crop, as: .jpeg(quality: quality), named: image.url.path),
        mediaType: "image/jpeg")
      var explanationPicture: EncodedPicture?
      if let explanation {
        let map = try explanation.attribute(crop, target: item.predictedClass)
          .channelReduced(.maximumAbsolute)
        let overlay = HeatMap.overlay(map, on: crop)
        explanationPicture = EncodedPicture(
          data: try ImageFile.encode(overlay, as: .jpeg(quality: quality)), mediaType: "image/jpeg")
      }
      var note = ""
      if let hierarchy, !item.isCorrect {
        let mistake = hierarchy.mistake(trueClass: item.trueClass, predictedClass: item.predictedClass)
        note = "WordNet: \(mistake.kind.rawValue), distance \(mistake.distance) through "
          + "'\(mistake.ancestorName)'"
      }
      items.append(
        HumanStudy.Item(
          id: image.name, image: picture, answer: evaluation.name(of: item.predictedClass),
          probability: Double(item.predictions[0].probability),
          label: evaluation.name(of: item.trueClass), isMistake: !item.isCorrect,
          explanation: explanationPicture, note: showsLabels ? note : ""))
      progress(WorkProgress(stage: "study pictures", completed: items.count, total: shown.count))
    }
    return HumanStudy(
      id: id, title: title, items: items, population: evaluation.items.count,
      showsLabels: showsLabels)
  }
}
