import Foundation

/// A human study of a classifier's answers, as in Stock & Cisse (2018): each person sees every
/// image with the model's top-1 answer (optionally with an explanation picture) and says whether
/// the answer is correct, an acceptable mistake, or wrong. `HumanStudyPage` renders it as one
/// self-contained HTML page; `HumanStudyVerdicts` reads the files the page saves;
/// `HumanStudyScore` turns them into the rectified error and agreement rates.
public struct HumanStudy: Sendable, Hashable {
  /// One image shown to the annotators.
  public struct Item: Sendable, Hashable {
    /// A unique id (the image's file name in the label file).
    public var id: String
    /// The picture, encoded as PNG or JPEG.
    public var image: EncodedPicture
    /// The model's top-1 answer (a class name).
    public var answer: String
    /// The model's probability for its answer, shown when present.
    public var probability: Double?
    /// The dataset's label (a class name).
    public var label: String
    /// Whether the answer differs from the label (a top-1 mistake).
    public var isMistake: Bool
    /// An optional explanation picture (a heat map overlay) shown next to the image.
    public var explanation: EncodedPicture?
    /// A short text under the answer, e.g. the WordNet relation of a mistake; may be empty.
    public var note: String

    public init(
      id: String, image: EncodedPicture, answer: String, probability: Double? = nil,
      label: String, isMistake: Bool, explanation: EncodedPicture? = nil, note: String = ""
    ) {
      self.id = id
      self.image = image
      self.answer = answer
      self.probability = probability
      self.label = label
      self.isMistake = isMistake
      self.explanation = explanation
      self.note = note
    }
  }

  /// Identifies the study; every verdict file names it, and files of different studies are
  /// never scored together.
  public var id: String
  /// The page title.
  public var title: String
  /// What the annotator is asked (shown above the images).
  public var instructions: String
  /// The images, in the order shown.
  public var items: [Item]
  /// How many images the evaluation behind the study covered (the denominator of the error
  /// rates); at least `items.count`, larger when only some images (e.g. the mistakes) are shown.
  public var population: Int
  /// Whether the page shows each image's dataset label next to the model's answer.
  public var showsLabels: Bool

  /// - Precondition: item ids are unique and non-empty; `population >= items.count`.
  public init(
    id: String, title: String, instructions: String = HumanStudy.defaultInstructions,
    items: [Item], population: Int? = nil, showsLabels: Bool = false
  ) {
    precondition(!id.isEmpty, "A study needs an id.")
    precondition(Set(items.map(\.id)).count == items.count, "Study item ids must be unique.")
    precondition(items.allSatisfy { !$0.id.isEmpty }, "Study item ids must not be empty.")
    let population = population ?? items.count
    precondition(population >= items.count,
      "The population (\(population)) cannot be smaller than the \(items.count) items shown.")
    self.id = id
    self.title = title
    self.instructions = instructions
    self.items = items
    self.population = population
    self.showsLabels = showsLabels
  }

  /// The question of the paper's study.
  public static let defaultInstructions = """
    For each picture, a neural network gave the answer shown. Is the answer acceptable for this \
    picture? Choose “correct” if it names what the picture shows, “acceptable” if it is a \
    reasonable answer although not the expected one (another object in the picture, a very \
    similar class, an ambiguous picture), and “wrong” otherwise. Keys: 1 or C, 2 or A, 3 or W; \
    ← and → move between pictures. When done, press “Download verdicts” and send the file.
    """
}

/// An encoded picture (PNG or JPEG bytes) that a page embeds as a `data:` URI.
public struct EncodedPicture: Sendable, Hashable {
  /// The encoded bytes.
  public var data: Data
  /// `"image/png"` or `"image/jpeg"`.
  public var mediaType: String

  /// - Precondition: `mediaType` is `image/png` or `image/jpeg`.
  public init(data: Data, mediaType: String) {
    precondition(["image/png", "image/jpeg"].contains(mediaType),
      "Pictures are image/png or image/jpeg, not \(mediaType).")
    self.data = data
    self.mediaType = mediaType
  }

  /// `data:<mediaType>;base64,<bytes>`.
  public var dataURI: String { "data:\(mediaType);base64,\(data.base64EncodedString())" }
}

/// A person's verdict on the model's answer for one image.
public enum Verdict: String, Sendable, Hashable, Codable, CaseIterable {
  /// The answer names what the image shows.
  case correct
  /// Not the label, but an acceptable answer (another object in the image, a near class,
  /// an ambiguous image or a wrong label).
  case acceptable
  /// The answer is wrong.
  case wrong

  /// Whether the person accepts the answer (`correct` or `acceptable`).
  public var accepts: Bool { self != .wrong }
}
