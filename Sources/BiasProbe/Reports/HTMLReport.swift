import Foundation
import Imaging
import Tensor

/// A self-contained HTML page for a `SelectionReport`: every image (and overlay) is an inline
/// base64 PNG, the style is inline, and a Content-Security-Policy forbids any network or file
/// access (`default-src 'none'; img-src data:`), so the page can be mailed or archived alone.
///
/// Each section becomes `<section id="…">` with a heading and one `<figure>` per item: the image,
/// its overlay when it has one, and a caption with the score.
///
/// ```swift
/// try HTMLReport().write(report, to: URL(fileURLWithPath: "class-3.html"))
/// ```
public struct HTMLReport: Sendable {
  /// Images are shown at this width in CSS pixels (the PNGs keep their resolution).
  public var displayWidth: Int

  public init(displayWidth: Int = 160) {
    self.displayWidth = displayWidth
  }

  /// The page's HTML text.
  ///
  /// - Throws: `ImageError` when an image cannot be encoded (NaN pixels).
  /// - Complexity: O(total pixels).
  public func html(_ report: SelectionReport) throws -> String {
    var out = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
      <title>\(Self.escape(report.title))</title>
      <style>
      body { font-family: sans-serif; margin: 1.5em; color: #222; }
      section { margin-top: 1.5em; }
      .grid { display: flex; flex-wrap: wrap; gap: 12px; }
      figure { margin: 0; padding: 6px; border: 1px solid #ccc; border-radius: 4px; }
      figure img { width: \(displayWidth)px; height: auto; image-rendering: auto; display: block; }
      .pair { display: flex; gap: 4px; }
      figcaption { font-size: 12px; max-width: \(2 * displayWidth + 4)px; word-wrap: break-word; }
      .score { font-family: monospace; color: #555; }
      </style>
      </head>
      <body>
      <h1>\(Self.escape(report.title))</h1>

      """
    if let summary = report.summary { out += "<p>\(Self.escape(summary))</p>\n" }
    for (s, section) in report.sections.enumerated() {
      out += "<section id=\"\(Self.anchor(section.title, index: s))\">\n"
      out += "<h2>\(Self.escape(section.title)) (\(section.items.count))</h2>\n<div class=\"grid\">\n"
      for item in section.items {
        let alt = Self.escape(item.caption)
        out += "<figure><div class=\"pair\">"
        out += "<img class=\"image\" alt=\"\(alt)\" src=\"\(try Self.dataURL(item.image))\">"
        if let overlay = item.overlay {
          out += "<img class=\"overlay\" alt=\"saliency of \(alt)\" src=\"\(try Self.dataURL(overlay))\">"
        }
        out += "</div><figcaption>\(alt)"
        if let score = item.score {
          out += "<br><span class=\"score\">score \(Self.escape(SelectionReport.Item.format(score)))</span>"
        }
        out += "</figcaption></figure>\n"
      }
      out += "</div>\n</section>\n"
    }
    out += "</body>\n</html>\n"
    return out
  }

  /// Writes the page to `url`.
  ///
  /// - Throws: `ImageError` (encoding), `ReportError.unwritable`.
  public func write(_ report: SelectionReport, to url: URL) throws {
    let text = try html(report)
    do {
      try Data(text.utf8).write(to: url, options: .atomic)
    } catch {
      throw ReportError.unwritable(url.path, reason: error.localizedDescription)
    }
  }

  /// `data:image/png;base64,…` of an RGB image.
  static func dataURL(_ image: Tensor) throws -> String {
    "data:image/png;base64," + (try ImageFile.encode(image, as: .png())).base64EncodedString()
  }

  /// A section id: lower-case letters, digits and dashes from the title (`section-N` if none).
  static func anchor(_ title: String, index: Int) -> String {
    let slug = title.lowercased().map { $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII ? $0 : "-" }
    let text = String(slug).split(separator: "-").joined(separator: "-")
    return text.isEmpty ? "section-\(index)" : text
  }

  /// Text with `& < > " '` escaped for HTML.
  static func escape(_ text: String) -> String { HTMLText.escaped(text) }
}
