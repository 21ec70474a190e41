import Explain
import Models
import Tensor

extension PlantedBiasResult {
  /// The penultimate features `[n, D]` of the probe images of the cued class under `classifier`
  /// (the biased or the control model), with whether each carries the cue: the data MMD-critic
  /// selects from, e.g. to save for `demo probe --features`.
  public func cueClassFeatures(
    of classifier: GrayImageClassifier
  ) -> (features: Tensor, hasCue: [Bool]) {
    let c = experiment.cueClass
    let positions = probe.dataset.labels.indices.filter { probe.dataset.labels[$0] == c }
    let images = probe.dataset.batch(at: positions).images
    return (experiment.features(classifier, images: images), positions.map { probe.hasCue[$0] })
  }

  /// A grid showing where each model looks: one row per cued probe image of the cued class,
  /// holding the image, the biased model's saliency overlay and the control's, each scaled up
  /// `scale` times (nearest neighbour), with `gap` white pixels between tiles. `[3, H', W']`.
  ///
  /// - Parameter count: how many images (at most); the first cued images of the class in the
  ///   probe set.
  /// - Throws: `AttributionError` from `Saliency`.
  public func saliencyGrid(count: Int = 8, scale: Int = 4, gap: Int = 4) throws -> Tensor {
    precondition(count >= 1 && scale >= 1 && gap >= 0, "Counts and scale must be positive.")
    let c = experiment.cueClass
    let chosen = probe.dataset.labels.indices.filter {
      probe.dataset.labels[$0] == c && probe.hasCue[$0]
    }.prefix(count)
    var rows: [[Tensor]] = []
    for index in chosen {
      let image = GrayImageClassifier.colored(
        probe.dataset.images.sliced(axis: 0, index..<(index + 1)).contiguous()
      ).selecting(axis: 0, index: 0).contiguous()
      var tiles = [image]
      for classifier in [biasedClassifier, controlClassifier] {
        let map = try Saliency(classifier: classifier).map(image, target: c)
        tiles.append(HeatMap.overlay(map, on: image, alpha: 0.6))
      }
      rows.append(tiles)
    }
    return PlantedBiasPictures.grid(rows, scale: scale, gap: gap)
  }

  /// The prototypes and criticisms MMD-critic chose for `findings`' model among the probe images
  /// of the cued class, as a `SelectionReport` (captions "cue" / "no cue"; with `explained`, each
  /// image also gets the saliency overlay of the cued class under `classifier`), for
  /// `ContactSheet` or `HTMLReport`.
  ///
  /// - Throws: `ReportError` or `AttributionError` from building the report.
  public func selectionReport(
    of findings: PlantedBiasFindings, explainedBy classifier: (any ImageClassifier)? = nil
  ) throws -> SelectionReport {
    let c = experiment.cueClass
    let positions = probe.dataset.labels.indices.filter { probe.dataset.labels[$0] == c }
    let images = GrayImageClassifier.colored(probe.dataset.batch(at: positions).images)
    let selection = findings.selection
    return try SelectionReport(
      title: "\(cueClassName): \(findings.model) model",
      summary: "MMD-critic on penultimate features; cue in "
        + "\(selection.prototypesWithCue.successes)/\(selection.prototypesWithCue.trials) "
        + "prototypes, \(selection.criticismsWithCue.successes)/"
        + "\(selection.criticismsWithCue.trials) criticisms",
      images: images, captions: positions.map { probe.hasCue[$0] ? "cue" : "no cue" },
      sections: [
        ("prototypes", selection.prototypes.map { SelectionReport.ScoredIndex(index: $0) }),
        ("criticisms", selection.criticisms.map { SelectionReport.ScoredIndex(index: $0) }),
      ],
      explaining: classifier.map { Saliency(classifier: $0) }, target: classifier.map { _ in c })
  }
}

extension PlantedBiasResult {
  /// The prototypes and criticisms MMD-critic chose for `findings`' model among the selection
  /// probe's images it predicts as the cued class (2a), as a `SelectionReport` captioned with the
  /// cue and the true class of each image ("cue Sneaker": a cued image of another class the model
  /// calls `c`); with `classifier`, each image also gets the saliency overlay of the cued class.
  ///
  /// - Throws: `ReportError` or `AttributionError` from building the report.
  public func predictedSelectionReport(
    of findings: PlantedBiasFindings, explainedBy classifier: (any ImageClassifier)? = nil
  ) throws -> SelectionReport {
    let c = experiment.cueClass
    let selection = findings.predictedSelection
    let positions = selection.prototypes + selection.criticisms
    let data = selectionProbe.dataset
    let images = GrayImageClassifier.colored(data.batch(at: positions).images)
    let captions = positions.map {
      (selectionProbe.hasCue[$0] ? "cue " : "no cue ") + data.classNames[data.labels[$0]]
    }
    let p = selection.prototypes.count
    return try SelectionReport(
      title: "what the \(findings.model) model calls \(cueClassName)",
      summary: "MMD-critic on the penultimate features of the images predicted \(cueClassName) "
        + "(class \(c) cued in \(Int((100 * experiment.selectionProbeShareInClass).rounded()))% of "
        + "its images); cue in \(selection.prototypesWithCue.successes)/\(p) prototypes, "
        + "\(selection.criticismsWithCue.successes)/\(selection.criticisms.count) criticisms",
      images: images, captions: captions,
      sections: [
        ("prototypes", (0..<p).map { SelectionReport.ScoredIndex(index: $0) }),
        ("criticisms", (p..<positions.count).map { SelectionReport.ScoredIndex(index: $0) }),
      ],
      explaining: classifier.map { Saliency(classifier: $0) }, target: classifier.map { _ in c })
  }
}

/// Composing small pictures into grids.
enum PlantedBiasPictures {
  /// The gray of the background between tiles (neither the black background of Fashion-MNIST
  /// nor the white of the cue, so that a cue in a corner stays visible).
  static let background: Float = 0.5

  /// Tiles `[3, h, w]` (all the same shape) laid out in rows, each scaled up `scale` times by
  /// nearest neighbour, on a gray background with `gap` pixels between tiles.
  static func grid(_ rows: [[Tensor]], scale: Int, gap: Int) -> Tensor {
    guard let first = rows.first?.first else {
      return Tensor(shape: [3, 1, 1], repeating: background)
    }
    let (h, w) = (first.shape[1] * scale, first.shape[2] * scale)
    let columns = rows.map(\.count).max() ?? 0
    let height = rows.count * h + (rows.count + 1) * gap
    let width = columns * w + (columns + 1) * gap
    var canvas = Tensor(shape: [3, height, width], repeating: background)
    canvas.withUnsafeMutableBufferPointer { out in
      for (r, row) in rows.enumerated() {
        for (c, tile) in row.enumerated() {
          let pixels = tile.contiguous().scalars
          let (th, tw) = (tile.shape[1], tile.shape[2])
          let top = gap + r * (h + gap)
          let left = gap + c * (w + gap)
          for k in 0..<3 {
            for y in 0..<h {
              for x in 0..<w {
                out[(k * height + top + y) * width + left + x] =
                  pixels[(k * th + y / scale) * tw + x / scale]
              }
            }
          }
        }
      }
    }
    return canvas
  }
}
