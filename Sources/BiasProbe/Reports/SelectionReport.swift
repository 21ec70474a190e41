import Explain
import Foundation
import Models
import Tensor

/// What a contact sheet or an HTML report shows: titled sections (e.g. "prototypes" and
/// "criticisms") of images with a caption, a score and optionally a saliency overlay.
///
/// The report only takes images and numbers, so it works with any selector (MMD-critic, the
/// adversarial ranking, a user's own): build it from indices and scores with
/// `init(title:images:captions:sections:explaining:target:)`, or item by item.
public struct SelectionReport: Sendable {
  /// One image of a section.
  public struct Item: Sendable {
    /// The image, `[3, H, W]` in [0, 1] (a `[1, H, W]` gray image is replicated to RGB).
    public let image: Tensor
    /// A short text (file name, label); ASCII renders on contact sheets, anything in HTML.
    public let caption: String
    /// The selector's score (witness value, robustness ρ...), if any.
    public let score: Double?
    /// A saliency overlay `[3, H, W]` (e.g. `HeatMap.overlay`), if any.
    public let overlay: Tensor?

    /// - Precondition: `image` (and `overlay`) are `[1 or 3, H, W]`.
    public init(image: Tensor, caption: String, score: Double? = nil, overlay: Tensor? = nil) {
      self.image = Self.rgb(image)
      self.caption = caption
      self.score = score
      self.overlay = overlay.map(Self.rgb)
    }

    static func rgb(_ image: Tensor) -> Tensor {
      precondition(image.rank == 3 && (image.shape[0] == 1 || image.shape[0] == 3),
        "A report image is [1 or 3, H, W], not \(image.shape).")
      if image.shape[0] == 3 { return image.contiguous() }
      return Tensor.concatenate([image, image, image].map { $0.contiguous() }, axis: 0)
    }

    /// The caption followed by the score (`"file.png  0.123"`).
    public var label: String {
      guard let score else { return caption }
      return caption.isEmpty ? Self.format(score) : "\(caption) \(Self.format(score))"
    }

    /// A score with four significant digits.
    static func format(_ score: Double) -> String {
      String(format: abs(score) >= 1e4 || (abs(score) < 1e-3 && score != 0) ? "%.3e" : "%.4g", score)
    }
  }

  /// A titled group of items, e.g. "prototypes".
  public struct Section: Sendable {
    /// The heading.
    public let title: String
    /// The items, in selection order.
    public let items: [Item]

    public init(title: String, items: [Item]) {
      self.title = title
      self.items = items
    }
  }

  /// An index into a dataset with the selector's score for it.
  public struct ScoredIndex: Sendable, Hashable, Codable {
    /// The dataset row.
    public let index: Int
    /// The score (`nil`: none).
    public let score: Double?

    public init(index: Int, score: Double? = nil) {
      self.index = index
      self.score = score
    }
  }

  /// The report's title, e.g. `"class 3: dress"`.
  public let title: String
  /// A paragraph under the title (plain text), if any.
  public let summary: String?
  /// The sections, in order.
  public let sections: [Section]

  public init(title: String, summary: String? = nil, sections: [Section]) {
    self.title = title
    self.summary = summary
    self.sections = sections
  }

  /// A report from a dataset and selected indices: one section per `(title, selection)` pair, each
  /// item the image at that index, captioned by `captions[index]` (default `"#index"`), with the
  /// score and, when `attribution` is given, the overlay of its map for `target` on the image.
  ///
  /// - Parameters:
  ///   - images: `[N, C, H, W]` with C = 1 or 3 (what the classifier takes).
  ///   - attribution: e.g. `Saliency(classifier:)`; the map is `channelReduced(.maximumAbsolute)`
  ///     and drawn with `HeatMap.overlay` (viridis, 99th-percentile clipping, alpha 0.5).
  ///   - target: the class explained (required with `attribution`).
  /// - Throws: `ReportError.indexOutOfRange`, `.missingTarget`, and the attribution's errors.
  /// - Complexity: one attribution per selected item.
  public init(
    title: String, summary: String? = nil, images: Tensor, captions: [String]? = nil,
    sections: [(title: String, selection: [ScoredIndex])],
    explaining attribution: (any Attribution)? = nil, target: Int? = nil
  ) throws {
    precondition(images.rank == 4, "Report images are [N, C, H, W], not \(images.shape).")
    if attribution != nil && target == nil { throw ReportError.missingTarget }
    let n = images.shape[0]
    var built: [Section] = []
    for (sectionTitle, selection) in sections {
      var items: [Item] = []
      for scored in selection {
        guard (0..<n).contains(scored.index) else {
          throw ReportError.indexOutOfRange(scored.index, count: n, section: sectionTitle)
        }
        let image = images[index: scored.index].contiguous()
        var overlay: Tensor? = nil
        if let attribution, let target {
          let map = try attribution.attribute(image, target: target).channelReduced(.maximumAbsolute)
          overlay = HeatMap.overlay(map, on: Item.rgb(image))
        }
        items.append(Item(
          image: image, caption: captions?[scored.index] ?? "#\(scored.index)", score: scored.score,
          overlay: overlay))
      }
      built.append(Section(title: sectionTitle, items: items))
    }
    self.init(title: title, summary: summary, sections: built)
  }
}

/// Errors from building or writing a report.
public enum ReportError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A selected index is not a row of the images.
  case indexOutOfRange(Int, count: Int, section: String)
  /// An attribution was given without the class to explain.
  case missingTarget
  /// The report could not be written.
  case unwritable(String, reason: String)

  public var description: String {
    switch self {
    case .indexOutOfRange(let index, let count, let section):
      return "Section '\(section)': index \(index) is outside the \(count) images."
    case .missingTarget: return "An attribution overlay needs the target class."
    case .unwritable(let path, let reason): return "\(path): cannot write the report (\(reason))."
    }
  }
}
