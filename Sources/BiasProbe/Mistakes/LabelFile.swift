import Foundation

/// One image of a labelled folder: its file and its true class.
public struct LabelledImage: Sendable, Hashable, Codable {
  /// The file name as the label file writes it (relative to the folder).
  public var name: String
  /// The image file.
  public var url: URL
  /// The true class index (logit position).
  public var trueClass: Int
  /// The 1-based line of the label file that named it.
  public var line: Int

  public init(name: String, url: URL, trueClass: Int, line: Int) {
    self.name = name
    self.url = url
    self.trueClass = trueClass
    self.line = line
  }
}

/// The label file of a folder of images: one `filename,label` row per image.
///
/// Format (UTF-8 text):
/// - one row per line, `filename<separator>label`, the separator being a tab when the line holds
///   one and otherwise the first comma, so labels may contain commas; spaces around both fields
///   are trimmed and a field wrapped in double quotes loses them;
/// - `label` is a class index (`967`), a WordNet id (`n07920052`, needs the class ids) or a class
///   name (`espresso`, compared without regard to case);
/// - empty lines and lines starting with `#` are skipped; a first row `filename,label` (any
///   case, either separator) is a header and skipped;
/// - `filename` is relative to the folder (sub-folders allowed) and appears once.
///
/// ```
/// # photographs with an ImageNet class
/// filename,label
/// coffee.png,espresso
/// chelsea.png,n02123045
/// grace_hopper.jpg,652
/// ```
public enum LabelFile {
  /// Reads the label file at `url`; image URLs are resolved against `folder`.
  ///
  /// - Parameters:
  ///   - classNames: the classifier's class names in logit order.
  ///   - classIDs: the WordNet id of each class, to accept labels such as `n02123045`.
  ///   - checkFilesExist: whether a row naming a missing image is an error.
  /// - Throws: `LabelFileError` naming the file and the 1-based line of the first bad row.
  /// - Complexity: O(rows + classes).
  public static func read(
    contentsOf url: URL, folder: URL, classNames: [String], classIDs: [String]? = nil,
    checkFilesExist: Bool = true
  ) throws -> [LabelledImage] {
    guard let data = FileManager.default.contents(atPath: url.path) else {
      throw LabelFileError.unreadable(file: url.path)
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw LabelFileError.notUTF8(file: url.path)
    }
    let images = try parse(
      text, source: url.path, folder: folder, classNames: classNames, classIDs: classIDs)
    if checkFilesExist {
      for image in images where !FileManager.default.fileExists(atPath: image.url.path) {
        throw LabelFileError.missingImage(file: url.path, line: image.line, path: image.url.path)
      }
    }
    return images
  }

  /// Parses label-file text; `source` names it in errors.
  ///
  /// - Throws: `LabelFileError` (`.malformedRow`, `.unknownLabel`, `.ambiguousLabel`,
  ///   `.classOutOfRange`, `.duplicateImage`, `.empty`).
  public static func parse(
    _ text: String, source: String, folder: URL, classNames: [String], classIDs: [String]? = nil
  ) throws -> [LabelledImage] {
    let resolver = LabelResolver(classNames: classNames, classIDs: classIDs)
    var images: [LabelledImage] = []
    var firstLine: [String: Int] = [:]
    var sawRow = false
    let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
    for (offset, raw) in lines.enumerated() {
      let number = offset + 1
      let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
      if line.isEmpty || line.hasPrefix("#") { continue }
      let separator: Character = line.contains("\t") ? "\t" : ","
      guard let cut = line.firstIndex(of: separator) else {
        throw LabelFileError.malformedRow(
          file: source, line: number, reason: "no comma or tab between file name and label")
      }
      let name = unquoted(line[..<cut])
      let label = unquoted(line[line.index(after: cut)...])
      if !sawRow {
        sawRow = true
        if name.lowercased() == "filename" && label.lowercased() == "label" { continue }
      }
      guard !name.isEmpty else {
        throw LabelFileError.malformedRow(file: source, line: number, reason: "the file name is empty")
      }
      guard !label.isEmpty else {
        throw LabelFileError.malformedRow(file: source, line: number, reason: "the label is empty")
      }
      if let first = firstLine[name] {
        throw LabelFileError.duplicateImage(file: source, line: number, name: name, firstLine: first)
      }
      firstLine[name] = number
      let trueClass = try resolver.classIndex(of: label, file: source, line: number)
      images.append(
        LabelledImage(
          name: name, url: folder.appendingPathComponent(name), trueClass: trueClass, line: number))
    }
    guard !images.isEmpty else { throw LabelFileError.empty(file: source) }
    return images
  }

