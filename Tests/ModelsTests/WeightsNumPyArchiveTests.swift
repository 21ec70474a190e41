import Foundation
import Models
import Tensor
import TestSupport
import XCTest

final class WeightsNumPyArchiveTests: XCTestCase {
  func testStoredArchiveFromSavezMatchesGoldenValues() throws {
    let golden = try XCTUnwrap(try weightGolden()["npz/stored.npz"])
    let file = try NumPyArchive.read(contentsOf: weightFixture("npz/stored.npz"))
    assertMatchesGolden(file, golden)
  }

  func testDeflatedArchiveFromSavezCompressedMatchesGoldenValues() throws {
    let golden = try XCTUnwrap(try weightGolden()["npz/compressed.npz"])
    let archive = try ZipArchive(
      Data(contentsOf: weightFixture("npz/compressed.npz")), name: "compressed.npz")
    XCTAssertTrue(archive.entries.allSatisfy { $0.method == 8 }, "np.savez_compressed deflates")
    let file = try WeightFile(contentsOf: weightFixture("npz/compressed.npz"))
    assertMatchesGolden(file, golden)
  }

  func testZip64ArchiveMatchesGoldenValues() throws {
    let golden = try XCTUnwrap(try weightGolden()["npz/zip64.npz"])
    let file = try WeightFile(contentsOf: weightFixture("npz/zip64.npz"))
    assertMatchesGolden(file, golden)
  }

  func testMembersInFoldersKeepTheirPathAndFolderEntriesAreSkipped() throws {
    let member = try Data(contentsOf: weightFixture("numpy/f4.npy"))
    var zip = ZipBuilder()
    zip.add("layer1/", [])
    zip.add("layer1/w.npy", member)

    let file = try WeightFile(data: zip.data, name: "f.npz")

    XCTAssertEqual(file.format, .numpyArchive)
    XCTAssertEqual(file.keys, ["layer1/w"])
    XCTAssertEqual(file["layer1/w"]?.shape, [2, 3])
  }

  func testMemberThatIsNotAnArrayIsRefused() {
    var zip = ZipBuilder()
    zip.add("notes.txt", Array("hello".utf8))
    assertWeightError(try WeightFile(data: zip.data, name: "n.npz")) {
      if case .unsupported("n.npz", "notes.txt", _) = $0 { return true }
      return false
    }
  }

  func testBrokenMemberNamesTheArchiveAndTheMember() {
    var zip = ZipBuilder()
    zip.add("w.npy", [0x93] + Array("NUMPY".utf8) + [1, 0, 200, 0])
    assertWeightError(try WeightFile(data: zip.data, name: "b.npz")) {
      if case .truncated("b.npz", "w.npy", _, _, _, _) = $0 { return true }
      return false
    }
  }
}
