import ArgumentParser
import BiasProbe
import Foundation
import Imaging
import Models
import Tensor

/// `demo attack INPUT --method fgsm|bim|pgd|deepfool`: an adversarial example of one photograph
/// (or `.npy` image) for EfficientNet-Lite0, written as an image with a magnified picture of the
/// perturbation next to it, and summarised as a sentence or JSON.
struct AttackCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "attack",
    abstract: "Make an adversarial example of a photograph or .npy image for EfficientNet-Lite0.",
    discussion: """
      The attack starts from the model's top-1 class. Untargeted, it succeeds when the prediction \
      leaves that class; with --target K, when the prediction becomes K. Pixels are in [0, 1], \
      so --epsilon 0.0314 is 8/255 of the 0-255 range.

      Defaults: fgsm ε 8/255; bim ε 8/255, step 1/255, Kurakin's step count; pgd ε 8/255 (linf) \
      or 1.0 (l2), 10 steps of 2.5ε/steps, a random start from --seed; deepfool the top 10 \
      classes, overshoot 0.02, at most 50 steps (--steps).

      Writes the adversarial image to --output (a .npy output keeps the exact floats, which \
      `demo classify` reads; a .png is 8-bit, which can undo a very small perturbation) and \
      the perturbation next to it (adv.png → adv-perturbation.png), drawn as \
      0.5 + δ · 0.5 / max|δ| (grey is no change). With --json prints \
      {"file", "method", "original": {"index", "label", "probability"}, "adversarial": {...}, \
      "success", "l2", "linf", "rho", "iterations", "target", "output", "perturbation"}.
      """)

  enum Method: String, ExpressibleByArgument, CaseIterable {
    case fgsm, bim, pgd, deepfool
  }

  @Argument(help: "A PNG or JPEG photograph, or a .npy float image [3,224,224] in [0, 1].")
  var input: String

  @Option(help: "The attack: \(Method.allCases.map(\.rawValue).joined(separator: "|")).")
  var method: Method

  @Option(help: "The budget ε in [0, 1] pixel units (fgsm, bim, pgd).")
  var epsilon: Float?

  @Option(help: "The step α (bim, pgd).")
  var stepSize: Float?

  @Option(help: "The number of steps (bim, pgd), or the most steps (deepfool).")
  var steps: Int?

  @Option(help: "The norm of the ball (pgd): linf or l2.")
  var norm: AttackNorm = .linf

  @Option(help: "A class index to reach (fgsm, bim, pgd); default: untargeted.")
  var target: Int?

  @Option(help: "The seed of PGD's random start.")
  var seed: UInt64 = 0

  @Option(help: "The adversarial image to write: .png (8-bit) or .npy (exact floats).")
  var output: String?

  @Option(help: "The model checkpoint.")
  var model = "Assets/models/efficientnet-lite0.pth"

  @Option(help: "The class names, one per line, in logit order.")
  var labels = "Assets/labels/imagenet_classes.txt"

  @Option(help: "Threads for the numeric kernels (default: all cores).")
  var threads: Int?

  @Flag(help: "Print one JSON object instead of sentences.")
  var json = false

  @Flag(help: "Show no progress on stderr.")
  var quiet = false

  func validate() throws {
    if let target, !(0..<1000).contains(target) {
      throw ValidationError("--target must be a class index in 0..<1000, not \(target).")
    }
    if method == .deepfool {
      if target != nil {
        throw ValidationError("deepfool is untargeted (minimal perturbation); drop --target.")
      }
      if epsilon != nil || stepSize != nil {
        throw ValidationError("deepfool takes no --epsilon or --step-size; it finds its own size.")
      }
    }
    if norm == .l2 && method != .pgd {
      throw ValidationError("--norm l2 applies to pgd only; \(method.rawValue) is an L∞ attack.")
    }
    if method == .fgsm && (stepSize != nil || steps != nil) {
      throw ValidationError("fgsm takes one step of size --epsilon; drop --step-size and --steps.")
    }
    if let steps, steps < 1 { throw ValidationError("--steps must be at least 1.") }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1.") }
    if let output {
      let ext = URL(fileURLWithPath: output).pathExtension.lowercased()
      guard ["png", "npy"].contains(ext) else {
        throw ValidationError("--output must end in .png or .npy, not '\(output)'.")
      }
    }
  }

  func run() throws {
    if let threads { ComputeThreads.set(threads) }
    Classify.keepFreedMemory()
    let classifier = try Classifier.efficientNetLite0(
      weights: URL(fileURLWithPath: model), labels: URL(fileURLWithPath: labels))
    let image = try Classify.input(input, for: classifier)
    let attack = try makeAttack(classifier)
    let label = attack.predictedLabels(image.expandingShape(at: 0))[0]
    let progress = ProgressLine(quiet: quiet)
    let start = DispatchTime.now().uptimeNanoseconds
    let result = try attack.attack(
      image.expandingShape(at: 0), labels: [label],
      target: target.map { .targeted([$0]) } ?? .untargeted, progress: progress.handler)[0]
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

    let outputPath = output ?? "attack-\(method.rawValue).png"
    let outputURL = URL(fileURLWithPath: outputPath)
    // adv.png → adv-perturbation.png (the extension was checked in validate()).
    let perturbationPath =
      String(outputPath.dropLast(outputURL.pathExtension.count + 1)) + "-perturbation.png"
    if outputURL.pathExtension.lowercased() == "npy" {
      try NumPyArray.write(result.image, to: outputURL)
    } else {
      try ImageFile.write(result.image, to: outputURL)
    }
    let magnification = try Self.writePerturbation(
      original: image, adversarial: result.image, to: URL(fileURLWithPath: perturbationPath))

    if json {
      try printJSON(result, output: outputPath, perturbation: perturbationPath)
      return
    }
    let verb = result.isSuccessful ? "fooled" : "not fooled"
    print(
      String(
        format: "%@: %@ (%.1f%%) → %@ (%.1f%%), %@ by %@ in %d iteration(s), %.2f s", input,
        result.original.label, 100 * result.original.probability, result.adversarial.label,
        100 * result.adversarial.probability, verb, method.rawValue, result.iterations, seconds))
    print(
      String(
        format: "  L2 %.4f, L∞ %.5f (%.2f/255), ρ %.2e", result.l2, result.linf,
        255 * result.linf, result.rho))
    print(
      "  wrote \(outputPath) and \(perturbationPath) (perturbation ×"
        + String(format: "%.0f", magnification) + ")")
    if outputURL.pathExtension.lowercased() == "png" {
      let saved = try ImageFile.decode(contentsOf: outputURL)
      let savedTop = classifier.topPredictions(
        logits: classifier.logits(saved.expandingShape(at: 0)), k: 1)[0][0]
      if savedTop.index != result.adversarial.index {
        let again = savedTop.index == result.original.index ? " again" : ""
        print(
          "  note: rounded to 8 bits the image is classified \(savedTop.label)\(again); "
            + "write a .npy to keep the exact perturbation")
      }
    }
  }

  /// The attack the options describe.
  private func makeAttack(_ classifier: Classifier) throws -> any Attack {
    switch method {
    case .fgsm:
      return try FGSM(classifier: classifier, epsilon: epsilon ?? 8 / 255, batchSize: 1)
    case .bim:
      return try BIM(
        classifier: classifier, epsilon: epsilon ?? 8 / 255, stepSize: stepSize ?? 1 / 255,
        steps: steps, batchSize: 1)
    case .pgd:
      return try PGD(
        classifier: classifier, norm: norm, epsilon: epsilon ?? (norm == .linf ? 8 / 255 : 1),
        stepSize: stepSize, steps: steps ?? 10, seed: seed, batchSize: 1)
    case .deepfool:
      return try DeepFool(classifier: classifier, maxIterations: steps ?? 50)
    }
  }

  /// Writes `0.5 + δ · 0.5 / max|δ|` as a PNG and returns the magnification `0.5 / max|δ|`.
  static func writePerturbation(original: Tensor, adversarial: Tensor, to url: URL) throws
    -> Float
  {
    let delta = zip(adversarial.scalars, original.scalars).map { $0 - $1 }
    let largest = delta.map { Swift.abs($0) }.max() ?? 0
    let magnification: Float = largest > 0 ? 0.5 / largest : 1
    let picture = delta.map { Swift.min(Swift.max(0.5 + magnification * $0, 0), 1) }
    try ImageFile.write(Tensor(shape: original.shape, scalars: picture), to: url)
    return magnification
  }

  private func printJSON(_ result: AdversarialResult, output: String, perturbation: String) throws
  {
    func prediction(_ p: Prediction) -> [String: Any] {
      ["index": p.index, "label": p.label, "probability": Double(p.probability)]
    }
    var object: [String: Any] = [
      "file": input, "method": method.rawValue, "original": prediction(result.original),
      "adversarial": prediction(result.adversarial), "success": result.isSuccessful,
      "l2": Double(result.l2), "linf": Double(result.linf), "rho": Double(result.rho),
      "iterations": result.iterations, "output": output, "perturbation": perturbation,
    ]
    object["target"] = result.target ?? NSNull()
    let data = try JSONSerialization.data(
      withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
  }
}

extension AttackNorm: ExpressibleByArgument {}
