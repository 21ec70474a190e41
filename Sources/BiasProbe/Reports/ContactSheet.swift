import Foundation
import Imaging
import Tensor

/// A contact sheet: the images of a `SelectionReport` in a grid, each with its caption and
/// score printed underneath in `BitmapFont`, under a title and one heading per section.
///
/// Each image is scaled to fit a `tileSize × tileSize` square (aspect kept, centred); captions
/// are cut into lines of the tile's width (at most `captionLines`, the last one ending in `~`
/// when text was cut). Non-ASCII characters print as `?`.
///
/// ```swift
/// try ContactSheet(columns: 4, tileSize: 112).write(report, to: URL(fileURLWithPath: "sheet.png"))
/// ```
public struct ContactSheet: Sendable {
  /// Tiles per row.
  public var columns: Int
  /// The side of each image's square, in pixels.
  public var tileSize: Int
  /// Pixels between tiles and around the sheet.
  public var padding: Int
  /// Caption lines under each tile.
  public var captionLines: Int
  /// Show each item's overlay (when it has one) instead of the image.
  public var showsOverlays: Bool

  /// - Precondition: `columns`, `tileSize` ≥ 1 (`tileSize` ≥ 12 to fit two characters),
  ///   `padding`, `captionLines` ≥ 0.
  public init(
    columns: Int = 8, tileSize: Int = 128, padding: Int = 8, captionLines: Int = 2,
    showsOverlays: Bool = false
  ) {
    precondition(columns >= 1 && tileSize >= 12 && padding >= 0 && captionLines >= 0,
      "A contact sheet needs columns ≥ 1, tileSize ≥ 12, padding ≥ 0 and captionLines ≥ 0.")
    self.columns = columns
    self.tileSize = tileSize
    self.padding = padding
    self.captionLines = captionLines
    self.showsOverlays = showsOverlays
  }

  private var captionHeight: Int { captionLines * BitmapFont.lineHeight }
  private var titleFont: BitmapFont { BitmapFont(scale: 2) }
  private var headingHeight: Int { BitmapFont.lineHeight + 4 }

  /// The sheet as an RGB image `[3, H, W]` on white.
  ///
  /// - Complexity: O(sheet pixels + resizing each image).
  public func render(_ report: SelectionReport) -> Tensor {
    let widest = max(1, report.sections.map { min($0.items.count, columns) }.max() ?? 1)
    let width = max(
      padding * 2 + widest * tileSize + (widest - 1) * padding,
      padding * 2 + titleFont.width(of: report.title))
    let titleHeight = titleFont.height + padding
    var height = padding + titleHeight
    for section in report.sections {
      let rows = (section.items.count + columns - 1) / columns
      height += headingHeight + rows * (tileSize + 2 + captionHeight + padding)
    }
    height += padding
    var sheet = Tensor(shape: [3, height, width], repeating: 1)
    titleFont.draw(report.title, into: &sheet, x: padding, y: padding)
    var y = padding + titleHeight
    let font = BitmapFont()
    for section in report.sections {
      font.draw(section.title, into: &sheet, x: padding, y: y, color: (0.1, 0.1, 0.5))
      y += headingHeight
      for (i, item) in section.items.enumerated() {
        let (row, column) = (i / columns, i % columns)
        let left = padding + column * (tileSize + padding)
        let top = y + row * (tileSize + 2 + captionHeight + padding)
        let picture = showsOverlays ? (item.overlay ?? item.image) : item.image
        paste(fitted(picture), into: &sheet, x: left, y: top)
        for (l, line) in Self.wrap(item.label, width: (tileSize + 1) / BitmapFont.advance,
                                   lines: captionLines).enumerated() {
          font.draw(line, into: &sheet, x: left, y: top + tileSize + 2 + l * BitmapFont.lineHeight)
        }
      }
      let rows = (section.items.count + columns - 1) / columns
      y += rows * (tileSize + 2 + captionHeight + padding)
    }
    return sheet
  }

  /// Renders the sheet and writes it (format from the extension, `.png` recommended).
  ///
  /// - Throws: `ImageError` from `ImageFile.write`.
  public func write(_ report: SelectionReport, to url: URL) throws {
    try ImageFile.write(render(report), to: url)
  }

  /// `image` scaled to fit the tile (aspect kept).
  private func fitted(_ image: Tensor) -> Tensor {
    let (h, w) = (image.shape[1], image.shape[2])
    let scale = Double(tileSize) / Double(max(h, w))
    let newHeight = max(1, Int((Double(h) * scale).rounded()))
    let newWidth = max(1, Int((Double(w) * scale).rounded()))
    if newHeight == h && newWidth == w { return image.contiguous() }
    return image.resized(height: newHeight, width: newWidth, antialias: true).contiguous()
  }

  /// Copies `image` centred into the tile at (`x`, `y`).
  private func paste(_ image: Tensor, into sheet: inout Tensor, x: Int, y: Int) {
    let (h, w) = (image.shape[1], image.shape[2])
    let top = y + (tileSize - h) / 2, left = x + (tileSize - w) / 2
    let (height, width) = (sheet.shape[1], sheet.shape[2])
    var scalars = sheet.scalars
    let source = image.scalars
    for c in 0..<3 {
      for row in 0..<h {
        for column in 0..<w {
          scalars[c * height * width + (top + row) * width + left + column] =
            min(1, max(0, source[c * h * w + row * w + column]))
        }
      }
    }
    sheet = Tensor(shape: sheet.shape, scalars: scalars)
  }

  /// `text` cut into at most `lines` lines of `width` characters, at spaces where possible; the
  /// last line ends in `~` when text was left out.
  static func wrap(_ text: String, width: Int, lines: Int) -> [String] {
    guard lines > 0, width > 0 else { return [] }
    var result: [String] = []
    var rest = Substring(text)
    while !rest.isEmpty && result.count < lines {
      if rest.count <= width {
        result.append(String(rest))
        rest = ""
        break
      }
      let window = rest.prefix(width)
      let cut = window.lastIndex(of: " ").map { rest.distance(from: rest.startIndex, to: $0) } ?? width
      let take = cut > 0 ? cut : width
      result.append(String(rest.prefix(take)))
      rest = rest.dropFirst(take).drop(while: { $0 == " " })
    }
    if !rest.isEmpty, var last = result.popLast() {
      if last.count >= width { last.removeLast() }
      result.append(last + "~")
    }
    return result
  }
}
