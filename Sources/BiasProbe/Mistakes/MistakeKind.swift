/// How close a predicted class is to the true one in WordNet.
public enum MistakeKind: String, Sendable, Hashable, Codable, CaseIterable {
  /// The prediction is the true class (distance 0).
  case sameClass = "same class"
  /// A close neighbour: the two classes share a parent or grandparent on short paths
  /// (distance ≤ `MistakeScale.neighbourMaximum`, 2 by default): tabby / tiger cat, Siberian
  /// husky / malamute (both sled dogs), sports car / convertible.
  case neighbour
  /// Related: the lowest common ancestor is a few steps up (distance ≤
  /// `MistakeScale.relatedMaximum`, 4 by default): Siberian husky / Eskimo dog (working dogs).
  case related
  /// A different thing: espresso / tiger cat (14), tench / toilet tissue (21).
  case different
}

/// The distance thresholds that turn a WordNet path length into a `MistakeKind`.
///
/// The defaults (2 and 4) come from the distances between ImageNet classes in WordNet 3.0
/// (`Tools/make_wordnet_fixtures.py`): among the 6,903 pairs of the 118 dog breeds, 360 are at
/// distance 2, 540 at 3, 1,091 at 4 and the rest at 5 to 9 (a husky and a beagle: 6, through
/// `dog`); among 300 random pairs of classes, 4 are at distance ≤ 4 and the median is 13.
/// Distance alone cannot separate every "other dog breed" from "another domestic animal"
/// (husky / tabby is also 6, through `domestic animal`), so the ancestor's name is reported with
/// each mistake.
public struct MistakeScale: Sendable, Hashable, Codable {
  /// The largest distance counted as `.neighbour`.
  public var neighbourMaximum: Int
  /// The largest distance counted as `.related`.
  public var relatedMaximum: Int

  /// - Precondition: `1 <= neighbourMaximum <= relatedMaximum`.
  public init(neighbourMaximum: Int, relatedMaximum: Int) {
    precondition(
      1 <= neighbourMaximum && neighbourMaximum <= relatedMaximum,
      "Thresholds need 1 <= neighbourMaximum (\(neighbourMaximum)) <= relatedMaximum "
        + "(\(relatedMaximum)).")
    self.neighbourMaximum = neighbourMaximum
    self.relatedMaximum = relatedMaximum
  }

  /// Neighbour up to 2, related up to 4.
  public static let `default` = MistakeScale(neighbourMaximum: 2, relatedMaximum: 4)

  /// The kind of a mistake at `distance` edges.
  public func kind(of distance: Int) -> MistakeKind {
    switch distance {
    case 0: return .sameClass
    case ...neighbourMaximum: return .neighbour
    case ...relatedMaximum: return .related
    default: return .different
    }
  }
}
