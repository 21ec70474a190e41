import Foundation
import Imaging
import Tensor
import XCTest
@testable import BiasProbe

final class ContactSheetTests: XCTestCase {
  private func square(_ r: Float, _ g: Float, _ b: Float, size: Int = 40) -> Tensor {
    Tensor.concatenate([r, g, b].map { Tensor(shape: [1, size, size], repeating: $0) }, axis: 0)
  }

  func testTilesSitInTheGridWithCaptionsUnderneath() throws {
    let report = SelectionReport(title: "class 3", sections: [
      .init(title: "prototypes", items: [
        .init(image: square(1, 0, 0), caption: "red", score: 0.5),
        .init(image: square(0, 1, 0), caption: "green", score: 0.25),
        .init(image: square(0, 0, 1, size: 20), caption: "blue"),
      ]),
      .init(title: "criticisms", items: [.init(image: Tensor(shape: [1, 10, 20], repeating: 0.5), caption: "gray")]),
    ])
    let sheet = ContactSheet(columns: 2, tileSize: 40, padding: 8, captionLines: 2)
    let image = sheet.render(report)
    // Width: 2 padding + 2 tiles + 1 gap; height: title (16 + 8), per section a heading (13) and
    // rows of (tile + 2 + 2 caption lines of 9 + padding), plus the two paddings.
    XCTAssertEqual(image.shape, [3, 8 + 24 + (13 + 2 * (40 + 2 + 18 + 8)) + (13 + 1 * (40 + 2 + 18 + 8)) + 8, 8 * 3 + 80])
    let top = 8 + 24 + 13
    XCTAssertEqual([image[0, top + 20, 8 + 20], image[1, top + 20, 8 + 20], image[2, top + 20, 8 + 20]], [1, 0, 0])
    XCTAssertEqual([image[0, top + 20, 56 + 20], image[1, top + 20, 56 + 20]], [0, 1])
    // The small blue square is scaled up to fill its tile (second row, first column).
    let secondRow = top + 40 + 2 + 18 + 8
    XCTAssertEqual(image[2, secondRow + 2, 8 + 2], 1)
    XCTAssertEqual(image[0, secondRow + 2, 8 + 2], 0)
    // The caption "red 0.5" is drawn in black under the first tile.
    let captionBand = image.selecting(axis: 0, index: 0).sliced(axis: 0, (top + 42)..<(top + 51))
      .sliced(axis: 1, 8..<48).contiguous().scalars
    XCTAssertGreaterThan(captionBand.filter { $0 == 0 }.count, 20)
    // The gray 10×20 image keeps its aspect: letterboxed rows stay white.
    let third = secondRow + 40 + 2 + 18 + 8 + 13
    XCTAssertEqual(image[0, third + 2, 8 + 20], 1)
    XCTAssertEqual(image[0, third + 20, 8 + 20], 0.5, accuracy: 1e-6)

    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sheet-\(UUID()).png")
    defer { try? FileManager.default.removeItem(at: url) }
    try sheet.write(report, to: url)
    XCTAssertEqual(try ImageFile.decode(contentsOf: url).shape, image.shape)
  }

  func testCaptionsWrapAtSpacesAndMarkCutText() {
    XCTAssertEqual(ContactSheet.wrap("short", width: 10, lines: 2), ["short"])
    XCTAssertEqual(ContactSheet.wrap("golden retriever 0.931", width: 10, lines: 2), ["golden", "retriever~"])
    XCTAssertEqual(ContactSheet.wrap("golden retriever", width: 10, lines: 3), ["golden", "retriever"])
    XCTAssertEqual(ContactSheet.wrap("abcdefghijklmnop", width: 5, lines: 2), ["abcde", "fghi~"])
    XCTAssertEqual(ContactSheet.wrap("anything", width: 5, lines: 0), [])
  }

  func testScoresPrintWithFourSignificantDigits() {
    XCTAssertEqual(SelectionReport.Item(image: square(0, 0, 0), caption: "x", score: 0.123456).label, "x 0.1235")
    XCTAssertEqual(SelectionReport.Item(image: square(0, 0, 0), caption: "", score: 12.5).label, "12.5")
    XCTAssertEqual(SelectionReport.Item(image: square(0, 0, 0), caption: "x", score: 2e-5).label, "x 2.000e-05")
  }
}
