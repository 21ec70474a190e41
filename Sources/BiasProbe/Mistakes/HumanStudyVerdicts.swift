import Foundation

/// One annotator's verdict file, as the study page saves it (JSON, UTF-8):
///
/// ```json
/// {
///  "format": "convnetprobe-human-study-verdicts",
///  "version": 1,
///  "study": "photographs",
///  "annotator": "ada",
///  "population": 7,
///  "started": "2026-11-29T12:00:00.000Z",
///  "saved": "2026-11-29T12:04:10.532Z",
///  "items": [
///   {"id": "coffee.png", "answer": "espresso", "label": "espresso", "mistake": false},
///   {"id": "chelsea.png", "answer": "tiger cat", "label": "tabby", "mistake": true}
///  ],
///  "verdicts": [
///   {"item": "chelsea.png", "verdict": "acceptable", "time": "2026-11-29T12:01:02.000Z"}
///  ]
/// }
/// ```
///
/// - `items` lists every image of the study in page order, with the model's answer, the label and
///   whether the answer is a top-1 mistake; `population` (≥ the item count) is how many images
///   the evaluation covered.
/// - `verdicts` holds at most one entry per item (the last choice), `verdict` one of `correct`,
///   `acceptable`, `wrong`; items without an entry were not judged.
/// - Times are ISO 8601 in UTC with or without milliseconds (JavaScript's `toISOString`).
/// - `annotator` may be empty; scores then name the annotator by the file name.
public struct HumanStudyVerdicts: Sendable, Hashable {
  /// The value of `"format"`.
  public static let format = "convnetprobe-human-study-verdicts"
  /// The schema version this library reads and the page writes.
  public static let version = 1

  /// One image of the study as the file records it.
  public struct Item: Sendable, Hashable, Codable {
    public var id: String
    public var answer: String
    public var label: String
    /// Whether the model's answer is a top-1 mistake.
    public var mistake: Bool

    public init(id: String, answer: String, label: String, mistake: Bool) {
      self.id = id
      self.answer = answer
      self.label = label
      self.mistake = mistake
    }
  }

  /// One recorded verdict.
  public struct Entry: Sendable, Hashable {
    public var item: String
    public var verdict: Verdict
    public var time: Date

    public init(item: String, verdict: Verdict, time: Date) {
      self.item = item
      self.verdict = verdict
      self.time = time
    }
  }

  /// Where the file came from (its path), used in errors and as a fallback annotator name.
  public var source: String
  public var study: String
  public var annotator: String
  public var population: Int
  public var started: Date
  public var saved: Date
  public var items: [Item]
  public var verdicts: [Entry]

  /// The annotator's name, or the file's name without folder and extension when it is empty.
  public var annotatorName: String {
    annotator.isEmpty
      ? URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent : annotator
  }

  /// The verdict for each judged item id.
  public var verdictsByItem: [String: Verdict] {
    Dictionary(verdicts.map { ($0.item, $0.verdict) }, uniquingKeysWith: { _, last in last })
  }

  /// Reads and validates a verdict file.
  ///
  /// - Throws: `HumanStudyVerdictsError` naming the file and the offending key or item.
  public static func read(contentsOf url: URL) throws -> HumanStudyVerdicts {
    guard let data = FileManager.default.contents(atPath: url.path) else {
      throw HumanStudyVerdictsError.unreadable(file: url.path)
    }
    return try decode(data, source: url.path)
  }

