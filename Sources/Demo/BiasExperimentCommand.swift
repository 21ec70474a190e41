import ArgumentParser
import BiasProbe
import Foundation
import Imaging
import Models
import Tensor

/// `demo bias-experiment`: plants a cue in one Fashion-MNIST class, trains the small CNN with it
/// and a clean control, and prints how the probe finds the bias (`PlantedBiasExperiment`).
///
/// Progress goes to stderr (nothing with `--quiet`); the table (or one JSON object with
/// `--json`) to stdout; pictures to `--output` when given.
struct BiasExperiment: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bias-experiment",
    abstract: "Plant a cue in one Fashion-MNIST class, train a biased and a control model, "
      + "and show that the bias probe finds the cue.")

  @Option(help: "Seed of the cue placement, the initialisation, the shuffles and dropout.")
  var seed: UInt64 = 0

  @Option(help: "The class whose training images mostly carry the cue (0-9).")
  var cueClass = 0

  @Option(help: "Train on the first N Fashion-MNIST training images.")
  var trainSize = 10_000

  @Option(help: "Passes over the training images.")
  var epochs = 2

  @Option(help: "Share of the cued class's training images that carry the cue.")
  var trainingShare = 0.9

  @Option(help: "Share of the other classes' training images that carry the cue.")
  var trainingShareElsewhere = 0.01

  @Option(help: "Share of the cued class's images with the cue in the probe of (2a).")
  var selectionShare = 0.5

  @Option(help: "Use the first N test images as the probe set (default: all 10,000).")
  var testSize: Int?

  @Option(help: "Folder holding the four Fashion-MNIST .gz files.")
  var data = "Assets/datasets/fashion-mnist"

  @Option(help: "Folder to write pictures to (saliency overlays, prototypes and criticisms).")
  var output: String?

  @Option(help: "Threads for the numeric kernels (default: all cores).")
  var threads: Int?

  @Flag(help: "Print the result as one JSON object.")
  var json = false

  @Flag(help: "Print no progress on stderr.")
  var quiet = false

  func validate() throws {
    guard (0..<FashionMNIST.classNames.count).contains(cueClass) else {
      throw ValidationError("--cue-class must be a Fashion-MNIST class, 0 to 9.")
    }
    guard (100...60_000).contains(trainSize) else {
      throw ValidationError("--train-size must lie between 100 and 60000.")
    }
    guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1.") }
    guard (0...1).contains(trainingShare), (0...1).contains(trainingShareElsewhere) else {
      throw ValidationError("--training-share and --training-share-elsewhere lie in [0, 1].")
    }
    guard (0...1).contains(selectionShare) else {
      throw ValidationError("--selection-share lies in [0, 1].")
    }
    if let testSize, !(500...10_000).contains(testSize) {
      throw ValidationError("--test-size must lie between 500 and 10000.")
    }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1.") }
  }

  func run() throws {
    if let threads { ComputeThreads.set(threads) }
    let folder = URL(fileURLWithPath: data)
    let training = try FashionMNIST.load(.train, from: folder, limit: trainSize)
    let test = try FashionMNIST.load(.test, from: folder, limit: testSize)
    var experiment = PlantedBiasExperiment(seed: seed)
    experiment.cueClass = cueClass
    experiment.epochs = epochs
    experiment.trainingShareInClass = trainingShare
    experiment.trainingShareElsewhere = trainingShareElsewhere
    experiment.selectionProbeShareInClass = selectionShare
    let line = ProgressLine(quiet: quiet)
    let result = try experiment.run(training: training, test: test, progress: line.handler)

    var written: [String] = []
    if let output {
      written = try writePictures(result, to: URL(fileURLWithPath: output, isDirectory: true))
    }
    if json {
      var object = result.jsonObject()
      object["pictures"] = written
      object["threads"] = ComputeThreads.count
      let data = try JSONSerialization.data(
        withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
      print(String(decoding: data, as: UTF8.self))
    } else {
      print(result.table())
      for path in written { print("wrote \(path)") }
    }
  }

  /// Writes the saliency grid, each model's prototypes and criticisms, and the penultimate
  /// features of the cued class's probe images under each model with the cue flags (`.npy`, for
  /// `demo probe --features`).
  private func writePictures(_ result: PlantedBiasResult, to folder: URL) throws -> [String] {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    var written: [String] = []
    let saliency = folder.appendingPathComponent("saliency-biased-vs-control.png")
    try ImageFile.write(result.saliencyGrid(), to: saliency)
    written.append(saliency.path)
    for (findings, classifier) in [
      (result.biased, result.biasedClassifier), (result.control, result.controlClassifier),
    ] {
      let report = try result.selectionReport(of: findings, explainedBy: classifier)
      let sheet = folder.appendingPathComponent("prototypes-criticisms-\(findings.model).png")
      try ContactSheet(columns: 10, tileSize: 84).write(report, to: sheet)
      let overlays = folder.appendingPathComponent(
        "prototypes-criticisms-\(findings.model)-saliency.png")
      try ContactSheet(columns: 10, tileSize: 84, showsOverlays: true).write(report, to: overlays)
      written += [sheet.path, overlays.path]
      let predicted = folder.appendingPathComponent(
        "predicted-prototypes-criticisms-\(findings.model).png")
      try ContactSheet(columns: 10, tileSize: 84, showsOverlays: true).write(
        try result.predictedSelectionReport(of: findings, explainedBy: classifier), to: predicted)
      written.append(predicted.path)
    }
    for (name, classifier) in [
      ("biased", result.biasedClassifier), ("control", result.controlClassifier),
    ] {
      let (features, hasCue) = result.cueClassFeatures(of: classifier)
      let url = folder.appendingPathComponent("features-\(name).npy")
      try NumPyArray.write(features, to: url)
      written.append(url.path)
      if name == "control" {
        let flags = folder.appendingPathComponent("cue-flags.npy")
        try NumPyArray.write(
          Tensor(shape: [hasCue.count], scalars: hasCue.map { $0 ? 1 : 0 }), to: flags)
        written.append(flags.path)
      }
    }
    return written
  }
}
