import XCTest

@testable import BiasProbe

final class MistakeKindTests: XCTestCase {
  func testDefaultScaleCutsAtTwoAndFour() {
    let scale = MistakeScale.default

    XCTAssertEqual((0...7).map(scale.kind(of:)), [
      .sameClass, .neighbour, .neighbour, .related, .related, .different, .different, .different,
    ])
  }

  func testACustomScaleMovesTheCuts() {
    let scale = MistakeScale(neighbourMaximum: 3, relatedMaximum: 6)

    XCTAssertEqual(scale.kind(of: 3), .neighbour)
    XCTAssertEqual(scale.kind(of: 6), .related)
    XCTAssertEqual(scale.kind(of: 7), .different)
  }
}
