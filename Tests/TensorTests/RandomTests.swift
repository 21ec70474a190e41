import Foundation
import Tensor
import XCTest

final class RandomTests: XCTestCase {
  func testGeneratorReproducesTheReferenceXoshiro256StarStar() {
    // Python transcription of SplitMix64 seeding + xoshiro256** (Blackman & Vigna):
    //   M = 2**64 - 1
    //   def splitmix(x):
    //       while True:
    //           x = (x + 0x9E3779B97F4A7C15) & M; z = x
    //           z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    //           z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    //           yield z ^ (z >> 31)
    //   rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & M
    //   g = splitmix(seed); s = [next(g) for _ in range(4)]
    //   result = (rotl((s[1] * 5) & M, 7) * 9) & M; t = (s[1] << 17) & M
    //   s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45)
    var seeded42 = SeededGenerator(seed: 42)
    var seeded0 = SeededGenerator(seed: 0)

    XCTAssertEqual(
      [seeded42.next(), seeded42.next(), seeded42.next()],
      [0x1578_0b2e_0c2e_c716, 0x6104_d986_6d11_3a7e, 0xae17_5332_39e4_99a1])
    XCTAssertEqual(
      [seeded0.next(), seeded0.next()], [0x99ec_5f36_cb75_f2b4, 0xbf6e_1f78_4956_452a])
  }

  func testEqualSeedsGiveEqualSequencesAndDifferentSeedsDiffer() {
    var a = SeededGenerator(seed: 7)
    var b = SeededGenerator(seed: 7)
    var c = SeededGenerator(seed: 8)

    let first = (0..<100).map { _ in a.next() }
    let second = (0..<100).map { _ in b.next() }
    let other = (0..<100).map { _ in c.next() }

    XCTAssertEqual(first, second)
    XCTAssertNotEqual(first, other)
    XCTAssertEqual(Set(first).count, 100)
  }

  func testSplitGeneratorsAreDeterministicAndDistinct() {
    var parent = SeededGenerator(seed: 9)
    var twin = SeededGenerator(seed: 9)

    var child0 = parent.split(0)
    var child1 = parent.split(1)
    var twinChild0 = twin.split(0)

    XCTAssertEqual(child0.next(), twinChild0.next())
    XCTAssertNotEqual(child0.next(), child1.next())
  }

  func testUnitFloatsAreUniformInTheHalfOpenInterval() {
    var rng = SeededGenerator(seed: 10)
    let samples = (0..<100_000).map { _ in rng.nextUnitFloat() }

    XCTAssertTrue(samples.allSatisfy { $0 >= 0 && $0 < 1 })
    let mean = samples.reduce(0, +) / Float(samples.count)
    XCTAssertEqual(mean, 0.5, accuracy: 0.005)
    // Ten equal bins hold about a tenth each (binomial σ ≈ 95).
    var bins = [Int](repeating: 0, count: 10)
    for s in samples { bins[Int(s * 10)] += 1 }
    XCTAssertTrue(bins.allSatisfy { Swift.abs($0 - 10_000) < 500 }, "\(bins)")
  }

  func testGaussianSamplesHaveUnitMomentsAndNormalTails() {
    var rng = SeededGenerator(seed: 11)
    let samples = (0..<100_000).map { _ in Double(rng.nextGaussian()) }

    let mean = samples.reduce(0, +) / Double(samples.count)
    let variance = samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(samples.count)
    let beyondTwo = Double(samples.filter { Swift.abs($0) > 2 }.count) / Double(samples.count)

    XCTAssertEqual(mean, 0, accuracy: 0.01)
    XCTAssertEqual(variance, 1, accuracy: 0.02)
    XCTAssertEqual(beyondTwo, 0.0455, accuracy: 0.003)
    XCTAssertTrue(samples.allSatisfy(\.isFinite))
  }

  func testRandomTensorsAreReproducibleAndRespectTheirParameters() {
    var a = SeededGenerator(seed: 12)
    var b = SeededGenerator(seed: 12)

    let uniform = Tensor.uniform([50, 40], low: -3, high: 5, using: &a)
    let normal = Tensor.normal([50, 40], mean: 2, standardDeviation: 0.5, using: &a)

    XCTAssertEqual(uniform, Tensor.uniform([50, 40], low: -3, high: 5, using: &b))
    XCTAssertEqual(normal, Tensor.normal([50, 40], mean: 2, standardDeviation: 0.5, using: &b))
    XCTAssertGreaterThanOrEqual(uniform.minimum(), -3)
    XCTAssertLessThan(uniform.maximum(), 5)
    XCTAssertEqual(uniform.mean(), 1, accuracy: 0.15)
    XCTAssertEqual(normal.mean(), 2, accuracy: 0.05)
    XCTAssertEqual(((normal - 2).squared()).mean(), 0.25, accuracy: 0.02)
  }

  func testUniformSamplesStayBelowTheUpperBoundEvenWhenRoundingWouldReachIt() {
    // With low = 1e7 the spacing of Float is 1, so low + (high − low)·u rounds up to high for
    // u close to 1.
    var rng = SeededGenerator(seed: 13)

    let samples = Tensor.uniform([20_000], low: 1e7, high: 1e7 + 2, using: &rng)

    XCTAssertLessThan(samples.maximum(), 1e7 + 2)
    XCTAssertGreaterThanOrEqual(samples.minimum(), 1e7)
  }
}
