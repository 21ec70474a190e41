import ArgumentParser
import BiasProbe
import Explain
import Foundation
import Imaging
import Models
import Tensor

/// The folder mode of `demo probe`: prototypes and criticisms of the photographs of a folder that
/// Lite0 assigns to one class, by MMD-critic on features or by DeepFool robustness.
extension Probe {
  /// Runs the folder mode on `folder`.
  func runFolder(_ folder: String) throws {
    Classify.keepFreedMemory()
    let progress = ProgressLine(quiet: quiet)
    let modelURL = URL(fileURLWithPath: model)
    let classifier = try Classifier.efficientNetLite0(
      weights: modelURL, labels: URL(fileURLWithPath: classNames))
    let target = try Probe.resolveClass(classLabel!, names: classifier.classNames)

    // Every image of the folder, preprocessed, and Lite0's top-1 class of each.
    let files = try FeatureExtractor.imageFiles(in: URL(fileURLWithPath: folder))
    var images: [Tensor] = []
    var readable: [Int] = []
    for (index, file) in files.enumerated() {
      do {
        images.append(try classifier.preprocessing(ImageFile.decode(contentsOf: file)))
        readable.append(index)
      } catch {
        FileHandle.standardError.write(Data("demo probe: skipped \(file.path): \(error)\n".utf8))
      }
    }
    guard !images.isEmpty else { throw ProbeFolderError.noReadableImages(folder) }
    var predicted: [Int] = []
    for start in stride(from: 0, to: images.count, by: batchSize) {
      let batch = Tensor.stack(Array(images[start..<min(start + batchSize, images.count)]))
      predicted += classifier.topPredictions(logits: classifier.logits(batch), k: 1).map { $0[0].index }
      progress.handler(WorkProgress(stage: "predictions", completed: min(start + batchSize, images.count), total: images.count))
    }
    let members = predicted.indices.filter { predicted[$0] == target }
    guard !members.isEmpty else {
      throw ProbeFolderError.emptyClass(target, name: classifier.classNames[target], images: images.count)
    }
    let classFiles = members.map { files[readable[$0]] }
    let classImages = Tensor.stack(members.map { images[$0] })

    // Selection, as positions among the class images.
    var chosen: (prototypes: Selection, criticisms: Selection, gamma: Double?)
    switch method {
    case .mmd:
      let size = (try? FileManager.default.attributesOfItem(atPath: modelURL.path)[.size] as? NSNumber)?.intValue ?? 0
      let extractor = FeatureExtractor(
        classifier: classifier, modelIdentity: "efficientnet-lite0 \(modelURL.lastPathComponent) \(size) bytes",
        preprocessing: classifier.preprocessing, batchSize: batchSize)
      let cacheFile = cache ?? output.map { URL(fileURLWithPath: $0).appendingPathComponent("features.safetensors").path }
      if let output { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) }
      let set = try extractor.features(
        ofFiles: classFiles, cache: cacheFile.map { FeatureCache(url: URL(fileURLWithPath: $0)) },
        progress: progress.handler)
      let options = RBFKernel.Options(bandwidth: gamma.map { .gamma($0) } ?? .medianHeuristic)
      let source = try RBFKernel(features: set.features, labels: nil, options: options, progress: progress.handler)
      let prototypeSelector = MMDPrototypes(count: prototypes, kernel: options)
      let selected = prototypeSelector.select(in: source)
      let critics = MMDCriticisms(
        count: criticisms, regularizer: regularizer.regularizer, prototypes: prototypeSelector
      ).select(in: source, prototypes: selected.indices)
      chosen = (selected, critics, source.gamma)
    case .adversarial:
      let deepFool = try DeepFool(
        classifier: classifier, candidates: candidates, maxIterations: maxIterations, batchSize: batchSize)
      let ranking = try AdversarialCriticism(attack: deepFool, count: prototypes).rank(
        images: classImages, labels: Array(repeating: target, count: members.count), progress: progress.handler)
      chosen = (
        ranking.prototypes(count: prototypes),
        ranking.criticisms(count: criticisms, excludingPrototypes: prototypes), nil)
    }

    // Positions among the class images → positions in the folder's sorted file list.
    let folderIndex = members.map { readable[$0] }
    let report = FolderReport(
      prototypes: chosen.prototypes.indices.map { folderIndex[$0] },
      prototypeScores: chosen.prototypes.scores.map { $0.isFinite ? $0 : nil },
      prototypeFiles: chosen.prototypes.indices.map { classFiles[$0].lastPathComponent },
      criticisms: chosen.criticisms.indices.map { folderIndex[$0] },
      criticismScores: chosen.criticisms.scores.map { $0.isFinite ? $0 : nil },
      criticismFiles: chosen.criticisms.indices.map { classFiles[$0].lastPathComponent },
      gamma: chosen.gamma, method: method.rawValue, classIndex: target,
      className: classifier.classNames[target], points: members.count,
      files: files.map { $0.lastPathComponent })

