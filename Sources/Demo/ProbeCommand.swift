import ArgumentParser
import BiasProbe
import Foundation
import Models
import Tensor

/// `demo probe --features X.npy`: MMD-critic prototypes and criticisms of a feature matrix,
/// printed in selection order (indices are rows of the file), so the choices can be compared
/// with other implementations of MMD-critic.
///
/// One RBF kernel (`RBFKernel`) is built over the rows (of class `--class` only, when given),
/// then `MMDPrototypes` and `MMDCriticisms` select from it.
struct Probe: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Select MMD-critic prototypes and criticisms of a feature matrix.")

  /// The criticism regulariser, as spelled on the command line.
  enum RegularizerOption: String, ExpressibleByArgument, CaseIterable {
    case logdet, none, iterative

    var regularizer: MMDCriticisms.Regularizer {
      switch self {
      case .logdet: return .logDeterminant
      case .none: return .none
      case .iterative: return .iterative
      }
    }
  }

  @Option(help: "Features [n, d] as a .npy file (any float or integer type).")
  var features: String

  @Option(help: "Labels, one integer per row: a .npy vector or a .csv/.txt of integers.")
  var labels: String?

  @Option(name: .customLong("class"), help: "Only the rows of this label (needs --labels).")
  var classLabel: Int?

  @Option(help: "Number of prototypes.")
  var prototypes = 8

  @Option(help: "Number of criticisms.")
  var criticisms = 4

  @Option(help: "Criticism regulariser: logdet, none or iterative.")
  var regularizer = RegularizerOption.logdet

  @Option(help: "RBF gamma (default: the median heuristic, 1/(2·median squared distance)).")
  var gamma: Double?

  @Option(help: "Kernel: global, or local (zero across classes; needs --labels).")
  var kernel = "global"

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  @Flag(help: "Do not show progress on stderr.")
  var quiet = false

  func validate() throws {
    guard prototypes >= 0, criticisms >= 0 else {
      throw ValidationError("--prototypes and --criticisms cannot be negative.")
    }
    if let gamma, !(gamma > 0 && gamma.isFinite) {
      throw ValidationError("--gamma must be a positive number, not \(gamma).")
    }
    guard let scope = RBFKernel.Scope(rawValue: kernel) else {
      throw ValidationError("--kernel must be global or local, not '\(kernel)'.")
    }
    if labels == nil && (classLabel != nil || scope == .local) {
      throw ValidationError("--class and --kernel local need --labels.")
    }
  }

  func run() throws {
    var matrix = try Probe.readFeatures(features)
    var rowLabels = try labels.map { try Probe.readLabels($0) }
    if let rowLabels, rowLabels.count != matrix.shape[0] {
      throw ProbeInputError.labelCount(file: labels!, labels: rowLabels.count, rows: matrix.shape[0])
    }
    // Rows of the file that take part (all, or one class).
    var rows = Array(0..<matrix.shape[0])
    if let classLabel, let all = rowLabels {
      rows = rows.filter { all[$0] == classLabel }
      guard !rows.isEmpty else { throw ProbeInputError.emptyClass(classLabel) }
      matrix = Tensor.stack(rows.map { matrix.selecting(axis: 0, index: $0) })
      rowLabels = rows.map { all[$0] }
    }
    let options = RBFKernel.Options(
      bandwidth: gamma.map { .gamma($0) } ?? .medianHeuristic,
      scope: RBFKernel.Scope(rawValue: kernel)!)
    let source = try RBFKernel(
      features: matrix, labels: rowLabels, options: options,
      progress: ProgressLine(quiet: quiet).handler)
    let prototypeSelector = MMDPrototypes(count: prototypes, kernel: options)
    let chosen = prototypeSelector.select(in: source)
    let critics = MMDCriticisms(
      count: criticisms, regularizer: regularizer.regularizer, prototypes: prototypeSelector
    ).select(in: source, prototypes: chosen.indices)

    let prototypeRows = chosen.indices.map { rows[$0] }
    let criticismRows = critics.indices.map { rows[$0] }
    if json {
      let report = Report(
        prototypes: prototypeRows, prototypeScores: chosen.scores,
        criticisms: criticismRows, criticismScores: critics.scores,
        gamma: source.gamma, kernel: kernel, regularizer: regularizer.rawValue,
        points: rows.count, dimensions: matrix.shape[1], classLabel: classLabel)
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      print(String(decoding: try encoder.encode(report), as: UTF8.self))
      return
    }
    let allLabels = try labels.map { try Probe.readLabels($0) }
    print(
      "\(rows.count) points × \(matrix.shape[1]), \(kernel) RBF kernel, gamma \(source.gamma)"
        + (gamma == nil ? " (median heuristic)" : ""))
    func table(_ title: String, _ indices: [Int], _ scores: [Double]) {
      print(title)
      print("  rank   index  label  score")
      for (rank, (index, score)) in zip(indices, scores).enumerated() {
        let label = allLabels.map { String($0[index]) } ?? "-"
        print(
          "  " + pad(rank + 1, 4) + "  " + pad(index, 6) + "  " + pad(label, 5) + "  "
            + String(format: "%.6g", score))
      }
    }
    table("prototypes (greedy order):", prototypeRows, chosen.scores)
    table("criticisms (\(regularizer.rawValue)):", criticismRows, critics.scores)
  }

  private func pad(_ value: some CustomStringConvertible, _ width: Int) -> String {
    let text = value.description
    return String(repeating: " ", count: max(0, width - text.count)) + text
  }

  /// The `--json` output.
  struct Report: Encodable {
    let prototypes: [Int]
    let prototypeScores: [Double]
    let criticisms: [Int]
    let criticismScores: [Double]
    let gamma: Double
    let kernel: String
    let regularizer: String
    let points: Int
    let dimensions: Int
    let classLabel: Int?

    enum CodingKeys: String, CodingKey {
      case prototypes, prototypeScores, criticisms, criticismScores, gamma, kernel, regularizer
      case points, dimensions
      case classLabel = "class"
    }
  }

  /// A `[n, d]` matrix from a `.npy` file.
  static func readFeatures(_ path: String) throws -> Tensor {
    let array = try NumPyArray.read(contentsOf: URL(fileURLWithPath: path))
    guard array.shape.count == 2 else {
      throw ProbeInputError.notMatrix(file: path, shape: array.shape)
    }
    return array.tensor()
  }

  /// Integer labels from a `.npy` vector (integers, or floats holding integers) or a text file of
  /// integers separated by commas, spaces or newlines.
  static func readLabels(_ path: String) throws -> [Int] {
    let url = URL(fileURLWithPath: path)
    if url.pathExtension.lowercased() == "npy" {
      let array = try NumPyArray.read(contentsOf: url)
      guard array.shape.count == 1 || (array.shape.count == 2 && array.shape[1] == 1) else {
        throw ProbeInputError.notVector(file: path, shape: array.shape)
      }
      if let integers = array.int64Scalars() { return integers.map { Int($0) } }
      return try array.doubleScalars().enumerated().map { index, value in
        guard value.rounded() == value, abs(value) < 1e15 else {
          throw ProbeInputError.badLabel(file: path, index: index, text: "\(value)")
        }
        return Int(value)
      }
    }
    let text = try String(contentsOf: url, encoding: .utf8)
    let tokens = text.split { $0 == "," || $0.isWhitespace }
    return try tokens.enumerated().map { index, token in
      guard let value = Int(token) else {
        throw ProbeInputError.badLabel(file: path, index: index, text: String(token))
      }
      return value
    }
  }
}

/// A features or labels file the probe cannot use.
enum ProbeInputError: Error, CustomStringConvertible {
  case notMatrix(file: String, shape: [Int])
  case notVector(file: String, shape: [Int])
  case badLabel(file: String, index: Int, text: String)
  case labelCount(file: String, labels: Int, rows: Int)
  case emptyClass(Int)

  var description: String {
    switch self {
    case .notMatrix(let file, let shape):
      return "\(file): features must be a matrix [n, d], not shape \(shape)."
    case .notVector(let file, let shape):
      return "\(file): labels must be a vector [n], not shape \(shape)."
    case .badLabel(let file, let index, let text):
      return "\(file): label \(index) ('\(text)') is not an integer."
    case .labelCount(let file, let labels, let rows):
      return "\(file): \(labels) labels for \(rows) feature rows."
    case .emptyClass(let label):
      return "No row has label \(label)."
    }
  }
}
