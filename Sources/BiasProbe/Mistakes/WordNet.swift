import Foundation

/// The noun hierarchy of WordNet 3.0, read from its `data.noun` file (Debian `wordnet-base`,
/// `/usr/share/wordnet/data.noun`): each synset with its words and its hypernyms, enough to walk
/// from two ImageNet classes up to their lowest common ancestor.
///
/// Format (wndb(5)): lines starting with two spaces are the licence; every other line is one
/// synset, `offset lex_filenum ss_type w_cnt word lex_id ... p_cnt pointer... | gloss`, where the
/// offset has 8 decimal digits, `w_cnt` 2 hexadecimal digits, `p_cnt` 3 decimal digits and each
/// pointer is `symbol offset pos source/target` (`@ 02778669 n 0000`). The hierarchy here follows
/// `@` (hypernym) and `@i` (instance hypernym) pointers to nouns, as NLTK's
/// `shortest_path_distance` does. A synset's WordNet id is `n` + its offset (`n02110185`).
///
/// Distances climb only: `distance(x, y) = min over common ancestors a of (up(x, a) + up(y, a))`,
/// `up` being the fewest hypernym edges from a synset to an ancestor (a synset is its own
/// ancestor at 0). The *lowest common ancestor* is the ancestor reaching that minimum; ties go to
/// the deeper ancestor (`depth`: fewest edges up to a root), then to the smaller offset.
/// `Tools/make_wordnet_fixtures.py` computes the same quantities with an independent Python
/// parser; `Tests/Fixtures/Mistakes/wordnet_golden.json` holds its answers.
public struct WordNet: Sendable {
  /// One noun synset.
  public struct Synset: Sendable, Hashable {
    /// The byte offset in `data.noun`, which identifies the synset (`2110185` for `n02110185`).
    public var offset: Int
    /// Its words (lemmas) in file order, underscores kept (`"Siberian_husky"`).
    public var words: [String]
    /// The offsets of its hypernyms and instance hypernyms, in file order.
    public var hypernyms: [Int]

    /// The WordNet id, `n` + the 8-digit offset.
    public var id: String { WordNet.id(offset: offset) }
    /// The first word with spaces for underscores (`"Siberian husky"`).
    public var name: String { (words.first ?? id).replacingOccurrences(of: "_", with: " ") }
  }

  /// Every synset, by offset.
  public let synsets: [Int: Synset]

  /// Reads `data.noun`.
  ///
  /// - Complexity: O(file size); about 82,000 synsets.
  /// - Throws: `WordNetError.unreadable` / `.notUTF8` for the file, `.malformedLine` (file and
  ///   1-based line) for a synset line that does not follow the format, `.danglingPointer` for a
  ///   hypernym offset naming no synset, `.empty` when no synset was found.
  public init(contentsOf url: URL) throws {
    guard let data = FileManager.default.contents(atPath: url.path) else {
      throw WordNetError.unreadable(file: url.path)
    }
    try self.init(data: data, source: url.path)
  }

