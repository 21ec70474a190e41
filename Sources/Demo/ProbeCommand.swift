import ArgumentParser
import BiasProbe
import Foundation
import Models
import Tensor

/// `demo probe`: prototypes and criticisms of a class, in two modes.
///
/// - `demo probe --features X.npy`: MMD-critic on a feature matrix, printed in selection order
///   (indices are rows of the file), so the choices can be compared with other implementations.
///   One RBF kernel (`RBFKernel`) is built over the rows (of class `--class` only, when given),
///   then `MMDPrototypes` and `MMDCriticisms` select from it.
/// - `demo probe FOLDER --class C`: the photographs of a folder that Lite0 predicts as class `C`,
///   by MMD-critic on Lite0 features (`--method mmd`) or the DeepFool robustness ranking
///   (`--method adversarial`), with a contact sheet and an HTML report (`ProbeCommand+Folder.swift`).
struct Probe: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Select prototypes and criticisms of a class (a folder of photographs, or a feature matrix).",
    discussion: """
      Folder mode: demo probe FOLDER --class C [--method mmd|adversarial] [--output DIR] [--json]. \
      The images of the class are the PNG/JPEG files of FOLDER (sorted by name) whose Lite0 top-1 \
      prediction is C (an ImageNet index 0-999 or a class name). Indices printed are positions in \
      that sorted file list ("files" in --json). mmd: MMD-critic on the penultimate features \
      (cached with --cache FILE, default DIR/features.safetensors with --output); adversarial: \
      DeepFool robustness rho, most robust = prototypes, least robust = criticisms (an image \
      DeepFool cannot flip scores +inf, printed as null in JSON). --output DIR writes \
      DIR/probe.png (contact sheet) and DIR/probe.html (report with saliency overlays).

      Feature mode: demo probe --features X.npy [--labels y.npy] [--class K] prints MMD-critic \
      rows in selection order.
      """)

  /// How the folder mode selects.
  enum Method: String, ExpressibleByArgument, CaseIterable {
    case mmd, adversarial
  }

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

  @Argument(help: "A folder of photographs (folder mode; omit with --features).", completion: .directory)
  var input: String?

  @Option(help: "Features [n, d] as a .npy file (any float or integer type).")
  var features: String?

  @Option(help: "Labels, one integer per row: a .npy vector or a .csv/.txt of integers.")
  var labels: String?

  @Option(
    name: .customLong("class"),
    help: "Feature mode: only the rows of this label (needs --labels). Folder mode: the ImageNet class (index or name).")
  var classLabel: String?

  @Option(help: "Folder mode: mmd (MMD-critic on Lite0 features) or adversarial (DeepFool robustness).")
  var method = Method.mmd

  @Option(help: "Folder mode: write probe.png and probe.html into this folder.")
  var output: String?

  @Option(help: "Folder mode: read and write the features in this safetensors file.")
  var cache: String?

  @Option(help: "Folder mode: the model checkpoint (EfficientNet-Lite0).")
  var model = "Assets/models/efficientnet-lite0.pth"

  @Option(help: "Folder mode: the class names, one per line, in logit order.")
  var classNames = "Assets/labels/imagenet_classes.txt"

  @Option(help: "Folder mode: DeepFool's candidate classes (adversarial method).")
  var candidates = 10

  @Option(help: "Folder mode: DeepFool's most steps per image (adversarial method).")
  var maxIterations = 50

  @Option(help: "Folder mode: images per forward pass.")
  var batchSize = 8

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
    switch (input, features) {
    case (nil, nil): throw ValidationError("Give a folder of images or --features X.npy.")
    case (.some, .some): throw ValidationError("Give a folder of images or --features, not both.")
    case (.some, nil):
      guard classLabel != nil else { throw ValidationError("Folder mode needs --class C.") }
      guard scope == .global, labels == nil else {
        throw ValidationError("--labels and --kernel local belong to the --features mode.")
      }
      guard candidates >= 2, maxIterations >= 1, batchSize >= 1 else {
        throw ValidationError("--candidates must be ≥ 2, --max-iterations and --batch-size ≥ 1.")
      }
    case (nil, .some):
      if labels == nil && (classLabel != nil || scope == .local) {
        throw ValidationError("--class and --kernel local need --labels.")
      }
      if let classLabel, Int(classLabel) == nil {
        throw ValidationError("--class must be an integer label with --features, not '\(classLabel)'.")
      }
      if method != .mmd || output != nil {
        throw ValidationError("--method adversarial and --output need a folder of images.")
      }
    }
  }

  func run() throws {
    if let input { return try runFolder(input) }
    try runFeatures(features!, classLabel: classLabel.flatMap { Int($0) })
  }

  /// The `--features` mode.
  private func runFeatures(_ features: String, classLabel: Int?) throws {
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
