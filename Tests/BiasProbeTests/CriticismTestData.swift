import Foundation
import Tensor
import TestSupport
import XCTest

@testable import BiasProbe
@testable import Models

/// Data shared by the Criticism tests: scikit-learn's digits, Gaussian blobs, brute-force kernels.
enum CriticismTestData {
  /// scikit-learn's digits (`Assets/digits/digits.csv.gz`): 1797 rows of 64 pixel values (0–16)
  /// followed by the label.
  static func digits() throws -> (features: Tensor, labels: [Int]) {
    let url = try assetURL("digits/digits.csv.gz")
    let text = String(
      decoding: try Gzip.decompress(Data(contentsOf: url), file: url.path, limit: 1 << 24),
      as: UTF8.self)
    var values: [Float] = []
    var labels: [Int] = []
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: ",").map { Float($0)! }
      values += fields.dropLast()
      labels.append(Int(fields.last!))
    }
    return (Tensor(shape: [labels.count, 64], scalars: values), labels)
  }

  /// The golden file made by `Tools/make_mmd_critic_fixtures.py`.
  struct Golden: Decodable {
    struct Criticisms: Decodable {
      let indices: [Int]
      let scores: [Double]
    }
    struct Case: Decodable {
      let scope: String
      let gamma: Double
      let prototypes: [Int]
      let prototypeScores: [Double]
      let criticisms: [String: Criticisms]
    }
    let medianSquaredDistance: Double
    let medianHeuristicGamma: Double
    let first200MedianSquaredDistance: Double
    let prototypeCount: Int
    let criticismCount: Int
    let cases: [Case]
  }

  static func golden() throws -> Golden {
    try JSONDecoder().decode(
      Golden.self,
      from: Data(contentsOf: fixtureURL("Criticism/digits_mmd_critic.json")))
  }

  /// `count` points around each centre, `spread` standard deviation, seeded.
  static func blobs(
    centres: [[Float]], count: Int, spread: Float, seed: UInt64
  ) -> (features: Tensor, labels: [Int]) {
    var rng = SeededGenerator(seed: seed)
    var values: [Float] = []
    var labels: [Int] = []
    for (label, centre) in centres.enumerated() {
      for _ in 0..<count {
        values += centre.map { $0 + spread * rng.nextGaussian() }
        labels.append(label)
      }
    }
    return (Tensor(shape: [labels.count, centres[0].count], scalars: values), labels)
  }

  /// The RBF kernel matrix computed entry by entry in double precision.
  static func bruteForceKernel(_ features: Tensor, gamma: Double, labels: [Int]? = nil) -> KernelMatrix {
    let (n, d) = (features.shape[0], features.shape[1])
    let x = features.scalars.map(Double.init)
    var entries = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      for j in 0..<n {
        if let labels, labels[i] != labels[j] { continue }
        var total = 0.0
        for k in 0..<d { total += (x[i * d + k] - x[j * d + k]) * (x[i * d + k] - x[j * d + k]) }
        entries[i * n + j] = exp(-gamma * total)
      }
    }
    return KernelMatrix(count: n, entries: entries)
  }
}
