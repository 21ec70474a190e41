import Explain
import Foundation
import Imaging
import Tensor
import XCTest

final class LIMEPictureTests: XCTestCase {
  /// Left half superpixel 0, right half superpixel 1, on a 4×4 image.
  private let halves = try! SuperpixelMap(
    height: 4, width: 4, labels: [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1])
  private let image = Tensor(
    shape: [3, 4, 4], scalars: (0..<48).map { Float($0 % 7) / 7 })

  func testOutlinesAreYellowOnTheBoundaryPixelsOnly() {
    let outlined = LIMEPicture.outlined(image, segmentation: halves).scalars
    let original = image.scalars

    for index in 0..<16 {
      let column = index % 4
      let isBoundary = column == 1 || column == 2
      for channel in 0..<3 {
        let expected = isBoundary ? [Float(1), 1, 0][channel] : original[channel * 16 + index]
        XCTAssertEqual(outlined[channel * 16 + index], expected, "pixel \(index) channel \(channel)")
      }
    }
  }

  func testKeepingGreysEveryOtherSuperpixel() {
    let wide = try! SuperpixelMap(
      height: 2, width: 6, labels: [0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1])
    let colours = Tensor(shape: [3, 2, 6], scalars: (0..<36).map { Float($0) / 36 })

    let kept = LIMEPicture.keeping([0], of: colours, segmentation: wide, dimming: 0.3).scalars

    let original = colours.scalars
    for index in [0, 1, 6, 7] {  // inside superpixel 0, away from the outline
      for channel in 0..<3 { XCTAssertEqual(kept[channel * 12 + index], original[channel * 12 + index]) }
    }
    for index in [4, 5, 10, 11] {  // superpixel 1: grey (equal channels), contrast cut to 0.3
      let luminance = 0.299 * original[index] + 0.587 * original[12 + index] + 0.114 * original[24 + index]
      for channel in 0..<3 {
        XCTAssertEqual(kept[channel * 12 + index], 0.5 + 0.3 * (luminance - 0.5), accuracy: 1e-6)
      }
    }
  }

  func testDivergingColoursAreRedForPositiveBlueForNegativeWhiteAtZero() {
    let colours = LIMEPicture.diverging(Tensor(shape: [1, 3], scalars: [2, 0, -1])).scalars

    for (value, expected) in zip([colours[0], colours[3], colours[6]], [Float(0.8), 0.09, 0.15]) {
      XCTAssertEqual(value, expected, accuracy: 1e-6)
    }
    XCTAssertEqual([colours[1], colours[4], colours[7]], [1, 1, 1])
    let (red, green, blue) = (colours[2], colours[5], colours[8])
    XCTAssertLessThan(red, blue)  // half-strength blue
    XCTAssertEqual(red, 1 - 0.87 / 2, accuracy: 1e-6)
    XCTAssertEqual(green, 1 - 0.60 / 2, accuracy: 1e-6)
  }

  func testPanelIsThreePicturesWideAndWritesAPNG() throws {
    let explanation = LIMEExplanation(
      segmentation: halves, masks: [1, 1], distances: [0], weights: [1], probabilities: [1],
      labels: [
        LIMELabelExplanation(
          label: 0, coefficients: [0.5, -0.25], selected: [0, 1], intercept: 0.1, score: 1,
          localPrediction: 0.35, probability: 0.35)
      ])
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("lime-panel-\(ProcessInfo.processInfo.processIdentifier).png")
    defer { try? FileManager.default.removeItem(at: url) }

    let panel = LIMEPicture.panel(image: image, explanation: explanation, label: 0, k: 5, gap: 2)
    try LIMEPicture.writePanel(image: image, explanation: explanation, label: 0, to: url)

    XCTAssertEqual(panel.shape, [3, 4, 16])
    XCTAssertEqual(try ImageFile.decode(contentsOf: url).shape, [3, 4, 20])
  }
}