  /// Parses the bytes of a `data.noun` file; `source` names it in errors.
  public init(data: Data, source: String = "<data>") throws {
    var synsets: [Int: Synset] = [:]
    synsets.reserveCapacity(90_000)
    var lineNumber = 0
    var failure: WordNetError?
    data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
      let bytes = raw.bindMemory(to: UInt8.self)
      var start = 0
      while start < bytes.count, failure == nil {
        var end = start
        while end < bytes.count && bytes[end] != 0x0A { end += 1 }
        lineNumber += 1
        let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
        start = end + 1
        // Licence lines start with a space; blank lines (a trailing newline) are skipped.
        if line.isEmpty || line[0] == 0x20 || line[0] == 0x0D { continue }
        do {
          let synset = try Self.parseSynset(line)
          synsets[synset.offset] = synset
        } catch let reason as LineProblem {
          failure = .malformedLine(file: source, line: lineNumber, reason: reason.text)
        } catch {
          failure = .malformedLine(file: source, line: lineNumber, reason: "\(error)")
        }
      }
    }
    if let failure { throw failure }
    guard !synsets.isEmpty else { throw WordNetError.empty(file: source) }
    for synset in synsets.values {
      for parent in synset.hypernyms where synsets[parent] == nil {
        throw WordNetError.danglingPointer(file: source, from: synset.id, to: Self.id(offset: parent))
      }
    }
    self.synsets = synsets
  }

  /// `n` + the offset in 8 digits.
  public static func id(offset: Int) -> String {
    let digits = String(offset)
    return "n" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
  }

  /// The offset of a WordNet id such as `n02110185`, or `nil` when `id` is not `n` + 8 digits.
  public static func offset(ofID id: String) -> Int? {
    let utf8 = Array(id.utf8)
    guard utf8.count == 9, utf8[0] == UInt8(ascii: "n"),
      utf8.dropFirst().allSatisfy({ (0x30...0x39).contains($0) })
    else { return nil }
    return Int(id.dropFirst())
  }

  /// The synset with WordNet id `id` (`n02110185`), if the file has it.
  public func synset(id: String) -> Synset? {
    Self.offset(ofID: id).flatMap { synsets[$0] }
  }

  /// The fewest hypernym edges from `offset` up to each of its ancestors (itself at 0),
  /// breadth first.
  ///
  /// - Precondition: `offset` names a synset.
  /// - Complexity: O(number of ancestors), a few dozen in WordNet.
  public func ancestorDistances(of offset: Int) -> [Int: Int] {
    precondition(synsets[offset] != nil, "No synset has offset \(offset).")
    var distances = [offset: 0]
    var queue = [offset]
    var head = 0
    while head < queue.count {
      let node = queue[head]
      head += 1
      for parent in synsets[node]?.hypernyms ?? [] where distances[parent] == nil {
        distances[parent] = distances[node]! + 1
        queue.append(parent)
      }
    }
    return distances
  }

  /// The fewest hypernym edges from `offset` up to a synset without hypernyms (`entity`: 0).
  ///
  /// - Precondition: `offset` names a synset.
  public func depth(of offset: Int) -> Int {
    let distances = ancestorDistances(of: offset)
    return distances.filter { synsets[$0.key]!.hypernyms.isEmpty }.values.min() ?? 0
  }

  /// How two synsets are related through their lowest common ancestor.
  public struct Relation: Sendable, Hashable {
    /// Edges from the first synset up to the ancestor.
    public var upFromFirst: Int
    /// Edges from the second synset up to the ancestor.
    public var upFromSecond: Int
    /// The lowest common ancestor's offset.
    public var ancestor: Int
    /// The ancestor's depth below the root.
    public var ancestorDepth: Int

    /// The path length through the ancestor, `upFromFirst + upFromSecond`.
    public var distance: Int { upFromFirst + upFromSecond }
  }

  /// The lowest common ancestor of two synsets and the path through it, or `nil` when they share
  /// no ancestor (never in WordNet 3.0's nouns, which all descend from `entity`).
  ///
  /// - Precondition: both offsets name synsets.
  /// - Complexity: O(ancestors of both · depth).
  public func relation(_ first: Int, _ second: Int) -> Relation? {
    let up1 = ancestorDistances(of: first)
    let up2 = ancestorDistances(of: second)
    var best: Relation?
    for (ancestor, d1) in up1 {
      guard let d2 = up2[ancestor] else { continue }
      let candidate = Relation(
        upFromFirst: d1, upFromSecond: d2, ancestor: ancestor, ancestorDepth: depth(of: ancestor))
      if let current = best {
        let better =
          candidate.distance < current.distance
          || (candidate.distance == current.distance
            && (candidate.ancestorDepth > current.ancestorDepth
              || (candidate.ancestorDepth == current.ancestorDepth
                && candidate.ancestor < current.ancestor)))
        if better { best = candidate }
      } else {
        best = candidate
      }
    }
    return best
  }

  /// The lowest common ancestor of two synsets (see `relation`).
  public func lowestCommonAncestor(_ first: Int, _ second: Int) -> Synset? {
    relation(first, second).flatMap { synsets[$0.ancestor] }
  }

  /// The path length between two synsets through their lowest common ancestor; symmetric,
  /// 0 for a synset and itself.
  public func distance(_ first: Int, _ second: Int) -> Int? {
    relation(first, second)?.distance
  }

  // MARK: Parsing

  private struct LineProblem: Error {
    var text: String
  }

  /// One synset line: fields split on spaces up to the gloss (`|`). Fields are kept as byte
  /// ranges and decoded only when read.
  private static func parseSynset(_ line: UnsafeBufferPointer<UInt8>) throws -> Synset {
    var ranges: [Range<Int>] = []
    ranges.reserveCapacity(64)
    var fieldStart = 0
    var index = 0
    while index <= line.count {
      if index == line.count || line[index] == 0x20 {
        if index > fieldStart {
          if index - fieldStart == 1 && line[fieldStart] == UInt8(ascii: "|") { break }
          ranges.append(fieldStart..<index)
        }
        fieldStart = index + 1
      }
      index += 1
    }
    func field(_ i: Int, _ what: String) throws -> Substring {
      guard i < ranges.count else { throw LineProblem(text: "the line ends before \(what)") }
      return Substring(String(decoding: UnsafeBufferPointer(rebasing: line[ranges[i]]), as: UTF8.self))
    }
    let offsetText = try field(0, "the offset")
    guard offsetText.count == 8, let offset = Int(offsetText) else {
      throw LineProblem(text: "'\(offsetText)' is not an 8-digit synset offset")
    }
    let type = try field(2, "the synset type")
    guard type == "n" else {
      throw LineProblem(text: "synset type '\(type)' is not a noun ('n')")
    }
    let wordCountText = try field(3, "the word count")
    guard let wordCount = Int(wordCountText, radix: 16), wordCount >= 1 else {
      throw LineProblem(text: "'\(wordCountText)' is not a hexadecimal word count")
    }
    var words: [String] = []
    for i in 0..<wordCount { words.append(String(try field(4 + 2 * i, "word \(i + 1)"))) }
    var position = 4 + 2 * wordCount
    let pointerCountText = try field(position, "the pointer count")
    guard let pointerCount = Int(pointerCountText), pointerCount >= 0 else {
      throw LineProblem(text: "'\(pointerCountText)' is not a pointer count")
    }
    position += 1
    guard position + 4 * pointerCount <= ranges.count else {
      throw LineProblem(text: "the line ends before its \(pointerCount) pointers")
    }
    // Pointers are read from their bytes: 4 per pointer, most of them not hypernyms.
    func bytes(_ i: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: line[ranges[i]]) }
    var hypernyms: [Int] = []
    for i in 0..<pointerCount {
      let symbol = bytes(position)
      let target = bytes(position + 1)
      let partOfSpeech = bytes(position + 2)
      position += 4
      var targetOffset = 0
      for digit in target {
        guard (0x30...0x39).contains(digit) else { targetOffset = -1; break }
        targetOffset = targetOffset * 10 + Int(digit - 0x30)
      }
      guard target.count == 8, targetOffset >= 0 else {
        throw LineProblem(
          text: "pointer \(i + 1) names '\(String(decoding: target, as: UTF8.self))', not an "
            + "8-digit offset")
      }
      let isHypernym =
        symbol.first == UInt8(ascii: "@")
        && (symbol.count == 1 || (symbol.count == 2 && symbol[1] == UInt8(ascii: "i")))
      if isHypernym && partOfSpeech.count == 1 && partOfSpeech[0] == UInt8(ascii: "n") {
        hypernyms.append(targetOffset)
      }
    }
    return Synset(offset: offset, words: words, hypernyms: hypernyms)
  }
}

