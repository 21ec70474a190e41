import Foundation
import Models

/// The outcome of a `PlantedBiasExperiment`: the findings for the biased model and the control,
/// the two trained classifiers and the probe images they were measured on.
///
/// `table()` renders the comparison as text, `jsonObject()` as a JSON-ready dictionary.
public struct PlantedBiasResult: Sendable {
  /// The configuration that was run.
  public var experiment: PlantedBiasExperiment
  /// The number of training images.
  public var trainingImages: Int
  /// The training images that carried the cue (biased model only; the control saw none).
  public var trainingImagesWithCue: Int
  /// The number of probe (test) images.
  public var probeImages: Int
  /// The probe images that carry the cue.
  public var probeImagesWithCue: Int
  /// The findings for the model trained with the cue.
  public var biased: PlantedBiasFindings
  /// The findings for the model trained without it.
  public var control: PlantedBiasFindings
  /// The model trained with the cue.
  public var biasedClassifier: GrayImageClassifier
  /// The model trained without it.
  public var controlClassifier: GrayImageClassifier
  /// The probe images, with the cue flags.
  public var probe: PlantedBiasData
  /// The selection probe of (2a): the same test images with the cue in
  /// `selectionProbeShareInClass` of the cued class.
  public var selectionProbe: PlantedBiasData
  /// Wall time spent training both models.
  public var trainingSeconds: Double
  /// Wall time of the whole run.
  public var totalSeconds: Double

  public init(
    experiment: PlantedBiasExperiment, trainingImages: Int, trainingImagesWithCue: Int,
    probeImages: Int, probeImagesWithCue: Int, biased: PlantedBiasFindings,
    control: PlantedBiasFindings, biasedClassifier: GrayImageClassifier,
    controlClassifier: GrayImageClassifier, probe: PlantedBiasData,
    selectionProbe: PlantedBiasData, trainingSeconds: Double,
    totalSeconds: Double
  ) {
    self.experiment = experiment
    self.trainingImages = trainingImages
    self.trainingImagesWithCue = trainingImagesWithCue
    self.probeImages = probeImages
    self.probeImagesWithCue = probeImagesWithCue
    self.biased = biased
    self.control = control
    self.biasedClassifier = biasedClassifier
    self.controlClassifier = controlClassifier
    self.probe = probe
    self.selectionProbe = selectionProbe
    self.trainingSeconds = trainingSeconds
    self.totalSeconds = totalSeconds
  }

  /// The name of the cued class.
  public var cueClassName: String {
    let names = probe.dataset.classNames
    return experiment.cueClass < names.count ? names[experiment.cueClass] : "\(experiment.cueClass)"
  }
}

