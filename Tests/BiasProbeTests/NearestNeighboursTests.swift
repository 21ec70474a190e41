import Foundation
import Imaging
import Models
import Tensor
import TestSupport
import XCTest
@testable import BiasProbe

final class NearestNeighboursTests: XCTestCase {
  /// Brute force in Double: every distance, sorted (ties by index).
  private func bruteForce(_ query: [Float], _ reference: [[Float]], metric: NearestNeighbours.Metric) -> [(Int, Double)] {
    let distances = reference.enumerated().map { j, row -> (Int, Double) in
      switch metric {
      case .l2:
        return (j, zip(query, row).reduce(0.0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) }.squareRoot())
      case .cosine:
        let dot = zip(query, row).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let nq = query.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let nr = row.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        return (j, 1 - dot / (nq * nr))
      }
    }
    return distances.sorted { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
  }

  func testMatchesBruteForceAcrossBlocksForBothMetrics() throws {
    var rng = SeededGenerator(seed: 11)
    let (m, d, q) = (53, 17, 6)
    let reference = Tensor.normal([m, d], using: &rng)
    let queries = Tensor.normal([q, d], using: &rng)
    let rows = (0..<m).map { reference[index: $0].scalars }
    for metric in NearestNeighbours.Metric.allCases {
      let index = try NearestNeighbours(
        reference: reference, labels: (0..<m).map { "r\($0)" }, metric: metric, blockSize: 7)
      let found = try index.neighbours(of: queries, k: 5)
      XCTAssertEqual(found.count, q)
      for i in 0..<q {
        let expected = bruteForce(queries[index: i].scalars, rows, metric: metric).prefix(5)
        XCTAssertEqual(found[i].map(\.index), expected.map(\.0), "\(metric) query \(i)")
        for (neighbour, (j, distance)) in zip(found[i], expected) {
          XCTAssertEqual(neighbour.distance, distance, accuracy: 1e-9)
          XCTAssertEqual(neighbour.label, "r\(j)")
        }
        XCTAssertEqual(found[i].map(\.distance), found[i].map(\.distance).sorted())
        if metric == .cosine { XCTAssertTrue(found[i].allSatisfy { (0...2).contains($0.distance) }) }
      }
    }
  }

  func testSmallSetsOneQueryZeroVectorsAndErrors() throws {
    let reference = Tensor(shape: [3, 2], scalars: [1, 0, 0, 1, 0, 0])
    let cosine = try NearestNeighbours(reference: reference)
    let found = try cosine.neighbours(of: Tensor(shape: [2], scalars: [-1, 0]), k: 10)
    XCTAssertEqual(found[0].map(\.index), [1, 2, 0])  // 1 − cos: 1 (orthogonal), 1 (zero), 2
    XCTAssertEqual(found[0].map(\.distance), [1, 1, 2])
    let l2 = try NearestNeighbours(reference: reference, metric: .l2)
    XCTAssertEqual(try l2.neighbours(of: Tensor(shape: [2], scalars: [3, 4]), k: 1)[0][0].distance,
      (9.0 + 9).squareRoot(), accuracy: 1e-12)  // (0, 1) is nearest
    XCTAssertThrowsError(try cosine.neighbours(of: Tensor(zeros: [3]), k: 1)) {
      XCTAssertEqual($0 as? NeighbourError, .wrongShape(what: "query features", expected: "[Q, 2] or [2]", found: [3]))
    }
    XCTAssertThrowsError(try cosine.neighbours(of: Tensor(zeros: [2]), k: 0)) {
      XCTAssertEqual($0 as? NeighbourError, .invalidK(0))
    }
    XCTAssertThrowsError(try NearestNeighbours(reference: reference, labels: ["a"])) {
      XCTAssertEqual($0 as? NeighbourError, .labelCountMismatch(labels: 1, rows: 3))
    }
    XCTAssertThrowsError(try NearestNeighbours(reference: Tensor(shape: [1, 2], scalars: [.nan, 0]))) {
      XCTAssertEqual($0 as? NeighbourError, .nonFinite(what: "reference features", row: 0))
    }
  }

  /// On Lite0 features of the bundled photographs: each photograph's nearest image in a set of
  /// mirrored and zoomed (centre 70%) copies of all of them is a copy of itself.
  func testEachPhotographsNearestNeighbourIsACopyOfItself() throws {
    let lite0 = try ProbeFixtures.classifier()
    let photos = try ProbeFixtures.photographs()
    XCTAssertGreaterThanOrEqual(photos.count, 10)
    var originals: [Tensor] = [], copies: [Tensor] = [], copyOwner: [Int] = []
    for (i, url) in photos.enumerated() {
      let decoded = try ImageFile.decode(contentsOf: url)
      let original = try lite0.preprocessing(decoded)
      originals.append(original)
      copies.append(ProbeFixtures.mirrored(original))
      let (h, w) = (decoded.shape[1], decoded.shape[2])
      copies.append(try lite0.preprocessing(
        decoded.centerCropped(height: h * 7 / 10, width: w * 7 / 10).contiguous()))
      copyOwner += [i, i]
    }
    let extractor = FeatureExtractor(classifier: lite0, modelIdentity: "lite0", batchSize: 8)
    let queries = try extractor.features(of: Tensor.stack(originals))
    let reference = try extractor.features(of: Tensor.stack(copies))
    for metric in NearestNeighbours.Metric.allCases {
      let index = try NearestNeighbours(reference: reference, metric: metric)
      let found = try index.neighbours(of: queries, k: 4)
      for (i, list) in found.enumerated() {
        XCTAssertEqual(copyOwner[list[0].index], i,
          "\(metric): nearest of \(photos[i].lastPathComponent) is a copy of \(photos[copyOwner[list[0].index]].lastPathComponent)")
        XCTAssertEqual(list.map(\.distance), list.map(\.distance).sorted())
        if metric == .cosine { XCTAssertTrue(list.allSatisfy { (0...2).contains($0.distance) }) }
      }
    }
  }
}
