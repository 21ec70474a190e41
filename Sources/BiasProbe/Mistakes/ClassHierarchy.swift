import Foundation

/// The classes of an ImageNet classifier placed in WordNet: one synset per class index, so that a
/// mistake (true class, predicted class) gets a distance, a lowest common ancestor and a
/// `MistakeKind` ("a neighbouring dog breed" or "a different thing").
public struct ClassHierarchy: Sendable {
  /// The noun hierarchy.
  public let wordNet: WordNet
  /// The WordNet id of each class, in logit order (`"n01440764"` for class 0, tench).
  public let classIDs: [String]
  /// The synset offset of each class.
  public let classOffsets: [Int]
  /// The thresholds that turn a distance into a `MistakeKind`.
  public var scale: MistakeScale

  /// Places the classes whose WordNet ids are `classIDs` (logit order) in `wordNet`.
  ///
  /// - Throws: `WordNetError.unknownID` when an id has no synset (`file` is `source`, `line` the
  ///   1-based class index + 1), `.malformedID` for a malformed id.
  public init(wordNet: WordNet, classIDs: [String], source: String = "<ids>", scale: MistakeScale = .default)
    throws
  {
    var offsets: [Int] = []
    offsets.reserveCapacity(classIDs.count)
    for (index, id) in classIDs.enumerated() {
      guard let offset = WordNet.offset(ofID: id) else {
        throw WordNetError.malformedID(file: source, line: index + 1, text: id)
      }
      guard wordNet.synsets[offset] != nil else {
        throw WordNetError.unknownID(file: source, line: index + 1, id: id)
      }
      offsets.append(offset)
    }
    self.wordNet = wordNet
    self.classIDs = classIDs
    self.classOffsets = offsets
    self.scale = scale
  }

  /// Reads WordNet's `data.noun` and a file of WordNet ids, one per line in class order
  /// (`Assets/labels/imagenet_wnids.txt`).
  ///
  /// - Parameter expectedClassCount: when given, the id file must have exactly this many lines.
  /// - Throws: `WordNetError` naming the file and line of the first problem.
  public init(
    wordNet wordNetURL: URL, classIDs idsURL: URL, expectedClassCount: Int? = nil,
    scale: MistakeScale = .default
  ) throws {
    let wordNet = try WordNet(contentsOf: wordNetURL)
    let ids = try Self.readIDs(contentsOf: idsURL)
    if let expected = expectedClassCount, ids.count != expected {
      throw WordNetError.wrongClassCount(file: idsURL.path, expected: expected, found: ids.count)
    }
    try self.init(wordNet: wordNet, classIDs: ids, source: idsURL.path, scale: scale)
  }

  /// The non-empty lines of an id file, each checked to be `n` + 8 digits.
  ///
  /// - Throws: `WordNetError.unreadable`, `.malformedID` (file, line), `.empty`.
  public static func readIDs(contentsOf url: URL) throws -> [String] {
    guard let data = FileManager.default.contents(atPath: url.path),
      let text = String(data: data, encoding: .utf8)
    else { throw WordNetError.unreadable(file: url.path) }
    var ids: [String] = []
    for (number, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
      if line.isEmpty { continue }
      guard WordNet.offset(ofID: line) != nil else {
        throw WordNetError.malformedID(file: url.path, line: number + 1, text: line)
      }
      ids.append(line)
    }
    guard !ids.isEmpty else { throw WordNetError.empty(file: url.path) }
    return ids
  }

  /// The class index whose WordNet id is `id`, if any.
  public func classIndex(ofID id: String) -> Int? {
    classIDs.firstIndex(of: id)
  }

  /// How far a predicted class is from the true one.
  public struct Mistake: Sendable, Hashable, Codable {
    /// The true class index.
    public var trueClass: Int
    /// The predicted class index.
    public var predictedClass: Int
    /// Edges up from both classes to their lowest common ancestor, summed (0: the same class).
    public var distance: Int
    /// The lowest common ancestor's WordNet id.
    public var ancestorID: String
    /// The ancestor's first word (`"sled dog"`).
    public var ancestorName: String
    /// The verdict of the distance on `scale`.
    public var kind: MistakeKind
  }

  /// The WordNet relation between a true and a predicted class.
  ///
  /// - Precondition: both are class indices.
  /// - Complexity: O(ancestors · depth), microseconds.
  public func mistake(trueClass: Int, predictedClass: Int) -> Mistake {
    precondition(classOffsets.indices.contains(trueClass), "Class \(trueClass) is out of range.")
    precondition(
      classOffsets.indices.contains(predictedClass), "Class \(predictedClass) is out of range.")
    // WordNet 3.0's nouns share the root `entity`, so a relation always exists.
    guard let relation = wordNet.relation(classOffsets[trueClass], classOffsets[predictedClass]),
      let ancestor = wordNet.synsets[relation.ancestor]
    else {
      return Mistake(
        trueClass: trueClass, predictedClass: predictedClass, distance: Int.max,
        ancestorID: "", ancestorName: "", kind: .different)
    }
    return Mistake(
      trueClass: trueClass, predictedClass: predictedClass, distance: relation.distance,
      ancestorID: ancestor.id, ancestorName: ancestor.name, kind: scale.kind(of: relation.distance))
  }

  /// The path length between two classes through their lowest common ancestor (symmetric).
  public func distance(_ first: Int, _ second: Int) -> Int {
    mistake(trueClass: first, predictedClass: second).distance
  }
}
