import Explain
import Foundation
import Imaging
import Models
import Tensor
import TestSupport
import XCTest

/// The golden segmentations of `Tests/Fixtures/Superpixels/` (made by
/// `Tools/make_superpixel_fixtures.py` with scikit-image 0.24).
///
/// Each input is a bundled photograph as LIME sees it through the classifier:
/// `Preprocessing.imageNet` (shorter side 256, centre crop 224), rounded to 8 bits and stored as
/// `<name>_input.npy` (`uint8 [224, 224, 3]`), so that Swift and scikit-image segment exactly
/// the same pixels (`v / 255` in float32, then float64, on both sides).
/// `WRITE_SUPERPIXEL_FIXTURES=1 swift test --filter SuperpixelFixtureTests` rewrites the inputs.
enum SuperpixelFixtures {
  /// The photographs (under `Assets/images/`) the goldens were made from.
  static let names = ["coffee", "chelsea", "astronaut"]

  /// The committed 8-bit input `[3, 224, 224]` of `name`, in [0, 1].
  static func input(_ name: String) throws -> Tensor {
    let array = try NumPyArray.read(contentsOf: fixtureURL("Superpixels/\(name)_input.npy"))
    let pixels = array.tensor()  // [H, W, 3] holding 0...255
    return (pixels.permuted([2, 0, 1]).contiguous() / 255).contiguous()
  }

  /// The photograph preprocessed by `Preprocessing.imageNet` and rounded to 8 bits, `[H, W, 3]`.
  static func preprocessedBytes(_ name: String) throws -> (shape: [Int], bytes: [UInt8]) {
    let photo = try ImageFile.decode(contentsOf: assetURL("images/\(name).png"))
    let crop = try Preprocessing.imageNet(photo)
    let (height, width) = (crop.shape[1], crop.shape[2])
    let planes = crop.contiguous().scalars
    var bytes = [UInt8](repeating: 0, count: height * width * 3)
    for index in 0..<(height * width) {
      for channel in 0..<3 {
        let value = planes[channel * height * width + index]
        bytes[index * 3 + channel] = UInt8((min(max(value, 0), 1) * 255).rounded())
      }
    }
    return ([height, width, 3], bytes)
  }

  /// A scikit-image label map `<file>.npy` (`int16 [224, 224]`).
  static func golden(_ file: String) throws -> SuperpixelMap {
    let array = try NumPyArray.read(contentsOf: fixtureURL("Superpixels/\(file).npy"))
    return try SuperpixelMap(array.tensor())
  }
}

/// Checks (or, with `WRITE_SUPERPIXEL_FIXTURES=1`, writes) the committed inputs.
final class SuperpixelFixtureTests: XCTestCase {
  /// The committed inputs are the bundled photographs through `Preprocessing.imageNet`.
  func testInputsArePreprocessedPhotographs() throws {
    let write = ProcessInfo.processInfo.environment["WRITE_SUPERPIXEL_FIXTURES"] == "1"
    for name in SuperpixelFixtures.names {
      let (shape, bytes) = try SuperpixelFixtures.preprocessedBytes(name)
      XCTAssertEqual(shape, [224, 224, 3])
      let url = fixtureURL("Superpixels/\(name)_input.npy")
      if write {
        try NumPyArray.write(
          WeightArray(dtype: .uint8, shape: shape, data: Data(bytes)), to: url)
      }
      let stored = try NumPyArray.read(contentsOf: url)
      XCTAssertEqual(stored.dtype, .uint8, name)
      XCTAssertEqual(stored.shape, shape, name)
      XCTAssertEqual([UInt8](stored.data), bytes, "\(name): rerun the fixture step")
    }
  }
}
