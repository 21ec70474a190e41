import Foundation

/// The class names of a classifier, one per line of a text file.
public enum ClassLabels {
  /// The non-empty lines of a UTF-8 text file, in order.
  ///
  /// - Throws: `ClassLabelsError` when the file cannot be read or has the wrong number of lines.
  public static func load(contentsOf url: URL, expectedCount: Int? = nil) throws -> [String] {
    guard let data = FileManager.default.contents(atPath: url.path) else {
      throw ClassLabelsError.unreadable(file: url.path)
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw ClassLabelsError.notUTF8(file: url.path)
    }
    let labels = text.split(whereSeparator: \.isNewline)
      .map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty }
    if let expected = expectedCount, labels.count != expected {
      throw ClassLabelsError.wrongCount(file: url.path, expected: expected, found: labels.count)
    }
    return labels
  }
}

/// Problems with a class-label file.
public enum ClassLabelsError: Error, Equatable, Sendable, CustomStringConvertible {
  case unreadable(file: String)
  case notUTF8(file: String)
  case wrongCount(file: String, expected: Int, found: Int)

  public var description: String {
    switch self {
    case .unreadable(let file): return "\(file): cannot read the label file."
    case .notUTF8(let file): return "\(file): the label file is not UTF-8 text."
    case .wrongCount(let file, let expected, let found):
      return "\(file): expected \(expected) labels, found \(found)."
    }
  }
}