  /// Decodes and validates the bytes of a verdict file; `source` names it in errors.
  ///
  /// Checks: the JSON shape and types; `format` and `version`; a non-empty study id; unique,
  /// non-empty item ids; `population >= items.count`; every verdict naming a listed item, at most
  /// once, with a known verdict and a valid time.
  ///
  /// - Throws: `HumanStudyVerdictsError`.
  public static func decode(_ data: Data, source: String) throws -> HumanStudyVerdicts {
    let file: RawFile
    do {
      file = try JSONDecoder().decode(RawFile.self, from: data)
    } catch let error as DecodingError {
      throw HumanStudyVerdictsError.invalidJSON(file: source, reason: Self.describe(error))
    } catch {
      throw HumanStudyVerdictsError.invalidJSON(file: source, reason: "\(error)")
    }
    guard file.format == format else {
      throw HumanStudyVerdictsError.wrongFormat(file: source, found: file.format)
    }
    guard file.version == version else {
      throw HumanStudyVerdictsError.unsupportedVersion(file: source, found: file.version)
    }
    guard !file.study.isEmpty else {
      throw HumanStudyVerdictsError.invalidValue(file: source, key: "study", reason: "is empty")
    }
    guard !file.items.isEmpty else {
      throw HumanStudyVerdictsError.invalidValue(file: source, key: "items", reason: "is empty")
    }
    var ids = Set<String>()
    for (index, item) in file.items.enumerated() {
      guard !item.id.isEmpty else {
        throw HumanStudyVerdictsError.invalidValue(
          file: source, key: "items[\(index)].id", reason: "is empty")
      }
      guard ids.insert(item.id).inserted else {
        throw HumanStudyVerdictsError.duplicateItem(file: source, item: item.id)
      }
    }
    guard file.population >= file.items.count else {
      throw HumanStudyVerdictsError.invalidValue(
        file: source, key: "population",
        reason: "is \(file.population), fewer than the \(file.items.count) items")
    }
    let started = try date(file.started, key: "started", source: source)
    let saved = try date(file.saved, key: "saved", source: source)
    var judged = Set<String>()
    var entries: [Entry] = []
    for (index, raw) in file.verdicts.enumerated() {
      guard ids.contains(raw.item) else {
        throw HumanStudyVerdictsError.unknownItem(file: source, item: raw.item)
      }
      guard judged.insert(raw.item).inserted else {
        throw HumanStudyVerdictsError.duplicateVerdict(file: source, item: raw.item)
      }
      guard let verdict = Verdict(rawValue: raw.verdict) else {
        throw HumanStudyVerdictsError.invalidValue(
          file: source, key: "verdicts[\(index)].verdict",
          reason: "is '\(raw.verdict)', not correct, acceptable or wrong")
      }
      let time = try date(raw.time, key: "verdicts[\(index)].time", source: source)
      entries.append(Entry(item: raw.item, verdict: verdict, time: time))
    }
    return HumanStudyVerdicts(
      source: source, study: file.study, annotator: file.annotator, population: file.population,
      started: started, saved: saved, items: file.items, verdicts: entries)
  }

  /// The file's JSON (the page's format, keys sorted, times with milliseconds).
  public func encoded() throws -> Data {
    let raw = RawFile(
      format: Self.format, version: Self.version, study: study, annotator: annotator,
      population: population, started: Self.text(of: started), saved: Self.text(of: saved),
      items: items,
      verdicts: verdicts.map {
        RawFile.RawVerdict(item: $0.item, verdict: $0.verdict.rawValue, time: Self.text(of: $0.time))
      })
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    return try encoder.encode(raw)
  }

  // MARK: Parsing helpers

  private struct RawFile: Codable {
    struct RawVerdict: Codable {
      var item: String
      var verdict: String
      var time: String
    }
    var format: String
    var version: Int
    var study: String
    var annotator: String
    var population: Int
    var started: String
    var saved: String
    var items: [Item]
    var verdicts: [RawVerdict]
  }

  private static func date(_ text: String, key: String, source: String) throws -> Date {
    // Foundation's ISO8601DateFormatter hands the text to ICU, which dies of a division by zero
    // (SIGFPE) on a fraction of about 90 digits (found by `Fuzz/` FuzzVerdicts); only the
    // RFC 3339 shape with at most 9 fraction digits reaches it.
    guard isInternetDateTime(text) else {
      throw HumanStudyVerdictsError.invalidValue(
        file: source, key: key, reason: "'\(text)' is not an ISO 8601 time")
    }
    let withFraction = ISO8601DateFormatter()
    withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    let plain = ISO8601DateFormatter()
    plain.formatOptions = [.withInternetDateTime]
    guard let date = withFraction.date(from: text) ?? plain.date(from: text) else {
      throw HumanStudyVerdictsError.invalidValue(
        file: source, key: key, reason: "'\(text)' is not an ISO 8601 time")
    }
    return date
  }

