import Foundation

/// Attribute values per image, read from a CSV annotation file: the input of the bias
/// statistics (`AttributeBias`).
///
/// The format (`Docs/BiasStatistics.md`), UTF-8 text:
/// ```
/// # Lines starting with '#' and blank lines are ignored.
/// image,skin,background
/// img_0001.jpg,dark,indoor
/// img_0002.jpg,light,
/// "name, with comma.jpg",light,outdoor
/// ```
/// - The first other line is the header: the first column holds the image id (any header name),
///   each further column one attribute, named uniquely and non-empty.
/// - Every row has as many fields as the header. Fields are separated by commas and trimmed of
///   surrounding spaces; a field may be double-quoted (`""` inside quotes is one quote), which
///   allows commas. Quoted fields do not span lines.
/// - An empty field means "unknown": that image is left out of that attribute's statistics.
/// - Image ids are unique and non-empty; they are matched exactly (a caller annotating files
///   usually uses the file name or the path relative to the folder).
public struct AttributeAnnotations: Sendable, Hashable {
  /// Where the annotations came from (the file path, or a name given by the caller); errors name it.
  public let source: String
  /// The attribute names, in column order.
  public let attributes: [String]
  /// The image ids, in file order.
  public let imageIDs: [String]
  /// `values[i][a]`: the value of attribute `a` for image `i` (`nil` when unknown).
  public let values: [[String?]]
  private let rowOfImage: [String: Int]

  /// Reads an annotation file.
  ///
  /// - Throws: `AttributeAnnotationError` naming the file (and line) that is unreadable or
  ///   malformed.
  public init(contentsOf url: URL) throws {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw AttributeAnnotationError.unreadable(file: url.path, reason: error.localizedDescription)
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw AttributeAnnotationError.unreadable(file: url.path, reason: "not UTF-8 text")
    }
    try self.init(csv: text, source: url.path)
  }

  /// Parses annotation text in the file format above; `source` names it in errors.
  ///
  /// - Complexity: O(length of the text).
  /// - Throws: `AttributeAnnotationError`.
  public init(csv text: String, source: String = "<annotations>") throws {
    var header: [String]?
    var ids: [String] = []
    var rows: [[String?]] = []
    var rowOfImage: [String: Int] = [:]
    var lineOfImage: [String: Int] = [:]
    var lineNumber = 0
    // "\r\n" is one Character in Swift: split on it as well as on "\n".
    for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
      lineNumber += 1
      var line = Substring(rawLine)
      if line.hasSuffix("\r") { line = line.dropLast() }
      if lineNumber == 1 && line.hasPrefix("\u{FEFF}") { line = line.dropFirst() }
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
      let fields = try Self.fields(of: line, source: source, line: lineNumber)
      guard let columns = header else {
        guard fields.count >= 2 else {
          throw AttributeAnnotationError.noAttributes(file: source, line: lineNumber)
        }
        var seen = Set<String>()
        for (index, name) in fields.enumerated().dropFirst() {
          guard !name.isEmpty else {
            throw AttributeAnnotationError.emptyAttributeName(
              file: source, line: lineNumber, column: index + 1)
          }
          guard seen.insert(name).inserted else {
            throw AttributeAnnotationError.duplicateAttribute(name, file: source, line: lineNumber)
          }
        }
        header = fields
        continue
      }
      guard fields.count == columns.count else {
        throw AttributeAnnotationError.wrongFieldCount(
          file: source, line: lineNumber, expected: columns.count, found: fields.count)
      }
      let id = fields[0]
      guard !id.isEmpty else {
        throw AttributeAnnotationError.emptyImageID(file: source, line: lineNumber)
      }
      if let first = lineOfImage[id] {
        throw AttributeAnnotationError.duplicateImage(
          id, file: source, line: lineNumber, firstLine: first)
      }
      lineOfImage[id] = lineNumber
      rowOfImage[id] = rows.count
      ids.append(id)
      rows.append(fields.dropFirst().map { $0.isEmpty ? nil : $0 })
    }
    guard let columns = header else { throw AttributeAnnotationError.missingHeader(file: source) }
    self.source = source
    self.attributes = Array(columns.dropFirst())
    self.imageIDs = ids
    self.values = rows
    self.rowOfImage = rowOfImage
  }

  /// The value of `attribute` for the image `id`, or `nil` when unknown.
  ///
  /// - Throws: `StatisticsError.unknownAttribute`, `StatisticsError.unannotatedImage`.
  public func value(of attribute: String, for id: String) throws -> String? {
    try values(of: attribute, for: [id])[0]
  }

  /// The values of `attribute` for each image of `ids`, in that order (`nil`: unknown).
  ///
  /// - Complexity: O(ids.count).
  /// - Throws: `StatisticsError.unknownAttribute` when the file has no such column,
  ///   `StatisticsError.unannotatedImage` naming the first id without a row.
  public func values(of attribute: String, for ids: [String]) throws -> [String?] {
    guard let column = attributes.firstIndex(of: attribute) else {
      throw StatisticsError.unknownAttribute(attribute, available: attributes, file: source)
    }
    return try ids.map { id in
      guard let row = rowOfImage[id] else {
        throw StatisticsError.unannotatedImage(id, file: source)
      }
      return values[row][column]
    }
  }

  /// Splits one CSV line into trimmed fields, honouring double quotes.
  private static func fields(of line: Substring, source: String, line number: Int) throws -> [String] {
    var fields: [String] = []
    var current = ""
    var inQuotes = false
    var wasQuoted = false
    var characters = line.makeIterator()
    var pending: Character? = nil
    func next() -> Character? {
      if let p = pending { pending = nil; return p }
      return characters.next()
    }
    while let character = next() {
      if inQuotes {
        if character == "\"" {
          if let following = next() {
            if following == "\"" { current.append("\"") } else { inQuotes = false; pending = following }
          } else {
            inQuotes = false
          }
        } else {
          current.append(character)
        }
      } else if character == "," {
        fields.append(wasQuoted ? current : current.trimmingCharacters(in: .whitespaces))
        current = ""
        wasQuoted = false
      } else if character == "\"" && current.trimmingCharacters(in: .whitespaces).isEmpty && !wasQuoted {
        current = ""
        inQuotes = true
        wasQuoted = true
      } else if wasQuoted {
        guard character == " " || character == "\t" else {
          throw AttributeAnnotationError.textAfterQuote(file: source, line: number)
        }
      } else {
        current.append(character)
      }
    }
    if inQuotes { throw AttributeAnnotationError.unterminatedQuote(file: source, line: number) }
    fields.append(wasQuoted ? current : current.trimmingCharacters(in: .whitespaces))
    return fields
  }
}