extension PlantedBiasResult {
  /// The comparison as a text table: one row per measurement, a column per model; proportions
  /// with their 95 % Wilson interval and count.
  public func table() -> String {
    let e = experiment
    let cue = e.cue
    var lines: [String] = []
    lines.append(
      "Planted cue: \(cue.side)×\(cue.side) square of value \(format(Double(cue.value))) at the "
        + "\(cue.corner.rawValue) corner (margin \(cue.margin)), in "
        + "\(percent(e.trainingShareInClass)) of class \(e.cueClass) (\(cueClassName)) training "
        + "images and \(percent(e.trainingShareElsewhere)) of the others.")
    lines.append(
      "Training: \(trainingImages) images (\(trainingImagesWithCue) with the cue), "
        + "\(e.epochs) epoch\(e.epochs == 1 ? "" : "s"), batch \(e.batchSize), Adam "
        + "\(format(e.learningRate)), seed \(e.seed). Probe: \(probeImages) test images "
        + "(\(probeImagesWithCue) with the cue: \(percent(e.probeShareInClass)) of class "
        + "\(e.cueClass), \(percent(e.probeShareElsewhere)) of the others). Selection probe "
        + "(2a): the same images with the cue in \(percent(e.selectionProbeShareInClass)) of "
        + "class \(e.cueClass) and \(percent(e.probeShareElsewhere)) of the others.")
    lines.append("")
    var rows: [(String, String, String)] = []
    func row(_ label: String, _ value: (PlantedBiasFindings) -> String) {
      rows.append((label, value(biased), value(control)))
    }
    func rateRow(_ label: String, _ value: (PlantedBiasFindings) -> Proportion) {
      row(label) { rate(value($0)) }
    }
    rows.append(("measure", "biased model", "control model"))
    rateRow("clean test accuracy") { $0.cleanAccuracy }
    rateRow("clean accuracy on class c") { $0.cleanCueClassAccuracy }
    rateRow("(1) other classes flipped to c by the cue") { $0.cueFlip.flipped }
    row("    mean gain of p(c | image) from the cue") { signed($0.cueFlip.meanProbabilityGain) }
    rateRow("(2a) selection probe: P(cue | true c)") { $0.predictedSelection.classWithCue }
    rateRow("     MMD-critic on images predicted c: pool") { $0.predictedSelection.poolWithCue }
    rateRow("     prototypes with the cue") { $0.predictedSelection.prototypesWithCue }
    row("     binomial test, prototypes > P(cue | true c)") {
      pValue($0.predictedSelection.prototypesPValue)
    }
    rateRow("     criticisms with the cue") { $0.predictedSelection.criticismsWithCue }
    rateRow("     criticisms: cued, other classes") {
      $0.predictedSelection.criticismsCuedOtherClasses
    }
    rateRow("     criticisms: uncued, class c") { $0.predictedSelection.criticismsUncuedClass }
    rateRow("     pool: cued, other classes") { $0.predictedSelection.poolCuedOtherClasses }
    row("     MMD² cued vs uncued images of c") {
      let s = $0.predictedSelection
      return String(format: "%.4f (permutation ", s.cueSeparation)
        + pValue(s.cueSeparationPValue) + ")"
    }
    rateRow("(2a′) MMD-critic on images of c: prototypes") { $0.selection.prototypesWithCue }
    rateRow("     criticisms with the cue") { $0.selection.criticismsWithCue }
    rateRow("     class-c probe images with the cue") { $0.selection.classWithCue }
    row("     RBF γ (median heuristic)") { String(format: "%.4g", $0.selection.gamma) }
    rateRow("(2b) most robust (DeepFool ρ) with the cue") { $0.adversarial.mostRobustWithCue }
    rateRow("     least robust with the cue") { $0.adversarial.leastRobustWithCue }
    rateRow("     ranked images with the cue") { $0.adversarial.rankedWithCue }
    row("     median ρ with / without the cue") {
      robustness($0.adversarial.medianRobustnessWithCue) + " / "
        + robustness($0.adversarial.medianRobustnessWithoutCue)
    }
    row("(3) saliency share on the cue square") {
      String(
        format: "%.1f%% (%.1f× its area, n=%d)", 100 * $0.saliency.meanCueShare,
        $0.saliency.concentration, $0.saliency.imageCount)
    }
    rateRow("(4) P(cue)") { $0.statistics.overall }
    rateRow("    P(cue | true c)") { $0.statistics.givenTrueClass }
    rateRow("    P(cue | predicted c)") { $0.statistics.givenPredicted }
    rateRow("    P(cue | true c, correct)") { $0.statistics.givenCorrect }
    rateRow("    P(cue | true c, misclassified)") { $0.statistics.givenMisclassified }
    row("    exact test, cue × correct | true c") { pValue($0.statistics.correctnessPValue) }
    rateRow("    P(cue | true ≠ c)") { $0.statistics.givenOtherClass }
    rateRow("    P(cue | true ≠ c, predicted c)") { $0.statistics.givenFalsePositive }
    row("    exact test, cue × predicted c | true ≠ c") {
      pValue($0.statistics.falsePositivePValue)
    }
    let widths = (
      rows.map { $0.0.count }.max() ?? 0, rows.map { $0.1.count }.max() ?? 0
    )
    for (label, left, right) in rows {
      lines.append(pad(label, widths.0) + "  " + pad(left, widths.1) + "  " + right)
    }
    lines.append("")
    lines.append(
      String(
        format: "c = %d (%@). Intervals: 95%% Wilson. Time: training %.1f s, total %.1f s.",
        e.cueClass, cueClassName, trainingSeconds, totalSeconds))
    return lines.joined(separator: "\n")
  }

  /// The result as a JSON-ready dictionary (proportions as `{successes, trials, estimate,
  /// wilson95: [low, high]}`), for `JSONSerialization`.
  public func jsonObject() -> [String: Any] {
    let e = experiment
    return [
      "configuration": [
        "cueClass": e.cueClass, "cueClassName": cueClassName, "cueSide": e.cue.side,
        "cueValue": Double(e.cue.value), "cueCorner": e.cue.corner.rawValue,
        "cueMargin": e.cue.margin, "trainingShareInClass": e.trainingShareInClass,
        "trainingShareElsewhere": e.trainingShareElsewhere,
        "probeShareInClass": e.probeShareInClass, "probeShareElsewhere": e.probeShareElsewhere,
        "epochs": e.epochs, "batchSize": e.batchSize, "learningRate": e.learningRate,
        "seed": e.seed, "prototypeCount": e.prototypeCount, "criticismCount": e.criticismCount,
        "adversarialImageCount": e.adversarialImageCount,
        "adversarialTailCount": e.adversarialTailCount, "deepFoolIterations": e.deepFoolIterations,
        "saliencyImageCount": e.saliencyImageCount,
        "selectionProbeShareInClass": e.selectionProbeShareInClass,
        "separationPermutations": e.separationPermutations,
      ] as [String: Any],
      "trainingImages": trainingImages, "trainingImagesWithCue": trainingImagesWithCue,
      "probeImages": probeImages, "probeImagesWithCue": probeImagesWithCue,
      "biased": json(biased), "control": json(control),
      "trainingSeconds": trainingSeconds, "totalSeconds": totalSeconds,
    ]
  }

