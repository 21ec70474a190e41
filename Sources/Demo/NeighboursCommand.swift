import ArgumentParser
import BiasProbe
import Foundation
import Imaging
import Models
import Tensor

/// `demo neighbours INPUT --set FOLDER`: the images of a folder nearest to a photograph in
/// EfficientNet-Lite0's feature space (the paper's example-based explanation), as a gallery PNG
/// and a table or JSON.
struct Neighbours: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Find the images of a folder nearest to a photograph in Lite0's feature space.",
    discussion: """
      Features are the penultimate layer (1280 values) of the photographs, resized (shorter side \
      256) and centre-cropped (224). The reference images are the PNG and JPEG files directly in \
      --set; each is labelled by its file name. With --cache FILE the folder's features are kept \
      in a safetensors file, and only new or changed images are computed on the next run.

      Output: a table (rank, distance, file), or with --json one object:
      {"query": ..., "metric": "cosine", "neighbours": [{"rank": 1, "index": 4, "file": ..., \
      "label": ..., "distance": 0.12}, ...]}. --output writes a gallery PNG: the query, then the \
      neighbours captioned with label and distance.
      """)

  @Argument(help: "The query photograph (PNG or JPEG).", completion: .file())
  var input: String

  @Option(help: "The folder of reference images.", completion: .directory)
  var set: String

  @Option(name: .short, help: "How many neighbours.")
  var k = 8

  @Option(help: "The distance: cosine (1 − cos, in [0, 2]) or l2.")
  var metric: NearestNeighbours.Metric = .cosine

  @Option(help: "Write a gallery PNG here.")
  var output: String?

  @Option(help: "Read and write the reference features in this safetensors file.")
  var cache: String?

  @Option(help: "The model checkpoint (EfficientNet-Lite0).")
  var model = "Assets/models/efficientnet-lite0.pth"

  @Option(help: "The class names, one per line, in logit order.")
  var labels = "Assets/labels/imagenet_classes.txt"

  @Option(help: "Images per forward pass.")
  var batchSize = 16

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  @Flag(help: "No progress on stderr.")
  var quiet = false

  func validate() throws {
    guard k >= 1 else { throw ValidationError("-k must be at least 1.") }
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1.") }
    if let output, URL(fileURLWithPath: output).pathExtension.lowercased() != "png" {
      throw ValidationError("--output must name a .png file, not '\(output)'.")
    }
  }

  func run() throws {
    Classify.keepFreedMemory()
    let modelURL = URL(fileURLWithPath: model)
    let classifier = try Classifier.efficientNetLite0(weights: modelURL, labels: URL(fileURLWithPath: labels))
    let size = (try? FileManager.default.attributesOfItem(atPath: modelURL.path)[.size] as? NSNumber)?.intValue ?? 0
    let extractor = FeatureExtractor(
      classifier: classifier, modelIdentity: "efficientnet-lite0 \(modelURL.lastPathComponent) \(size) bytes",
      preprocessing: classifier.preprocessing, batchSize: batchSize)
    let progress = ProgressLine(quiet: quiet)

    let files = try FeatureExtractor.imageFiles(in: URL(fileURLWithPath: set))
    let reference = try extractor.features(
      ofFiles: files, cache: cache.map { FeatureCache(url: URL(fileURLWithPath: $0)) },
      badImages: .skip, progress: progress.handler)
    for skipped in reference.skipped {
      FileHandle.standardError.write(Data("demo neighbours: skipped \(skipped.file.path): \(skipped.reason)\n".utf8))
    }
    let queryImage = try classifier.preprocessing(ImageFile.decode(contentsOf: URL(fileURLWithPath: input)))
    let queryFeatures = classifier.features(queryImage.expandingShape(at: 0))
    let names = reference.files.map { $0.deletingPathExtension().lastPathComponent }
    let index = try NearestNeighbours(reference: reference.features, labels: names, metric: metric)
    let found = try index.neighbours(of: queryFeatures, k: k)[0]

    if json {
      let object: [String: Any] = [
        "query": input, "metric": metric.rawValue, "set": set,
        "neighbours": found.enumerated().map { rank, neighbour in
          [
            "rank": rank + 1, "index": neighbour.index, "file": reference.files[neighbour.index].path,
            "label": neighbour.label ?? "", "distance": neighbour.distance,
          ] as [String: Any]
        },
      ]
      let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
      print(String(decoding: data, as: UTF8.self))
    } else {
      print("nearest to \(input) (\(metric.rawValue), \(reference.files.count) reference images):")
      for (rank, neighbour) in found.enumerated() {
        print(String(format: "%3d  %.4f  ", rank + 1, neighbour.distance) + reference.files[neighbour.index].path)
      }
    }

    if let output {
      var items = [SelectionReport.Item(image: queryImage, caption: "query: \(URL(fileURLWithPath: input).lastPathComponent)")]
      for neighbour in found {
        let file = reference.files[neighbour.index]
        let image = try classifier.preprocessing(ImageFile.decode(contentsOf: file))
        items.append(SelectionReport.Item(
          image: image, caption: "\(neighbour.label ?? "#\(neighbour.index)") d=\(String(format: "%.3f", neighbour.distance))"))
      }
      let report = SelectionReport(
        title: "Nearest neighbours (\(metric.rawValue))",
        sections: [SelectionReport.Section(title: "query, then the \(found.count) nearest", items: items)])
      try ContactSheet(columns: min(items.count, 5), tileSize: 128).write(report, to: URL(fileURLWithPath: output))
      if !quiet { FileHandle.standardError.write(Data("wrote \(output)\n".utf8)) }
    }
  }
}

extension NearestNeighbours.Metric: ExpressibleByArgument {}
