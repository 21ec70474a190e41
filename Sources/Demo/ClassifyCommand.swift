import ArgumentParser
import Foundation
import Imaging
import Models
import Tensor

/// `demo classify INPUT...`: the top classes of each photograph (or preprocessed `.npy` image)
/// under EfficientNet-Lite0.
///
/// A PNG or JPEG photograph is decoded and preprocessed by the classifier (shorter side 256,
/// centre crop 224); a `.npy` file holds a float image already at the input size with values in
/// [0, 1], `[3, H, W]` or `[1, 3, H, W]`, to which only the normalisation is applied. Inputs run
/// through the network in batches. An input that cannot be read gets a one-line error on stderr;
/// the others still run and the exit status is 1 if any failed.
struct Classify: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Classify photographs (PNG, JPEG) or preprocessed .npy images with EfficientNet-Lite0.",
    discussion: """
      Photographs are resized (shorter side 256) and centre-cropped (224) by the classifier. A \
      .npy input is a float image already at 224×224 with values in [0, 1], shaped [3, H, W] or \
      [1, 3, H, W]; only the normalisation is applied to it.

      Output: a table, or with --json one object per input per line:
      {"file": ..., "top": [{"index": 967, "label": "espresso", "probability": 0.96}, ...]}
      plus "logits" (all of them) with --logits.
      """)

  @Option(
    help: ArgumentHelp(
      "The model: 'lite0', or the path of an EfficientNet-Lite0 checkpoint (.pth, .safetensors, "
        + ".npz) with EfficientNet-PyTorch's keys.", valueName: "name|path"))
  var model = "lite0"

  @Option(help: "The class names, one per line, in logit order.")
  var labels = "Assets/labels/imagenet_classes.txt"

  @Option(help: "How many classes to list per input.")
  var top = 5

  @Flag(help: "Also print every logit.")
  var logits = false

  @Flag(help: "Print one JSON object per input per line instead of a table.")
  var json = false

  @Option(help: "Inputs per forward pass.")
  var batchSize = 32

  @Option(help: "Threads for the numeric kernels (default: all cores).")
  var threads: Int?

  @Option(
    help: ArgumentHelp(
      "Instead of classifying, time the network on the first input: the median of this many "
        + "runs of the forward pass and of forward + input gradient, at batch 1 and "
        + "--batch-size, on 1 and 2 threads (or --threads).", valueName: "runs"))
  var benchmark: Int?

  @Flag(
    help: """
      With --benchmark, also time each kind of stage (convolutions, ReLU6, skips) of the planar \
      layer-by-layer path (parameter gradients, captured layers).
      """)
  var profile = false

  @Argument(help: "PNG or JPEG photographs, or .npy float images.", completion: .file())
  var inputs: [String]

  /// The models known by name, and the checkpoint each loads.
  static let namedModels = ["lite0": "Assets/models/efficientnet-lite0.pth"]

  func validate() throws {
    guard top >= 1 else { throw ValidationError("--top must be at least 1.") }
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1.") }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1.") }
    if let benchmark, benchmark < 1 { throw ValidationError("--benchmark must be at least 1.") }
    if profile && benchmark == nil { throw ValidationError("--profile needs --benchmark.") }
    guard !inputs.isEmpty else { throw ValidationError("Give at least one input file.") }
    if Self.namedModels[model] == nil && !Self.isCheckpointPath(model) {
      throw ValidationError(
        "--model must be one of \(Self.namedModels.keys.sorted().joined(separator: ", ")) or the "
          + "path of a .pth, .safetensors or .npz checkpoint, not '\(model)'.")
    }
  }

  private static func isCheckpointPath(_ text: String) -> Bool {
    ["pth", "pt", "safetensors", "npz"].contains(URL(fileURLWithPath: text).pathExtension)
  }

  func run() throws {
    if let threads { ComputeThreads.set(threads) }
    Self.keepFreedMemory()
    let loadStart = DispatchTime.now().uptimeNanoseconds
    let classifier = try Classifier.efficientNetLite0(
      weights: URL(fileURLWithPath: Self.namedModels[model] ?? model),
      labels: URL(fileURLWithPath: labels))
    let loadMilliseconds = milliseconds(since: loadStart)

    // Read every input first, reporting failures in input order; then classify in batches.
    var failures = 0
    var ready: [(file: String, image: Tensor)] = []
    for path in inputs {
      do {
        ready.append((path, try Self.input(path, for: classifier)))
      } catch {
        failures += 1
        FileHandle.standardError.write(Data("demo classify: \(error)\n".utf8))
      }
    }
    if let benchmark {
      guard let first = ready.first else { throw ExitCode(1) }
      try runBenchmark(classifier, image: first.image, runs: benchmark)
      return
    }
    var networkMilliseconds = 0.0
    for start in stride(from: 0, to: ready.count, by: batchSize) {
      let batch = ready[start..<min(start + batchSize, ready.count)]
      let images = Tensor.stack(batch.map(\.image))
      let forwardStart = DispatchTime.now().uptimeNanoseconds
      let batchLogits = classifier.logits(images)
      networkMilliseconds += milliseconds(since: forwardStart)
      let predictions = classifier.topPredictions(logits: batchLogits, k: top)
      for (offset, item) in batch.enumerated() {
        let row = batchLogits[index: offset].scalars
        try report(file: item.file, predictions: predictions[offset], logits: row)
      }
    }
    if !json {
      FileHandle.standardError.write(
        Data(
          String(
            format: "%d input(s): model loaded in %.0f ms, network %.1f ms (%d thread(s), "
              + "batches of up to %d)\n", ready.count, loadMilliseconds, networkMilliseconds,
            ComputeThreads.count, batchSize
          ).utf8))
    }
    if failures > 0 { throw ExitCode(1) }
  }

  /// Asks glibc to keep freed memory for reuse instead of returning it to the system: without
  /// this, every large activation is a fresh `mmap` whose pages fault in one by one (about 1,100
  /// faults per forward and backward pass of Lite0; 5% of the forward time, 14% of forward +
  /// gradient). A command-line process can afford to keep its peak memory.
  /// `mallopt` lives in `<malloc.h>`, which Swift's Glibc module does not export, so it is
  /// looked up by name; the option numbers are glibc's `M_TRIM_THRESHOLD` (−1) and `M_MMAP_MAX`
  /// (−4). Elsewhere this does nothing.
  static func keepFreedMemory() {
    #if os(Linux)
      typealias MallocOption = @convention(c) (Int32, Int32) -> Int32
      guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
      let mallopt = unsafeBitCast(symbol, to: MallocOption.self)
      _ = mallopt(-4, 0)  // M_MMAP_MAX: no mmap'd chunks
      _ = mallopt(-1, Int32.max)  // M_TRIM_THRESHOLD: never give the heap top back
    #endif
  }

  /// The `[3, 224, 224]` input in [0, 1] for the file at `path`.
  static func input(_ path: String, for classifier: Classifier) throws -> Tensor {
    let url = URL(fileURLWithPath: path)
    guard url.pathExtension.lowercased() == "npy" else {
      return try classifier.preprocessing(ImageFile.decode(contentsOf: url))
    }
    let array = try NumPyArray.read(contentsOf: url)
    guard array.dtype.isFloatingPoint else {
      throw ClassifyInputError.notFloat(file: path, dtype: "\(array.dtype)")
    }
    let (height, width) = classifier.inputSize
    var image = array.tensor()
    if image.rank == 4, image.shape[0] == 1 {
      image = image.reshaped(to: Array(image.shape.dropFirst()))
    }
    guard image.shape == [3, height, width] else {
      throw ClassifyInputError.wrongShape(
        file: path, found: array.shape,
        expected: "[3, \(height), \(width)] or [1, 3, \(height), "
          + "\(width)]")
    }
    let nonFinite = image.scalars.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
    guard nonFinite == 0 else { throw ClassifyInputError.nonFinite(file: path, count: nonFinite) }
    return image
  }

  private func report(file: String, predictions: [Prediction], logits row: [Float]) throws {
    if json {
      var object: [String: Any] = [
        "file": file,
        "top": predictions.map {
          ["index": $0.index, "label": $0.label, "probability": Double($0.probability)]
            as [String: Any]
        },
      ]
      if logits { object["logits"] = row.map(Double.init) }
      let data = try JSONSerialization.data(
        withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
      print(String(decoding: data, as: UTF8.self))
      return
    }
    print(file)
    for prediction in predictions {
      print(
        String(format: "  %6.2f%%  %4d  ", 100 * prediction.probability, prediction.index)
          + prediction.label)
    }
    if logits {
      print("  logits: " + row.map { String(format: "%.5f", $0) }.joined(separator: " "))
    }
  }

  private func milliseconds(since start: UInt64) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
  }
}

/// Why a `.npy` input cannot be classified.
enum ClassifyInputError: Error, CustomStringConvertible {
  case notFloat(file: String, dtype: String)
  case wrongShape(file: String, found: [Int], expected: String)
  case nonFinite(file: String, count: Int)

  var description: String {
    switch self {
    case .notFloat(let file, let dtype):
      return "\(file): the array holds \(dtype) values; a float image in [0, 1] is needed."
    case .wrongShape(let file, let found, let expected):
      return "\(file): the array is \(found); a preprocessed image must be \(expected)."
    case .nonFinite(let file, let count):
      return "\(file): the image holds \(count) NaN or infinite values."
    }
  }
}
