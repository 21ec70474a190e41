import Tensor
import XCTest
@testable import BiasProbe

final class BitmapFontTests: XCTestCase {
  /// The glyph as eight rows of `#` and `.` (the last is the descender row).
  private func picture(_ character: Character) -> [String] {
    (0..<8).map { row in
      String((0..<5).map { BitmapFont.isSet(character, column: $0, row: row) ? "#" : "." })
    }
  }

  func testGlyphsLookLikeTheirLetters() {
    XCTAssertEqual(picture("T"), ["#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#..", "....."])
    XCTAssertEqual(picture("L"), ["#....", "#....", "#....", "#....", "#....", "#....", "#####", "....."])
    XCTAssertEqual(picture("H"), ["#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#", "....."])
    XCTAssertEqual(picture("0"), [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###.", "....."])
    XCTAssertEqual(picture("."), [".....", ".....", ".....", ".....", ".....", ".##..", ".##..", "....."])
    XCTAssertEqual(picture("="), [".....", ".....", "#####", ".....", "#####", ".....", ".....", "....."])
    XCTAssertEqual(picture(" "), Array(repeating: ".....", count: 8))
    XCTAssertEqual(picture("g"), [".....", ".....", ".####", "#...#", "#...#", ".####", "....#", ".###."])
  }

  func testEveryPrintableCharacterHasItsOwnGlyph() {
    let characters = (32...126).map { Character(UnicodeScalar(UInt8($0))) }
    let glyphs = characters.map { Array(BitmapFont.columns(of: $0)) }
    XCTAssertEqual(BitmapFont.glyphs.count, 95 * 5)
    XCTAssertEqual(Set(glyphs).count, 95, "no two characters share a glyph")
    let descending = characters.filter { BitmapFont.columns(of: $0).contains { $0 >= 0x80 } }
    XCTAssertEqual(String(descending), "gjpqy", "only these use the descender row")
    XCTAssertEqual(Array(BitmapFont.columns(of: "é")), Array(BitmapFont.columns(of: "?")))
  }

  func testDrawingSetsExactlyTheGlyphPixelsScaled() {
    var image = Tensor(shape: [3, 20, 30], repeating: 1)
    let font = BitmapFont(scale: 2)
    font.draw("HI", into: &image, x: 1, y: 2, color: (1, 0, 0))
    XCTAssertEqual(font.width(of: "HI"), (2 * 6 - 1) * 2)
    XCTAssertEqual(font.height, 16)
    let set = (0..<5).flatMap { c in (0..<8).map { r in (c, r) } }
    let inked = set.filter { BitmapFont.isSet("H", column: $0.0, row: $0.1) }.count
      + set.filter { BitmapFont.isSet("I", column: $0.0, row: $0.1) }.count
    let green = image.selecting(axis: 0, index: 1).contiguous().scalars
    XCTAssertEqual(green.filter { $0 == 0 }.count, inked * 4)
    // The top-left pixel of 'H' (column 0, row 0) covers (x 1...2, y 2...3).
    XCTAssertEqual(image[0, 2, 1], 1)
    XCTAssertEqual(image[1, 2, 1], 0)
    XCTAssertEqual(image[1, 3, 2], 0)
    XCTAssertEqual(image[1, 1, 1], 1)
    // Text running off the image is clipped, not a crash.
    font.draw("clipped text", into: &image, x: 25, y: 15)
  }
}
