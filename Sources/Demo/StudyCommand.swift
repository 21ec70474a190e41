import ArgumentParser
import BiasProbe
import Explain
import Foundation
import Models
import Tensor

/// `demo study make|score`: the human-study kit of Docs/HumanStudy.md.
struct Study: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Make a human-study page of the model's answers, or score the verdicts people saved.",
    subcommands: [StudyMake.self, StudyScore.self])
}

/// `demo study make FOLDER --labels FILE --output study.html`.
struct StudyMake: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "make",
    abstract: "Write one self-contained HTML page asking people to judge Lite0's answers.",
    discussion: """
      Evaluates the labelled folder as 'demo evaluate' does and writes a page (no server, no \
      network: pictures, script and style are inside) that shows each image as the model saw \
      it with its top-1 answer, optionally with an explanation, and buttons (keys 1/2/3) for \
      'correct', 'acceptable mistake' and 'wrong'. 'Download verdicts' saves a JSON file that \
      'demo study score' reads.
      """)

  enum Explanation: String, ExpressibleByArgument, CaseIterable {
    case none, saliency, gradcam
  }

  @Argument(help: "The folder holding the images.", completion: .directory)
  var folder: String

  @Option(help: "The label file (CSV or TSV: filename,label).", completion: .file())
  var labels: String

  @Option(help: "The HTML page to write.")
  var output = "study.html"

  @Option(help: "An explanation shown next to each image: none|saliency|gradcam.")
  var explanations: Explanation = .none

  @Option(help: "The study id written into every verdict file (default: the label file's name).")
  var id: String?

  @Option(help: "The page title.")
  var title = "Is the network's answer acceptable?"

  @Flag(help: "Show only the top-1 mistakes (error rates still count every image).")
  var mistakesOnly = false

  @Flag(help: "Also show the dataset's label and the WordNet relation of each mistake.")
  var showLabels = false

  @Option(help: "Images per forward pass.")
  var batchSize = 32

  @Flag(help: "No progress on stderr.")
  var quiet = false

  @Flag(help: "Print a JSON summary instead of a sentence.")
  var json = false

  @OptionGroup var resources: MistakeResources

  func validate() throws {
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1.") }
    if let id, id.isEmpty { throw ValidationError("--id must not be empty.") }
  }

  func run() throws {
    if let threads = resources.threads { ComputeThreads.set(threads) }
    Classify.keepFreedMemory()
    let (classifier, hierarchy) = try resources.load()
    let labelURL = URL(fileURLWithPath: labels)
    let images = try LabelFile.read(
      contentsOf: labelURL, folder: URL(fileURLWithPath: folder),
      classNames: classifier.classNames, classIDs: hierarchy.classIDs)
    let progress = ProgressLine(quiet: quiet)
    let evaluation = try EvaluationRunner(classifier: classifier, batchSize: batchSize)
      .evaluate(images, progress: progress.handler)
    let explanation: (any Attribution)?
    switch explanations {
    case .none: explanation = nil
    case .saliency: explanation = Saliency(classifier: classifier)
    case .gradcam: explanation = try GradCAM(classifier: classifier)
    }
    let builder = HumanStudyBuilder(
      preprocessing: classifier.preprocessing, explanation: explanation, hierarchy: hierarchy,
      mistakesOnly: mistakesOnly)
    let studyID = id ?? labelURL.deletingPathExtension().lastPathComponent
    let study = try builder.study(
      id: studyID, title: title, evaluation: evaluation, images: images, showsLabels: showLabels,
      progress: progress.handler)
    let outputURL = URL(fileURLWithPath: output)
    try HumanStudyPage.write(study, to: outputURL)
    let size = (try? FileManager.default.attributesOfItem(atPath: outputURL.path)[.size] as? Int) ?? 0
    if json {
      let object: [String: Any] = [
        "study": study.id, "output": output, "items": study.items.count,
        "mistakes": study.items.filter(\.isMistake).count, "population": study.population,
        "bytes": size, "explanations": explanations.rawValue,
      ]
      let data = try JSONSerialization.data(
        withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
      print(String(decoding: data, as: UTF8.self))
    } else {
      print(
        "\(output): study '\(study.id)', \(study.items.count) image(s) of \(study.population) "
          + "(\(study.items.filter(\.isMistake).count) top-1 mistake(s)), \(size / 1024) kB")
    }
  }
}

