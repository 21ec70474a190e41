/// What the planted-bias experiment measures on one trained model (the biased one or the clean
/// control), one field per claim of the experiment.
public struct PlantedBiasFindings: Sendable {
  /// Which model these are: `"biased"` or `"control"`.
  public var model: String
  /// Accuracy on the clean test images (no cue anywhere).
  public var cleanAccuracy: Proportion
  /// Accuracy on the clean test images of the cued class.
  public var cleanCueClassAccuracy: Proportion
  /// (1) The cue alone pushes other classes to the cued class.
  public var cueFlip: CueFlipFindings
  /// (2a) MMD-critic on the penultimate features of the images the model predicts as the cued
  /// class, in a probe where half of that class carries the cue: what the model believes the
  /// class looks like.
  public var predictedSelection: PredictedClassSelectionFindings
  /// (2a, for contrast) MMD-critic on the penultimate features of the cued class's own probe
  /// images: it summarises the class's images, so it follows the probe's cue share in both models.
  public var selection: SelectionFindings
  /// (2b) The adversarial ranking: the most robust images carry the cue.
  public var adversarial: AdversarialRankingFindings
  /// (3) Saliency concentrates on the cue.
  public var saliency: SaliencyFindings
  /// (4) The bias statistics.
  public var statistics: CueStatistics

  public init(
    model: String, cleanAccuracy: Proportion, cleanCueClassAccuracy: Proportion,
    cueFlip: CueFlipFindings, predictedSelection: PredictedClassSelectionFindings,
    selection: SelectionFindings, adversarial: AdversarialRankingFindings,
    saliency: SaliencyFindings, statistics: CueStatistics
  ) {
    self.model = model
    self.cleanAccuracy = cleanAccuracy
    self.cleanCueClassAccuracy = cleanCueClassAccuracy
    self.cueFlip = cueFlip
    self.predictedSelection = predictedSelection
    self.selection = selection
    self.adversarial = adversarial
    self.saliency = saliency
    self.statistics = statistics
  }
}

/// (1) Clean test images of the other classes, not predicted as the cued class, with the cue
/// stamped in: how many the model now assigns to the cued class.
public struct CueFlipFindings: Sendable, Hashable {
  /// Images whose prediction became the cued class once the cue was added, out of the clean
  /// other-class images not already predicted as the cued class.
  public var flipped: Proportion
  /// The mean, over those images, of `p(cued class | image + cue) − p(cued class | image)`.
  public var meanProbabilityGain: Double

  public init(flipped: Proportion, meanProbabilityGain: Double) {
    self.flipped = flipped
    self.meanProbabilityGain = meanProbabilityGain
  }
}

/// (2a) Prototypes and criticisms chosen by MMD-critic among the probe images a model predicts
/// as the cued class `c` (in its penultimate feature space), in the *selection probe*: the test
/// images with the cue in half of class `c` and in `probeShareElsewhere` of the others.
///
/// A model blind to the cue predicts `c` for cued and uncued images of `c` alike, so about half
/// of its prototypes carry the cue (the class's base rate, `classWithCue`); a model that learned
/// the cue drops the uncued images of `c` and takes in cued images of other classes, and MMD-critic
/// summarises that: its prototypes carry the cue, and its criticisms are the cued images of other
/// classes it calls `c` (the paper's American football player classified as *basketball*).
public struct PredictedClassSelectionFindings: Sendable, Hashable {
  /// P(cue | true c) in the selection probe: the base rate the prototypes are tested against.
  public var classWithCue: Proportion
  /// P(cue | predicted c): the selection pool's cue share.
  public var poolWithCue: Proportion
  /// The pool's images of other classes that carry the cue (false positives with the cue).
  public var poolCuedOtherClasses: Proportion
  /// Prototypes carrying the cue.
  public var prototypesWithCue: Proportion
  /// Prototypes that are cued images of other classes.
  public var prototypesCuedOtherClasses: Proportion
  /// Criticisms carrying the cue.
  public var criticismsWithCue: Proportion
  /// Criticisms that are cued images of other classes.
  public var criticismsCuedOtherClasses: Proportion
  /// Criticisms that are images of `c` without the cue.
  public var criticismsUncuedClass: Proportion
  /// The one-sided exact binomial p-value of `prototypesWithCue` above `classWithCue`'s estimate.
  public var prototypesPValue: Double
  /// The prototypes, as positions in the selection probe, in selection order.
  public var prototypes: [Int]
  /// The criticisms, as positions in the selection probe, in selection order.
  public var criticisms: [Int]
  /// The RBF kernel's `γ` (median heuristic over the pool).
  public var gamma: Double
  /// `MMD²` between the cued and the uncued images of `c` in the model's features (RBF, median
  /// heuristic over the class): how far the model's representation of the class is split by the
  /// cue.
  public var cueSeparation: Double
  /// The permutation p-value of `cueSeparation` (`MMDPermutationTest`).
  public var cueSeparationPValue: Double

