import Foundation
import TestSupport
import XCTest

@testable import BiasProbe

/// Shared, parsed once: WordNet 3.0's nouns and the ImageNet classes placed in them.
enum WordNetFixture {
  static let hierarchy: Result<ClassHierarchy, any Error> = Result {
    let root = repositoryRoot.appendingPathComponent("Assets")
    return try ClassHierarchy(
      wordNet: root.appendingPathComponent("wordnet/data.noun"),
      classIDs: root.appendingPathComponent("labels/imagenet_wnids.txt"), expectedClassCount: 1000)
  }

  static func load(file: StaticString = #filePath, line: UInt = #line) throws -> ClassHierarchy {
    _ = try assetURL("wordnet/data.noun", file: file, line: line)
    return try hierarchy.get()
  }
}

final class WordNetTests: XCTestCase {
  private struct Golden: Decodable {
    struct Pair: Decodable {
      var a: Int
      var b: Int
      var distance: Int
      var lca: String
      var lcaDepth: Int
    }
    var pairs: [Pair]
  }

  func testDistancesAndAncestorsMatchThePythonReference() throws {
    // Arrange: 313 pairs computed by Tools/make_wordnet_fixtures.py with its own parser.
    let hierarchy = try WordNetFixture.load()
    let golden = try JSONDecoder().decode(
      Golden.self, from: Data(contentsOf: fixtureURL("Mistakes/wordnet_golden.json")))
    XCTAssertEqual(golden.pairs.count, 313)

    for pair in golden.pairs {
      // Act
      let relation = try XCTUnwrap(
        hierarchy.wordNet.relation(hierarchy.classOffsets[pair.a], hierarchy.classOffsets[pair.b]))

      // Assert
      XCTAssertEqual(relation.distance, pair.distance, "classes \(pair.a), \(pair.b)")
      XCTAssertEqual(WordNet.id(offset: relation.ancestor), pair.lca, "classes \(pair.a), \(pair.b)")
      XCTAssertEqual(relation.ancestorDepth, pair.lcaDepth, "classes \(pair.a), \(pair.b)")
    }
  }

  func testParsesEverySynsetWithItsWordsAndHypernyms() throws {
    let wordNet = try WordNetFixture.load().wordNet

    XCTAssertEqual(wordNet.synsets.count, 82_115)
    let husky = try XCTUnwrap(wordNet.synset(id: "n02110185"))
    XCTAssertEqual(husky.words, ["Siberian_husky"])
    XCTAssertEqual(husky.name, "Siberian husky")
    XCTAssertEqual(husky.hypernyms.map(WordNet.id(offset:)), ["n02109811"])  // sled dog
    XCTAssertEqual(wordNet.synset(id: "n00001740")?.hypernyms, [])  // entity, the root
    XCTAssertEqual(wordNet.depth(of: 2110185), 11)
  }

  func testInstanceHypernymsAreFollowed() throws {
    // Arrange: n10954498 "Einstein, Albert_Einstein" @i n10428004 "physicist".
    let wordNet = try WordNetFixture.load().wordNet
    let einstein = try XCTUnwrap(wordNet.synset(id: "n10954498"))
    XCTAssertEqual(einstein.words.first, "Einstein")

    // Act
    let ancestors = wordNet.ancestorDistances(of: einstein.offset)

    // Assert: physicist is one instance-hypernym edge up, person (n00007846) further up.
    XCTAssertEqual(wordNet.synset(id: "n10428004")?.words.first, "physicist")
    XCTAssertEqual(ancestors[10_428_004], 1)
    XCTAssertEqual(wordNet.synset(id: "n00007846")?.words.first, "person")
    XCTAssertNotNil(ancestors[7846])
  }

  func testIDsAndOffsets() {
    XCTAssertEqual(WordNet.id(offset: 2110185), "n02110185")
    XCTAssertEqual(WordNet.offset(ofID: "n02110185"), 2110185)
    XCTAssertNil(WordNet.offset(ofID: "n0211018"))
    XCTAssertNil(WordNet.offset(ofID: "v02110185"))
    XCTAssertNil(WordNet.offset(ofID: "n0211018x"))
  }

  func testAMalformedLineIsATypedErrorNamingTheLine() {
    let text = """
        1 licence text
      00001740 03 n 01 entity 0 000 | root
      00001930 03 n 01 physical_entity 0 001 @ 0000174 n 0000 | bad offset

      """
    XCTAssertThrowsError(try WordNet(data: Data(text.utf8), source: "bad.noun")) { error in
      guard case .malformedLine(let file, let line, _) = error as? WordNetError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(file, "bad.noun")
      XCTAssertEqual(line, 3)
    }
    let truncated = "00001740 03 n 02 entity 0\n"
    XCTAssertThrowsError(try WordNet(data: Data(truncated.utf8), source: "short.noun")) { error in
      XCTAssertTrue("\(error)".contains("short.noun:1"), "\(error)")
    }
  }

  func testAHypernymWithoutASynsetIsADanglingPointer() {
    let text = "00001930 03 n 01 physical_entity 0 001 @ 00001740 n 0000 | no root line\n"
    XCTAssertThrowsError(try WordNet(data: Data(text.utf8), source: "x.noun")) { error in
      XCTAssertEqual(
        error as? WordNetError,
        .danglingPointer(file: "x.noun", from: "n00001930", to: "n00001740"))
    }
  }

  func testAMissingOrEmptyFileIsATypedError() {
    XCTAssertThrowsError(try WordNet(contentsOf: URL(fileURLWithPath: "/no/such/data.noun"))) {
      XCTAssertEqual($0 as? WordNetError, .unreadable(file: "/no/such/data.noun"))
    }
    XCTAssertThrowsError(try WordNet(data: Data("  licence only\n".utf8), source: "e")) {
      XCTAssertEqual($0 as? WordNetError, .empty(file: "e"))
    }
  }
}