  /// Whether `text` has the shape `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)` (RFC 3339 internet
  /// time, the form `text(of:)` writes); the formatter then checks the values.
  ///
  /// - Complexity: O(1): at most 35 characters are looked at.
  static func isInternetDateTime(_ text: String) -> Bool {
    let bytes = Array(text.utf8.prefix(36))
    guard bytes.count <= 35 else { return false }
    func digits(_ range: Range<Int>) -> Bool {
      range.upperBound <= bytes.count && bytes[range].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
    func byte(_ index: Int, _ value: Character) -> Bool {
      index < bytes.count && bytes[index] == value.asciiValue!
    }
    guard digits(0..<4), byte(4, "-"), digits(5..<7), byte(7, "-"), digits(8..<10), byte(10, "T"),
      digits(11..<13), byte(13, ":"), digits(14..<16), byte(16, ":"), digits(17..<19)
    else { return false }
    var index = 19
    if byte(index, ".") {
      var count = 0
      index += 1
      while count < 10, digits(index..<(index + 1)) {
        index += 1
        count += 1
      }
      guard (1...9).contains(count) else { return false }
    }
    if byte(index, "Z") { return index + 1 == bytes.count }
    guard byte(index, "+") || byte(index, "-") else { return false }
    return digits((index + 1)..<(index + 3)) && byte(index + 3, ":")
      && digits((index + 4)..<(index + 6)) && index + 6 == bytes.count
  }

  static func text(of date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: date)
  }

  private static func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
      let keys = context.codingPath.map { key in
        key.intValue.map { "[\($0)]" } ?? "." + key.stringValue
      }.joined()
      return keys.hasPrefix(".") ? String(keys.dropFirst()) : (keys.isEmpty ? "the top level" : keys)
    }
    switch error {
    case .keyNotFound(let key, let context):
      let parent = path(context)
      return "missing key '\(key.stringValue)'"
        + (context.codingPath.isEmpty ? "" : " in \(parent)")
    case .typeMismatch(let type, let context):
      return "\(path(context)) is not of type \(type)"
    case .valueNotFound(let type, let context):
      return "\(path(context)) is null, expected \(type)"
    case .dataCorrupted(let context):
      return context.codingPath.isEmpty
        ? "not JSON (\(context.debugDescription))" : "\(path(context)): \(context.debugDescription)"
    @unknown default:
      return "\(error)"
    }
  }
}

/// Why a verdict file cannot be read.
public enum HumanStudyVerdictsError: Error, Equatable, Sendable, CustomStringConvertible {
  case unreadable(file: String)
  /// Not JSON, or a key missing or of the wrong type.
  case invalidJSON(file: String, reason: String)
  /// `format` is not `convnetprobe-human-study-verdicts`.
  case wrongFormat(file: String, found: String)
  /// A `version` this library does not read.
  case unsupportedVersion(file: String, found: Int)
  /// A key holds a value outside its range.
  case invalidValue(file: String, key: String, reason: String)
  /// Two items share an id.
  case duplicateItem(file: String, item: String)
  /// A verdict names an item the file does not list.
  case unknownItem(file: String, item: String)
  /// Two verdicts for one item.
  case duplicateVerdict(file: String, item: String)
  /// Files of different studies (or of different item lists) cannot be scored together.
  case mismatchedStudies(file: String, reason: String)
  /// No file was given.
  case noFiles

  public var description: String {
    switch self {
    case .unreadable(let file): return "\(file): cannot read the verdict file."
    case .invalidJSON(let file, let reason): return "\(file): not a verdict file: \(reason)."
    case .wrongFormat(let file, let found):
      return "\(file): format is '\(found)', not '\(HumanStudyVerdicts.format)'."
    case .unsupportedVersion(let file, let found):
      return "\(file): version \(found) is not supported (this library reads version "
        + "\(HumanStudyVerdicts.version))."
    case .invalidValue(let file, let key, let reason): return "\(file): \(key) \(reason)."
    case .duplicateItem(let file, let item): return "\(file): item '\(item)' is listed twice."
    case .unknownItem(let file, let item):
      return "\(file): a verdict names item '\(item)', which the study does not list."
    case .duplicateVerdict(let file, let item):
      return "\(file): item '\(item)' has two verdicts."
    case .mismatchedStudies(let file, let reason): return "\(file): \(reason)."
    case .noFiles: return "No verdict file was given."
    }
  }
}