  public init(
    classWithCue: Proportion, poolWithCue: Proportion, poolCuedOtherClasses: Proportion,
    prototypesWithCue: Proportion, prototypesCuedOtherClasses: Proportion,
    criticismsWithCue: Proportion, criticismsCuedOtherClasses: Proportion,
    criticismsUncuedClass: Proportion, prototypesPValue: Double, prototypes: [Int],
    criticisms: [Int], gamma: Double, cueSeparation: Double, cueSeparationPValue: Double
  ) {
    self.classWithCue = classWithCue
    self.poolWithCue = poolWithCue
    self.poolCuedOtherClasses = poolCuedOtherClasses
    self.prototypesWithCue = prototypesWithCue
    self.prototypesCuedOtherClasses = prototypesCuedOtherClasses
    self.criticismsWithCue = criticismsWithCue
    self.criticismsCuedOtherClasses = criticismsCuedOtherClasses
    self.criticismsUncuedClass = criticismsUncuedClass
    self.prototypesPValue = prototypesPValue
    self.prototypes = prototypes
    self.criticisms = criticisms
    self.gamma = gamma
    self.cueSeparation = cueSeparation
    self.cueSeparationPValue = cueSeparationPValue
  }
}

/// (2a, for contrast) Prototypes and criticisms chosen by MMD-critic among the probe images of
/// the cued class (in the model's penultimate feature space), and how many of them carry the cue.
public struct SelectionFindings: Sendable, Hashable {
  /// The probe images of the cued class carrying the cue (the base rate).
  public var classWithCue: Proportion
  /// Prototypes carrying the cue.
  public var prototypesWithCue: Proportion
  /// Criticisms carrying the cue.
  public var criticismsWithCue: Proportion
  /// The prototypes, as positions in the cued class's probe images, in selection order.
  public var prototypes: [Int]
  /// The criticisms, as positions in the cued class's probe images, in selection order.
  public var criticisms: [Int]
  /// The RBF kernel's `γ`.
  public var gamma: Double

  public init(
    classWithCue: Proportion, prototypesWithCue: Proportion, criticismsWithCue: Proportion,
    prototypes: [Int], criticisms: [Int], gamma: Double
  ) {
    self.classWithCue = classWithCue
    self.prototypesWithCue = prototypesWithCue
    self.criticismsWithCue = criticismsWithCue
    self.prototypes = prototypes
    self.criticisms = criticisms
    self.gamma = gamma
  }
}

/// (2b) The probe images of the cued class ranked by the DeepFool robustness `ρ = ‖r‖₂ / ‖x‖₂`
/// (0 for a misclassified image, ∞ for one DeepFool does not flip within its budget): the most
/// robust are the model's prototypes, the least robust its criticisms.
public struct AdversarialRankingFindings: Sendable, Hashable {
  /// The ranked images carrying the cue (the base rate).
  public var rankedWithCue: Proportion
  /// The most robust images carrying the cue.
  public var mostRobustWithCue: Proportion
  /// The least robust images carrying the cue.
  public var leastRobustWithCue: Proportion
  /// The median `ρ` of the ranked images with the cue (∞ when most are not flipped; NaN when
  /// there are none).
  public var medianRobustnessWithCue: Double
  /// The median `ρ` of the ranked images without the cue.
  public var medianRobustnessWithoutCue: Double