/// Why a WordNet or ImageNet-id file cannot be used.
public enum WordNetError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file is missing or unreadable.
  case unreadable(file: String)
  /// A line does not follow the format; `line` is 1-based.
  case malformedLine(file: String, line: Int, reason: String)
  /// A hypernym pointer names an offset with no synset line.
  case danglingPointer(file: String, from: String, to: String)
  /// The file holds no synset (or no id).
  case empty(file: String)
  /// A line of the ImageNet id file is not a WordNet noun id.
  case malformedID(file: String, line: Int, text: String)
  /// An ImageNet id has no synset in the WordNet file.
  case unknownID(file: String, line: Int, id: String)
  /// The id file has a different number of classes than the classifier.
  case wrongClassCount(file: String, expected: Int, found: Int)

  public var description: String {
    switch self {
    case .unreadable(let file): return "\(file): cannot read the WordNet file."
    case .malformedLine(let file, let line, let reason):
      return "\(file):\(line): not a WordNet noun synset line: \(reason)."
    case .danglingPointer(let file, let from, let to):
      return "\(file): \(from) has hypernym \(to), which has no synset line."
    case .empty(let file): return "\(file): the file holds no entries."
    case .malformedID(let file, let line, let text):
      return "\(file):\(line): '\(text)' is not a WordNet noun id such as n02110185."
    case .unknownID(let file, let line, let id):
      return "\(file):\(line): \(id) has no synset in the WordNet file."
    case .wrongClassCount(let file, let expected, let found):
      return "\(file): \(found) WordNet ids for \(expected) classes."
    }
  }
}
