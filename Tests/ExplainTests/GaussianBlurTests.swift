import Foundation
import Tensor
import TestSupport
import XCTest

@testable import Explain

final class GaussianBlurTests: XCTestCase {
  /// Golden values: `scipy.ndimage.gaussian_filter(mode="nearest", truncate=3)` per channel
  /// (Tools/make_metrics_fixtures.py).
  func testMatchesSciPyGaussianFilter() throws {
    let data = try Data(contentsOf: fixtureURL("Explain/metrics.json"))
    let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    let blur = try XCTUnwrap(json["blur"] as? [String: Any])
    let shape = try XCTUnwrap(blur["shape"] as? [Int])
    let image = Tensor(
      shape: shape, scalars: try XCTUnwrap(blur["image"] as? [Double]).map(Float.init))
    for item in try XCTUnwrap(blur["cases"] as? [[String: Any]]) {
      let sigma = Float(try XCTUnwrap(item["sigma"] as? Double))
      let expected = Tensor(
        shape: shape, scalars: try XCTUnwrap(item["blurred"] as? [Double]).map(Float.init))
      assertAllClose(GaussianBlur(sigma: sigma).apply(image), expected, absoluteTolerance: 2e-6)
    }
  }

  func testConstantImageStaysConstant() {
    let image = Tensor(shape: [3, 6, 7], repeating: 0.25)
    let blurred = GaussianBlur(sigma: 5).apply(image)
    XCTAssertTrue(blurred.scalars.allSatisfy { Swift.abs($0 - 0.25) < 1e-6 })
  }
}
