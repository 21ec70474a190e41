import ArgumentParser
import BiasProbe
import Foundation
import Models
import Tensor

/// `demo bench-attacks`: DeepFool over the top-10 classes on every bundled photograph (median ρ,
/// success rate, time per image) and the time of FGSM and PGD-10 on one photograph, on each
/// thread count, next to torchattacks' figures for the same model on this machine.
struct BenchAttacks: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench-attacks",
    abstract: "Time DeepFool, FGSM and PGD-10 on EfficientNet-Lite0 and the bundled photographs.",
    discussion: """
      DeepFool (top-10 candidates, overshoot 0.02, ≤ 50 steps) attacks each photograph of \
      --images alone (one image, 9 stacked gradient rows per step) from the model's top-1 class; \
      FGSM (ε 8/255) and PGD (L∞, ε 8/255, 10 steps of 2/255, random start) are timed on \
      coffee.png (median of --runs), including the forward passes that classify the original and \
      adversarial images. torchattacks 3.5 on PyTorch (Shared/RESOURCES.md): FGSM 42 / 29 ms, \
      PGD-10 406 / 268 ms, DeepFool (all 1000 classes) 112 / 80 s on 1 / 2 threads.
      """)

  @Option(help: "The folder of photographs.")
  var images = "Assets/images"

  @Option(help: "Comma-separated thread counts.")
  var threads = "1,2"

  @Option(help: "Timed runs of FGSM and PGD (the median is reported).")
  var runs = 5

  @Option(help: "DeepFool's candidate classes (the label included).")
  var candidates = 10

  @Option(help: "The model checkpoint.")
  var model = "Assets/models/efficientnet-lite0.pth"

  @Option(help: "The class names, one per line, in logit order.")
  var labels = "Assets/labels/imagenet_classes.txt"

  @Flag(help: "Print one JSON object per thread count instead of a table.")
  var json = false

  /// torchattacks 3.5 / PyTorch on this machine, 1 and 2 threads (RESOURCES.md).
  static let reference: [String: [Double]] = [
    "fgsmMilliseconds": [42, 29], "pgd10Milliseconds": [406, 268],
    "deepfoolSeconds": [112, 80],
  ]

  func validate() throws {
    guard runs >= 1 else { throw ValidationError("--runs must be at least 1.") }
    guard candidates >= 2 else { throw ValidationError("--candidates must be at least 2.") }
    _ = try ThreadCounts.parse(threads)
  }

  /// The `--threads` list (checked in `validate()`).
  private var threadCounts: [Int] { (try? ThreadCounts.parse(threads)) ?? [] }

  func run() throws {
    Classify.keepFreedMemory()
    let classifier = try Classifier.efficientNetLite0(
      weights: URL(fileURLWithPath: model), labels: URL(fileURLWithPath: labels))
    let folder = URL(fileURLWithPath: images)
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
      .filter { ["png", "jpg", "jpeg"].contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) }
      .sorted()
    guard !names.isEmpty else { throw ValidationError("No PNG or JPEG photographs in \(images).") }
    let photos = try names.map {
      try Classify.input(folder.appendingPathComponent($0).path, for: classifier)
    }
    let timed = photos[names.firstIndex(of: "coffee.png") ?? 0].expandingShape(at: 0)
    let deepFool = try DeepFool(classifier: classifier, candidates: candidates)
    let fgsm = try FGSM(classifier: classifier, epsilon: 8 / 255, batchSize: 1)
    let pgd = try PGD(classifier: classifier, epsilon: 8 / 255, steps: 10, seed: 0, batchSize: 1)
    let timedLabel = deepFool.predictedLabels(timed)
    let previous = ComputeThreads.count
    defer { ComputeThreads.set(previous) }

    if !json {
      print(
        "EfficientNet-Lite0, \(names.count) photographs of \(images); OpenBLAS core "
          + ComputeThreads.blasCoreName)
    }
    for count in threadCounts {
      ComputeThreads.set(count)
      // DeepFool, one photograph at a time.
      var results: [AdversarialResult] = []
      var seconds: [Double] = []
      var cpuSeconds: [Double] = []
      for photo in photos {
        let batch = photo.expandingShape(at: 0)
        let label = deepFool.predictedLabels(batch)
        let (start, startCPU) = (DispatchTime.now().uptimeNanoseconds, Self.processCPUTime())
        results += try deepFool.attack(batch, labels: label)
        seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        cpuSeconds.append(Self.processCPUTime() - startCPU)
      }
      let summary = AttackSummary(results)
      let fgsmTime = try medianMilliseconds { _ = try fgsm.attack(timed, labels: timedLabel) }
      let pgdTime = try medianMilliseconds { _ = try pgd.attack(timed, labels: timedLabel) }
      // The unit all three are made of: one forward pass and one input gradient (batch 1).
      let passTime = try medianMilliseconds {
        let (logits, pullback) = classifier.logitsWithPullback(timed)
        var seed = Tensor(zeros: logits.shape)
        seed[0, timedLabel[0]] = 1
        _ = pullback(seed)
      }
      // torchattacks was measured on 1 and 2 threads.
      let referenceFor = { (key: String) in Self.reference[key]?[count >= 2 ? 1 : 0] ?? .nan }
      if json {
        let object: [String: Any] = [
          "threads": count, "blasCore": ComputeThreads.blasCoreName,
          "deepfool": [
            "candidates": candidates, "images": results.count,
            "successes": summary.successRate.successes, "medianRho": summary.medianRho,
            "meanRho": summary.meanRho, "meanIterations": summary.meanIterations,
            "medianSeconds": Self.median(seconds), "medianCPUSeconds": Self.median(cpuSeconds),
            "meanSeconds": seconds.reduce(0, +) / Double(seconds.count),
            "perImage": results.indices.map { index in
              let result = results[index]
              return [
                "file": names[index], "original": result.original.label,
                "adversarial": result.adversarial.label, "success": result.isSuccessful,
                "rho": Double(result.rho), "l2": Double(result.l2),
                "iterations": result.iterations, "seconds": seconds[index],
                "cpuSeconds": cpuSeconds[index],
              ] as [String: Any]
            },
          ] as [String: Any],
          "fgsmMilliseconds": fgsmTime.wall, "fgsmCPUMilliseconds": fgsmTime.cpu,
          "pgd10Milliseconds": pgdTime.wall, "pgd10CPUMilliseconds": pgdTime.cpu,
          "forwardGradientMilliseconds": passTime.wall,
          "forwardGradientCPUMilliseconds": passTime.cpu,
          "torchattacks": [
            "fgsmMilliseconds": referenceFor("fgsmMilliseconds"),
            "pgd10Milliseconds": referenceFor("pgd10Milliseconds"),
            "deepfoolSeconds": referenceFor("deepfoolSeconds"),
          ],
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        continue
      }
      print("\n\(count) thread(s)")
      print("  DeepFool top-\(candidates) per photograph:")
      for (index, result) in results.enumerated() {
        print(
          "    " + Self.padded(names[index], 20) + Self.padded(result.original.label, 18) + " → "
            + Self.padded(result.adversarial.label, 22)
            + String(
              format: "ρ %.2e  %2d it  %6.2f s wall  %5.2f s CPU", result.rho, result.iterations,
              seconds[index], cpuSeconds[index]))
      }
      print(
        String(
          format: "  DeepFool: %d/%d flipped, median ρ %.2e, mean ρ %.2e, per image %.2f s wall "
            + "(median; mean %.2f s), %.2f s CPU (median); torchattacks %.0f s",
          summary.successRate.successes, results.count, summary.medianRho, summary.meanRho,
          Self.median(seconds), seconds.reduce(0, +) / Double(seconds.count),
          Self.median(cpuSeconds), referenceFor("deepfoolSeconds")))
      print(
        String(
          format: "  FGSM: %.1f ms wall, %.1f ms CPU (torchattacks %.0f ms)   PGD-10: %.1f ms wall, "
            + "%.1f ms CPU (torchattacks %.0f ms)", fgsmTime.wall, fgsmTime.cpu,
          referenceFor("fgsmMilliseconds"), pgdTime.wall, pgdTime.cpu,
          referenceFor("pgd10Milliseconds")))
      print(
        String(
          format: "  one forward + input gradient (batch 1): %.1f ms wall, %.1f ms CPU",
          passTime.wall, passTime.cpu))
    }
  }

  /// `medianMilliseconds(runs:_:)` with `--runs`.
  private func medianMilliseconds(_ body: () throws -> Void) throws -> (wall: Double, cpu: Double)
  {
    try Self.medianMilliseconds(runs: runs, body)
  }

  /// The median wall-clock and process CPU milliseconds of `runs` calls of `body`, after one
  /// untimed call. CPU time is the steadier figure when other work shares the cores.
  static func medianMilliseconds(runs: Int, _ body: () throws -> Void) throws -> (
    wall: Double, cpu: Double
  ) {
    try body()
    var wall: [Double] = []
    var cpu: [Double] = []
    for _ in 0..<runs {
      let (start, startCPU) = (DispatchTime.now().uptimeNanoseconds, processCPUTime())
      try body()
      wall.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
      cpu.append((processCPUTime() - startCPU) * 1e3)
    }
    return (median(wall), median(cpu))
  }

  static func processCPUTime() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
  }

  /// `text` cut or padded with spaces to `width` characters.
  static func padded(_ text: String, _ width: Int) -> String {
    let cut = String(text.prefix(width - 1))
    return cut + String(repeating: " ", count: width - cut.count)
  }

  static func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let half = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2
  }
}