  public init(
    rankedWithCue: Proportion, mostRobustWithCue: Proportion, leastRobustWithCue: Proportion,
    medianRobustnessWithCue: Double, medianRobustnessWithoutCue: Double
  ) {
    self.rankedWithCue = rankedWithCue
    self.mostRobustWithCue = mostRobustWithCue
    self.leastRobustWithCue = leastRobustWithCue
    self.medianRobustnessWithCue = medianRobustnessWithCue
    self.medianRobustnessWithoutCue = medianRobustnessWithoutCue
  }
}

/// (3) How much of the gradient saliency of the cued class falls on the cue's square, on probe
/// images of the cued class that carry it.
public struct SaliencyFindings: Sendable, Hashable {
  /// The images measured.
  public var imageCount: Int
  /// The mean over images of `Σ_{cue} M / Σ M`, with `M` the saliency map
  /// `maxₖ |∂f_c/∂x[k, i, j]|` for the cued class `c`.
  public var meanCueShare: Double
  /// The share of the image the square covers (what a saliency blind to the cue would give if
  /// it were spread evenly).
  public var areaShare: Double

  public init(imageCount: Int, meanCueShare: Double, areaShare: Double) {
    self.imageCount = imageCount
    self.meanCueShare = meanCueShare
    self.areaShare = areaShare
  }

  /// `meanCueShare / areaShare`: how many times more saliency the square gets than its area.
  public var concentration: Double { meanCueShare / areaShare }
}

/// (4) The cue as an annotated attribute of the probe images, against the model's predictions:
/// the statistics the paper reports for the basketball class.
public struct CueStatistics: Sendable, Hashable {
  /// P(cue) over all probe images.
  public var overall: Proportion
  /// P(cue | true class c).
  public var givenTrueClass: Proportion
  /// P(cue | predicted c).
  public var givenPredicted: Proportion
  /// P(cue | true c, predicted c).
  public var givenCorrect: Proportion
  /// P(cue | true c, predicted another class).
  public var givenMisclassified: Proportion
  /// P(cue | true class ≠ c): the base rate among the other classes.
  public var givenOtherClass: Proportion
  /// P(cue | true class ≠ c, predicted c): among the cued class's false positives.
  public var givenFalsePositive: Proportion
  /// The two-sided p-value of Fisher's exact test of association between the cue and being
  /// correctly classified, among the images of class c (nil when one side is empty, e.g. every
  /// image of c is classified correctly).
  public var correctnessPValue: Double?
  /// The two-sided p-value of Fisher's exact test of association between the cue and being
  /// predicted as c, among the images of the other classes.
  public var falsePositivePValue: Double
  /// The full `AttributeBias` report for the cued class (attribute values "cue" and "no cue"),
  /// with its contingency tables.
  public var report: AttributeBiasReport

  public init(
    overall: Proportion, givenTrueClass: Proportion, givenPredicted: Proportion,
    givenCorrect: Proportion, givenMisclassified: Proportion, givenOtherClass: Proportion,
    givenFalsePositive: Proportion, correctnessPValue: Double?, falsePositivePValue: Double,
    report: AttributeBiasReport
  ) {
    self.overall = overall
    self.givenTrueClass = givenTrueClass
    self.givenPredicted = givenPredicted
    self.givenCorrect = givenCorrect
    self.givenMisclassified = givenMisclassified
    self.givenOtherClass = givenOtherClass
    self.givenFalsePositive = givenFalsePositive
    self.correctnessPValue = correctnessPValue
    self.falsePositivePValue = falsePositivePValue
    self.report = report
  }
}