/// `demo study score verdicts1.json [verdicts2.json ...]`.
struct StudyScore: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "score",
    abstract: "Rectified error and agreement rates from people's verdict files.",
    discussion: """
      rectified error = (top-1 mistakes − mistakes the person accepted) / images evaluated; \
      agreement = identical verdicts / items both people judged. Each comes with a Wilson \
      interval (--confidence). With --json prints {"study", "population", "items", \
      "top1Error", "annotators": [{"name", "file", "judged", "acceptedMistakes", \
      "rectifiedError", "acceptance"}], "majorityRectifiedError", "pairs": [{"first", \
      "second", "exact", "acceptability", "kappa"}], "agreement", "acceptabilityAgreement"}, each rate \
      as {"count", "total", "rate", "low", "high"}.
      """)

  @Argument(help: "Verdict files saved by the study page.", completion: .file())
  var files: [String]

  @Option(help: "The level of the Wilson intervals.")
  var confidence = 0.95

  @Flag(help: "Print one JSON object instead of a table.")
  var json = false

  func validate() throws {
    guard !files.isEmpty else { throw ValidationError("Give at least one verdict file.") }
    guard confidence > 0 && confidence < 1 else {
      throw ValidationError("--confidence must lie strictly between 0 and 1.")
    }
  }

  func run() throws {
    let verdicts = try files.map { try HumanStudyVerdicts.read(contentsOf: URL(fileURLWithPath: $0)) }
    let score = try HumanStudyScore(verdicts)
    if json {
      print(try jsonText(score))
    } else {
      printTable(score)
    }
  }

  private func rate(_ proportion: Proportion) -> [String: Any] {
    let interval = proportion.wilsonInterval(confidence: confidence)
    return [
      "count": proportion.successes, "total": proportion.trials,
      "rate": proportion.trials > 0 ? proportion.estimate : 0, "low": interval.lowerBound,
      "high": interval.upperBound,
    ]
  }

  private func text(_ proportion: Proportion) -> String {
    let interval = proportion.wilsonInterval(confidence: confidence)
    return String(
      format: "%d/%d %5.1f%% [%.1f%%, %.1f%%]", proportion.successes, proportion.trials,
      100 * (proportion.trials > 0 ? proportion.estimate : 0), 100 * interval.lowerBound,
      100 * interval.upperBound)
  }

  private func jsonText(_ score: HumanStudyScore) throws -> String {
    var object: [String: Any] = [
      "study": score.study, "population": score.population, "items": score.itemCount,
      "confidence": confidence, "top1Error": rate(score.top1Error),
      "annotators": score.annotators.map { annotator in
        [
          "name": annotator.name, "file": annotator.source, "judged": annotator.judged,
          "acceptedMistakes": annotator.acceptedMistakes,
          "rectifiedError": rate(annotator.rectifiedError), "acceptance": rate(annotator.acceptance),
        ] as [String: Any]
      },
      "majorityRectifiedError": rate(score.majorityRectifiedError),
      "pairs": score.pairs.map { pair in
        [
          "first": pair.first, "second": pair.second, "exact": rate(pair.exact),
          "acceptability": rate(pair.acceptability), "kappa": pair.kappa.map { $0 as Any } ?? NSNull(),
        ] as [String: Any]
      },
    ]
    object["agreement"] = score.agreement.map(rate) ?? NSNull()
    object["acceptabilityAgreement"] = score.acceptabilityAgreement.map(rate) ?? NSNull()
    let data = try JSONSerialization.data(
      withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
  }

  private func printTable(_ score: HumanStudyScore) {
    let level = String(format: "%.0f%%", 100 * confidence)
    print(
      "study '\(score.study)': \(score.itemCount) image(s) shown of \(score.population) evaluated; "
        + "intervals: Wilson \(level)")
    print("top-1 error                 " + text(score.top1Error))
    for annotator in score.annotators {
      print(
        "\(annotator.name): judged \(annotator.judged), accepted \(annotator.acceptedMistakes) "
          + "mistake(s)")
      print("  rectified error           " + text(annotator.rectifiedError))
      print("  accepts the answer        " + text(annotator.acceptance))
    }
    print("majority rectified error    " + text(score.majorityRectifiedError))
    for pair in score.pairs {
      print("agreement \(pair.first) / \(pair.second)")
      print("  same verdict              " + text(pair.exact))
      print("  same accept / wrong       " + text(pair.acceptability))
      print("  Cohen's kappa             " + (pair.kappa.map { String(format: "%.3f", $0) } ?? "undefined"))
    }
    if let agreement = score.agreement, let binary = score.acceptabilityAgreement {
      print("agreement over all pairs")
      print("  same verdict              " + text(agreement))
      print("  same accept / wrong       " + text(binary))
    }
  }
}