/// A malformed or unreadable attribute annotation file; every case names the file and, where
/// it applies, the 1-based line.
public enum AttributeAnnotationError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file could not be read or is not UTF-8.
  case unreadable(file: String, reason: String)
  /// The file holds no header line.
  case missingHeader(file: String)
  /// The header has only the image id column.
  case noAttributes(file: String, line: Int)
  /// A header column (1-based) has an empty name.
  case emptyAttributeName(file: String, line: Int, column: Int)
  /// Two header columns share a name.
  case duplicateAttribute(String, file: String, line: Int)
  /// A row has a different number of fields than the header.
  case wrongFieldCount(file: String, line: Int, expected: Int, found: Int)
  /// A row's image id is empty.
  case emptyImageID(file: String, line: Int)
  /// An image id appears twice.
  case duplicateImage(String, file: String, line: Int, firstLine: Int)
  /// A quoted field is not closed on its line.
  case unterminatedQuote(file: String, line: Int)
  /// Characters follow a closing quote before the next comma.
  case textAfterQuote(file: String, line: Int)

  public var description: String {
    switch self {
    case .unreadable(let file, let reason): return "\(file): cannot read the annotations (\(reason))."
    case .missingHeader(let file): return "\(file): no header line (image id column, then attributes)."
    case .noAttributes(let file, let line):
      return "\(file):\(line): the header names no attribute after the image id column."
    case .emptyAttributeName(let file, let line, let column):
      return "\(file):\(line): header column \(column) has an empty name."
    case .duplicateAttribute(let name, let file, let line):
      return "\(file):\(line): attribute '\(name)' appears twice in the header."
    case .wrongFieldCount(let file, let line, let expected, let found):
      return "\(file):\(line): \(found) fields, but the header has \(expected)."
    case .emptyImageID(let file, let line): return "\(file):\(line): the image id is empty."
    case .duplicateImage(let id, let file, let line, let firstLine):
      return "\(file):\(line): image '\(id)' was already annotated on line \(firstLine)."
    case .unterminatedQuote(let file, let line): return "\(file):\(line): a quoted field is not closed."
    case .textAfterQuote(let file, let line):
      return "\(file):\(line): text follows a closing quote before the next comma."
    }
  }
}
