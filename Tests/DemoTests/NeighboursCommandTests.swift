import Foundation
import Imaging
import Tensor
import TestSupport
import XCTest

final class NeighboursCommandTests: XCTestCase {
  /// `[3, H, W]` mirrored left to right.
  private func mirrored(_ image: Tensor) -> Tensor {
    let (c, h, w) = (image.shape[0], image.shape[1], image.shape[2])
    let source = image.contiguous().scalars
    var out = [Float](repeating: 0, count: source.count)
    for k in 0..<c { for y in 0..<h { for x in 0..<w {
      out[(k * h + y) * w + x] = source[(k * h + y) * w + (w - 1 - x)]
    } } }
    return Tensor(shape: image.shape, scalars: out)
  }

  /// A reference folder of mirrored copies of four photographs: the query's own copy comes first,
  /// in the JSON and in the gallery; a second run reads the feature cache.
  func testNearestNeighbourOfAPhotographIsItsMirroredCopy() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("neighbours-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    for name in ["horse.png", "rocket.jpg", "chelsea.png", "coffee.png"] {
      let image = try ImageFile.decode(contentsOf: assetURL("images/\(name)"))
      let stem = (name as NSString).deletingPathExtension
      try ImageFile.write(mirrored(image), to: folder.appendingPathComponent("\(stem)-mirrored.png"))
    }
    let gallery = folder.appendingPathComponent("gallery.png")
    let cache = folder.appendingPathComponent("features.safetensors")
    let arguments = ["neighbours", "Assets/images/horse.png", "--set", folder.path, "-k", "3", "--json",
                     "--quiet", "--output", gallery.path, "--cache", cache.path]
    let run = try runDemo(arguments)
    XCTAssertEqual(run.status, 0, run.standardError)
    let object = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
    XCTAssertEqual(object["metric"] as? String, "cosine")
    let neighbours = try XCTUnwrap(object["neighbours"] as? [[String: Any]])
    XCTAssertEqual(neighbours.count, 3)
    XCTAssertEqual(neighbours.first?["label"] as? String, "horse-mirrored")
    let distances = neighbours.compactMap { $0["distance"] as? Double }
    XCTAssertEqual(distances, distances.sorted())
    XCTAssertTrue(distances.allSatisfy { (0...2).contains($0) })

    let sheet = try ImageFile.decode(contentsOf: gallery)
    XCTAssertEqual(sheet.shape[0], 3)
    XCTAssertGreaterThan(sheet.shape[2], 4 * 128)  // query + 3 neighbours in one row
    XCTAssertTrue(FileManager.default.fileExists(atPath: cache.path))

    let again = try runDemo(arguments.filter { $0 != "--json" })
    XCTAssertEqual(again.status, 0, again.standardError)
    XCTAssertTrue(again.lines.count == 4 && again.lines[1].hasSuffix("horse-mirrored.png"), again.standardOutput)
  }

  func testBadArgumentsFailWithAMessage() throws {
    let zero = try runDemo(["neighbours", "Assets/images/horse.png", "--set", "Assets/images", "-k", "0"])
    XCTAssertNotEqual(zero.status, 0)
    XCTAssertTrue(zero.standardError.contains("-k must be at least 1"), zero.standardError)
    let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID())")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: empty) }
    let none = try runDemo(["neighbours", "Assets/images/horse.png", "--set", empty.path, "--quiet"])
    XCTAssertNotEqual(none.status, 0)
    XCTAssertTrue(none.standardError.contains("no usable PNG or JPEG"), none.standardError)
  }
}
