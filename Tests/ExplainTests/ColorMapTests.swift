import Explain
import Foundation
import Tensor
import XCTest

final class ColorMapTests: XCTestCase {
  /// matplotlib's viridis entries 0, 128 and 255 (`colormaps["viridis"].colors`).
  func testTableMatchesMatplotlibAtEndpointsAndMiddle() {
    let map = ColorMap.viridis
    let low = map.color(at: 0)
    XCTAssertEqual(low.red, 0.267004, accuracy: 1e-6)
    XCTAssertEqual(low.green, 0.004874, accuracy: 1e-6)
    XCTAssertEqual(low.blue, 0.329415, accuracy: 1e-6)
    let high = map.color(at: 1)
    XCTAssertEqual(high.red, 0.993248, accuracy: 1e-6)
    XCTAssertEqual(high.green, 0.906157, accuracy: 1e-6)
    XCTAssertEqual(high.blue, 0.143936, accuracy: 1e-6)
    let middle = map.color(at: 128 / 255)
    XCTAssertEqual(middle.red, 0.127568, accuracy: 1e-6)
    XCTAssertEqual(middle.green, 0.566949, accuracy: 1e-6)
    XCTAssertEqual(middle.blue, 0.550556, accuracy: 1e-6)
    // Out of range clamps.
    XCTAssertEqual(map.color(at: -3).red, low.red)
    XCTAssertEqual(map.color(at: 7).green, high.green)
  }

  /// CIE L* (D65, sRGB decoding) rises strictly from 0 to 1: the map is perceptually ordered.
  func testLightnessIncreasesMonotonically() {
    func linear(_ c: Float) -> Double {
      let c = Double(c)
      return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
    }
    var previous = -Double.infinity
    for step in 0...511 {
      let (r, g, b) = ColorMap.viridis.color(at: Float(step) / 511)
      let y = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
      let f = y > 216.0 / 24389 ? cbrt(y) : (24389.0 / 27 * y + 16) / 116
      let lightness = 116 * f - 16
      XCTAssertGreaterThan(lightness, previous, "step \(step)")
      previous = lightness
    }
    XCTAssertGreaterThan(previous, 85)
  }

  func testApplyColorsEveryPixel() {
    let map = Tensor(shape: [1, 2], scalars: [0, 1])
    let rgb = ColorMap.viridis.apply(map)
    XCTAssertEqual(rgb.shape, [3, 1, 2])
    XCTAssertEqual(rgb[0, 0, 0], 0.267004, accuracy: 1e-6)
    XCTAssertEqual(rgb[2, 0, 1], 0.143936, accuracy: 1e-6)
  }
}
