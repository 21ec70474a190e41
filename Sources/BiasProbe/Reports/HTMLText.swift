/// Text placed in the self-contained HTML pages (human study, selection reports).
enum HTMLText {
  /// `text` with `&`, `<`, `>`, `"` and `'` as HTML entities, safe inside elements and quoted
  /// attributes.
  static func escaped(_ text: String) -> String {
    var result = ""
    for character in text {
      switch character {
      case "&": result += "&amp;"
      case "<": result += "&lt;"
      case ">": result += "&gt;"
      case "\"": result += "&quot;"
      case "'": result += "&#39;"
      default: result.append(character)
      }
    }
    return result
  }
}
