import XCTest
import Tensor

final class TensorViewTests: XCTestCase {
  func testPermuteThenContiguousMatchesManualTranspose() {
    let x = Tensor(shape: [2, 3], scalars: (0..<6).map(Float.init))
    XCTAssertEqual(x.transposed().scalars, [0, 3, 1, 4, 2, 5])
  }
}