    if let output {
      try writePictures(
        report: report, chosen: (chosen.prototypes, chosen.criticisms), classImages: classImages,
        classFiles: classFiles, classifier: classifier, target: target, output: output)
    }
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
      print(String(decoding: try encoder.encode(report), as: UTF8.self))
      return
    }
    print(
      "class \(target) (\(classifier.classNames[target])): \(members.count) of \(files.count) images, "
        + (method == .mmd ? "MMD-critic, gamma \(chosen.gamma!)" : "DeepFool robustness rho"))
    func table(_ title: String, _ indices: [Int], _ scores: [Double?], _ names: [String]) {
      print(title)
      print("  rank  index  score        file")
      for rank in indices.indices {
        let score = scores[rank].map { String(format: "%-11.6g", $0) } ?? "inf        "
        print(String(format: "  %4d  %5d  ", rank + 1, indices[rank]) + score + "  " + names[rank])
      }
    }
    table(
      method == .mmd ? "prototypes (greedy order):" : "prototypes (most robust first):",
      report.prototypes, report.prototypeScores, report.prototypeFiles)
    table(
      method == .mmd ? "criticisms (\(regularizer.rawValue)):" : "criticisms (least robust first):",
      report.criticisms, report.criticismScores, report.criticismFiles)
  }

  /// Writes `probe.png` (contact sheet) and `probe.html` (with saliency overlays) into `output`.
  private func writePictures(
    report: FolderReport, chosen: (prototypes: Selection, criticisms: Selection), classImages: Tensor,
    classFiles: [URL], classifier: Classifier, target: Int, output: String
  ) throws {
    let directory = URL(fileURLWithPath: output)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    func scored(_ selection: Selection) -> [SelectionReport.ScoredIndex] {
      zip(selection.indices, selection.scores).map {
        SelectionReport.ScoredIndex(index: $0, score: $1.isFinite ? $1 : nil)
      }
    }
    let scoreName = method == .mmd ? "MMD-critic scores" : "DeepFool robustness rho (no score: not flipped)"
    let selection = try SelectionReport(
      title: "class \(target): \(classifier.classNames[target])",
      summary: "\(report.points) images of the folder predicted as this class; \(scoreName).",
      images: classImages, captions: classFiles.map { $0.lastPathComponent },
      sections: [
        (title: "prototypes", selection: scored(chosen.prototypes)),
        (title: "criticisms", selection: scored(chosen.criticisms)),
      ],
      explaining: Saliency(classifier: classifier), target: target)
    try ContactSheet(columns: 4, tileSize: 128).write(selection, to: directory.appendingPathComponent("probe.png"))
    try HTMLReport().write(selection, to: directory.appendingPathComponent("probe.html"))
    if !quiet {
      FileHandle.standardError.write(Data("wrote \(output)/probe.png and \(output)/probe.html\n".utf8))
    }
  }

  /// An ImageNet class index from `text`: an integer in range, or a class name (case-insensitive,
  /// the whole name or one of its comma-separated synonyms).
  static func resolveClass(_ text: String, names: [String]) throws -> Int {
    if let index = Int(text) {
      guard names.indices.contains(index) else { throw ProbeFolderError.unknownClass(text) }
      return index
    }
    let wanted = text.lowercased().trimmingCharacters(in: .whitespaces)
    if let index = names.firstIndex(where: { name in
      name.lowercased() == wanted
        || name.lowercased().split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == wanted }
    }) {
      return index
    }
    throw ProbeFolderError.unknownClass(text)
  }

  /// The folder mode's `--json` output; indices are positions in `files` (the folder's PNG and
  /// JPEG files sorted by name), scores `null` when infinite (an image DeepFool did not flip).
  struct FolderReport: Encodable {
    let prototypes: [Int]
    let prototypeScores: [Double?]
    let prototypeFiles: [String]
    let criticisms: [Int]
    let criticismScores: [Double?]
    let criticismFiles: [String]
    let gamma: Double?
    let method: String
    let classIndex: Int
    let className: String
    let points: Int
    let files: [String]

    enum CodingKeys: String, CodingKey {
      case prototypes, prototypeScores, prototypeFiles, criticisms, criticismScores, criticismFiles
      case gamma, method, points, files, className
      case classIndex = "class"
    }

    func encode(to encoder: Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(prototypes, forKey: .prototypes)
      try container.encode(prototypeScores, forKey: .prototypeScores)
      try container.encode(prototypeFiles, forKey: .prototypeFiles)
      try container.encode(criticisms, forKey: .criticisms)
      try container.encode(criticismScores, forKey: .criticismScores)
      try container.encode(criticismFiles, forKey: .criticismFiles)
      try container.encode(gamma, forKey: .gamma)  // null for the adversarial method
      try container.encode(method, forKey: .method)
      try container.encode(classIndex, forKey: .classIndex)
      try container.encode(className, forKey: .className)
      try container.encode(points, forKey: .points)
      try container.encode(files, forKey: .files)
    }
  }
}

/// A folder the probe cannot use.
enum ProbeFolderError: Error, CustomStringConvertible {
  case unknownClass(String)
  case noReadableImages(String)
  case emptyClass(Int, name: String, images: Int)

  var description: String {
    switch self {
    case .unknownClass(let text):
      return "--class '\(text)' is neither a class index (0-999) nor a class name."
    case .noReadableImages(let folder):
      return "\(folder): no image could be read."
    case .emptyClass(let index, let name, let images):
      return "None of the \(images) images is predicted as class \(index) (\(name))."
    }
  }
}