  private func json(_ f: PlantedBiasFindings) -> [String: Any] {
    var object: [String: Any] = [
      "cleanAccuracy": json(f.cleanAccuracy),
      "cleanCueClassAccuracy": json(f.cleanCueClassAccuracy),
      "cueFlip": [
        "flipped": json(f.cueFlip.flipped),
        "meanProbabilityGain": f.cueFlip.meanProbabilityGain,
      ] as [String: Any],
      "saliency": [
        "imageCount": f.saliency.imageCount, "meanCueShare": f.saliency.meanCueShare,
        "areaShare": f.saliency.areaShare, "concentration": f.saliency.concentration,
      ] as [String: Any],
      "statistics": [
        "overall": json(f.statistics.overall),
        "givenTrueClass": json(f.statistics.givenTrueClass),
        "givenPredicted": json(f.statistics.givenPredicted),
        "givenCorrect": json(f.statistics.givenCorrect),
        "givenMisclassified": json(f.statistics.givenMisclassified),
        "givenOtherClass": json(f.statistics.givenOtherClass),
        "givenFalsePositive": json(f.statistics.givenFalsePositive),
        "correctnessPValue": f.statistics.correctnessPValue ?? NSNull(),
        "falsePositivePValue": f.statistics.falsePositivePValue,
      ] as [String: Any],
    ]
    let s = f.selection
    object["selection"] = [
      "classWithCue": json(s.classWithCue), "prototypesWithCue": json(s.prototypesWithCue),
      "criticismsWithCue": json(s.criticismsWithCue), "prototypes": s.prototypes,
      "criticisms": s.criticisms, "gamma": s.gamma,
    ] as [String: Any]
    let v = f.predictedSelection
    object["predictedSelection"] = [
      "classWithCue": json(v.classWithCue), "poolWithCue": json(v.poolWithCue),
      "poolCuedOtherClasses": json(v.poolCuedOtherClasses),
      "prototypesWithCue": json(v.prototypesWithCue),
      "prototypesCuedOtherClasses": json(v.prototypesCuedOtherClasses),
      "criticismsWithCue": json(v.criticismsWithCue),
      "criticismsCuedOtherClasses": json(v.criticismsCuedOtherClasses),
      "criticismsUncuedClass": json(v.criticismsUncuedClass),
      "prototypesPValue": v.prototypesPValue, "prototypes": v.prototypes,
      "criticisms": v.criticisms, "gamma": v.gamma, "cueSeparation": finite(v.cueSeparation),
      "cueSeparationPValue": finite(v.cueSeparationPValue),
    ] as [String: Any]
    let a = f.adversarial
    object["adversarial"] = [
      "rankedWithCue": json(a.rankedWithCue), "mostRobustWithCue": json(a.mostRobustWithCue),
      "leastRobustWithCue": json(a.leastRobustWithCue),
      "medianRobustnessWithCue": finite(a.medianRobustnessWithCue),
      "medianRobustnessWithoutCue": finite(a.medianRobustnessWithoutCue),
    ] as [String: Any]
    return object
  }

  private func json(_ p: Proportion) -> [String: Any] {
    let interval = p.wilsonInterval()
    return [
      "successes": p.successes, "trials": p.trials,
      "estimate": p.trials > 0 ? p.estimate : NSNull() as Any,
      "wilson95": [interval.lowerBound, interval.upperBound],
    ]
  }

  private func rate(_ p: Proportion) -> String {
    guard p.trials > 0 else { return "— (n=0)" }
    let interval = p.wilsonInterval()
    return String(
      format: "%.1f%% [%.1f, %.1f] %d/%d", 100 * p.estimate, 100 * interval.lowerBound,
      100 * interval.upperBound, p.successes, p.trials)
  }

  /// A number for JSON, which has no NaN or infinity: those become null.
  private func finite(_ value: Double) -> Any { value.isFinite ? value : NSNull() }

  /// `ρ` with four decimals, "unflipped" for ∞, "—" for NaN (no image).
  private func robustness(_ value: Double) -> String {
    value.isNaN ? "—" : value.isInfinite ? "unflipped" : String(format: "%.4f", value)
  }

  private func signed(_ value: Double) -> String { String(format: "%+.3f", value) }

  private func pValue(_ value: Double?) -> String {
    guard let value, !value.isNaN else { return "n/a (one side empty)" }
    return value < 1e-4 ? String(format: "p = %.1e", value) : String(format: "p = %.4f", value)
  }

  private func percent(_ share: Double) -> String {
    let value = 100 * share
    return value == value.rounded() ? "\(Int(value))%" : String(format: "%.1f%%", value)
  }

  private func format(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e6 ? "\(Int(value))" : "\(value)"
  }

  private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
  }
}
