import XCTest
@testable import BiasProbe

final class ProportionTests: XCTestCase {
  /// Reference values from the closed form evaluated in Python (float64):
  /// `(p + z²/2n ± z√(p(1−p)/n + z²/4n²)) / (1 + z²/n)`.
  func testWilsonIntervalMatchesTheClosedForm() {
    let interval = Proportion(successes: 78, trials: 100).wilsonInterval()
    // z = 1.959963984540054: centre (0.78 + z²/200)/(1 + z²/100), half-width as documented.
    XCTAssertEqual(interval.lowerBound, 0.6892965, accuracy: 1e-6)
    XCTAssertEqual(interval.upperBound, 0.8499872, accuracy: 1e-6)
    let none = Proportion(successes: 0, trials: 10).wilsonInterval()
    XCTAssertEqual(none.lowerBound, 0, accuracy: 1e-12)
    XCTAssertEqual(none.upperBound, 0.2775328, accuracy: 1e-6)
  }

  func testEstimateAndEmptyProportion() {
    XCTAssertEqual(Proportion(successes: 9, trials: 10).estimate, 0.9)
    XCTAssertTrue(Proportion(successes: 0, trials: 0).estimate.isNaN)
    XCTAssertEqual(Proportion(successes: 0, trials: 0).wilsonInterval(), 0...1)
  }

  func testNormalQuantile() {
    XCTAssertEqual(StandardNormal.quantile(0.975), 1.959963984540054, accuracy: 1e-12)
    XCTAssertEqual(StandardNormal.quantile(0.5), 0, accuracy: 1e-14)
    XCTAssertEqual(StandardNormal.quantile(0.001), -3.090232306167813, accuracy: 1e-11)
  }

  func testWiderConfidenceGivesWiderInterval() {
    let p = Proportion(successes: 30, trials: 50)
    let narrow = p.wilsonInterval(confidence: 0.8)
    let wide = p.wilsonInterval(confidence: 0.99)
    XCTAssertLessThan(wide.lowerBound, narrow.lowerBound)
    XCTAssertGreaterThan(wide.upperBound, narrow.upperBound)
  }
}