  private static func unquoted(_ field: Substring) -> String {
    var text = field.trimmingCharacters(in: .whitespaces)
    if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") {
      text = String(text.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
    }
    return text
  }
}

/// Turns the label of a row into a class index.
struct LabelResolver {
  let classCount: Int
  let byName: [String: [Int]]
  let byID: [String: Int]

  init(classNames: [String], classIDs: [String]?) {
    classCount = classNames.count
    var byName: [String: [Int]] = [:]
    for (index, name) in classNames.enumerated() { byName[name.lowercased(), default: []].append(index) }
    self.byName = byName
    var byID: [String: Int] = [:]
    for (index, id) in (classIDs ?? []).enumerated() where byID[id] == nil { byID[id] = index }
    self.byID = byID
  }

  func classIndex(of label: String, file: String, line: Int) throws -> Int {
    if label.allSatisfy(\.isASCII), label.allSatisfy(\.isNumber) {
      guard let index = Int(label), (0..<classCount).contains(index) else {
        throw LabelFileError.classOutOfRange(file: file, line: line, label: label, classCount: classCount)
      }
      return index
    }
    if WordNet.offset(ofID: label) != nil {
      guard let index = byID[label] else {
        throw LabelFileError.unknownLabel(file: file, line: line, label: label)
      }
      return index
    }
    guard let matches = byName[label.lowercased()] else {
      throw LabelFileError.unknownLabel(file: file, line: line, label: label)
    }
    guard matches.count == 1 else {
      throw LabelFileError.ambiguousLabel(file: file, line: line, label: label, classes: matches)
    }
    return matches[0]
  }
}

/// Why a label file cannot be used. Lines are 1-based.
public enum LabelFileError: Error, Equatable, Sendable, CustomStringConvertible {
  case unreadable(file: String)
  case notUTF8(file: String)
  /// The row is not `filename,label`.
  case malformedRow(file: String, line: Int, reason: String)
  /// The label is no class name, no known WordNet id.
  case unknownLabel(file: String, line: Int, label: String)
  /// The class name belongs to several classes; use the index or WordNet id.
  case ambiguousLabel(file: String, line: Int, label: String, classes: [Int])
  /// A numeric label outside `0..<classCount`.
  case classOutOfRange(file: String, line: Int, label: String, classCount: Int)
  /// The same file name appears twice.
  case duplicateImage(file: String, line: Int, name: String, firstLine: Int)
  /// The image a row names does not exist.
  case missingImage(file: String, line: Int, path: String)
  /// No row at all.
  case empty(file: String)

  public var description: String {
    switch self {
    case .unreadable(let file): return "\(file): cannot read the label file."
    case .notUTF8(let file): return "\(file): the label file is not UTF-8 text."
    case .malformedRow(let file, let line, let reason):
      return "\(file):\(line): expected 'filename,label': \(reason)."
    case .unknownLabel(let file, let line, let label):
      return "\(file):\(line): '\(label)' is not a class index, WordNet id or class name."
    case .ambiguousLabel(let file, let line, let label, let classes):
      return "\(file):\(line): '\(label)' names classes \(classes); give the index instead."
    case .classOutOfRange(let file, let line, let label, let classCount):
      return "\(file):\(line): class \(label) is outside 0..<\(classCount)."
    case .duplicateImage(let file, let line, let name, let firstLine):
      return "\(file):\(line): \(name) was already labelled on line \(firstLine)."
    case .missingImage(let file, let line, let path):
      return "\(file):\(line): the image \(path) does not exist."
    case .empty(let file): return "\(file): the label file has no rows."
    }
  }
}
