import Foundation
import TestSupport
import XCTest

@testable import BiasProbe

final class ClassHierarchyTests: XCTestCase {
  // ImageNet class indices used below.
  private let eskimoDog = 248, malamute = 249, siberianHusky = 250, beagle = 162
  private let tabby = 281, tigerCat = 282, egyptianCat = 285, espresso = 967

  func testTwoSledDogsAreNeighboursThroughSledDog() throws {
    let hierarchy = try WordNetFixture.load()

    let mistake = hierarchy.mistake(trueClass: siberianHusky, predictedClass: malamute)

    XCTAssertEqual(mistake.distance, 2)
    XCTAssertEqual(mistake.ancestorID, "n02109811")
    XCTAssertEqual(mistake.ancestorName, "sled dog")
    XCTAssertEqual(mistake.kind, .neighbour)
  }

  func testHuskyAndEskimoDogAreRelatedWorkingDogs() throws {
    let hierarchy = try WordNetFixture.load()

    let mistake = hierarchy.mistake(trueClass: siberianHusky, predictedClass: eskimoDog)

    XCTAssertEqual(mistake.distance, 3)
    XCTAssertEqual(mistake.ancestorName, "working dog")
    XCTAssertEqual(mistake.kind, .related)
    // A beagle is still a dog (LCA "dog"), but six edges away: a different breed group.
    let beagleMistake = hierarchy.mistake(trueClass: siberianHusky, predictedClass: beagle)
    XCTAssertEqual(beagleMistake.ancestorName, "dog")
    XCTAssertEqual(beagleMistake.distance, 6)
  }

  func testEspressoAndATigerCatAreDifferentThings() throws {
    let hierarchy = try WordNetFixture.load()

    let mistake = hierarchy.mistake(trueClass: espresso, predictedClass: tigerCat)

    XCTAssertEqual(mistake.distance, 14)
    XCTAssertEqual(mistake.ancestorName, "physical entity")
    XCTAssertEqual(mistake.kind, .different)
  }

  func testDistanceIsSymmetricAndZeroOnTheDiagonal() throws {
    let hierarchy = try WordNetFixture.load()
    let classes = [eskimoDog, malamute, siberianHusky, beagle, tabby, tigerCat, egyptianCat, espresso, 0, 999]

    for a in classes {
      XCTAssertEqual(hierarchy.distance(a, a), 0)
      XCTAssertEqual(hierarchy.mistake(trueClass: a, predictedClass: a).kind, .sameClass)
      for b in classes {
        XCTAssertEqual(hierarchy.distance(a, b), hierarchy.distance(b, a), "\(a), \(b)")
        if a != b { XCTAssertGreaterThan(hierarchy.distance(a, b), 0) }
      }
    }
    // The three cats of chelsea.png's top 3 share "domestic cat".
    XCTAssertEqual(hierarchy.mistake(trueClass: tabby, predictedClass: tigerCat).ancestorName, "domestic cat")
    XCTAssertEqual(hierarchy.distance(tigerCat, egyptianCat), 2)
  }

  func testClassIndexOfAWordNetID() throws {
    let hierarchy = try WordNetFixture.load()

    XCTAssertEqual(hierarchy.classIndex(ofID: "n07920052"), espresso)
    XCTAssertEqual(hierarchy.classIDs.count, 1000)
    XCTAssertNil(hierarchy.classIndex(ofID: "n00001740"))
  }

  func testAnUnknownOrMalformedIDIsATypedErrorNamingItsLine() throws {
    let wordNet = try WordNetFixture.load().wordNet

    XCTAssertThrowsError(
      try ClassHierarchy(wordNet: wordNet, classIDs: ["n02110185", "n99999999"], source: "ids.txt")
    ) {
      XCTAssertEqual($0 as? WordNetError, .unknownID(file: "ids.txt", line: 2, id: "n99999999"))
    }
    XCTAssertThrowsError(
      try ClassHierarchy(wordNet: wordNet, classIDs: ["husky"], source: "ids.txt")
    ) {
      XCTAssertEqual($0 as? WordNetError, .malformedID(file: "ids.txt", line: 1, text: "husky"))
    }
  }

  func testAnIDFileWithTheWrongClassCountIsRejected() throws {
    _ = try WordNetFixture.load()
    let ids = FileManager.default.temporaryDirectory
      .appendingPathComponent("wnids-\(ProcessInfo.processInfo.processIdentifier).txt")
    try "n02110185\n\nn02109961\n".write(to: ids, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: ids) }

    XCTAssertEqual(try ClassHierarchy.readIDs(contentsOf: ids), ["n02110185", "n02109961"])
    XCTAssertThrowsError(
      try ClassHierarchy(
        wordNet: repositoryRoot.appendingPathComponent("Assets/wordnet/data.noun"),
        classIDs: ids, expectedClassCount: 1000)
    ) {
      XCTAssertEqual($0 as? WordNetError, .wrongClassCount(file: ids.path, expected: 1000, found: 2))
    }
  }
}
