import Foundation

/// The scores of a human study from one or more annotators' verdict files: the rectified error
/// of Stock & Cisse (2018) and how often annotators agree, each a `Proportion` with its Wilson
/// interval.
///
/// With `N` the population (images the evaluation covered), `M` the top-1 mistakes among them
/// and `A` the mistakes an annotator accepts (`correct` or `acceptable`):
/// - top-1 error `= M / N`;
/// - rectified error `= (M − A) / N`: the mistakes still judged wrong, out of all images. A
///   mistake the annotator did not judge counts as wrong (the rectification only removes what a
///   person accepted). The *majority* rectified error accepts a mistake when more than half of
///   the annotators who judged it accept it (a tie keeps it wrong);
/// - acceptance of an annotator `= accepted / judged` over all judged items;
/// - agreement of two annotators, over the items both judged: *exact* (same of the three
///   verdicts) and *acceptability* (both accept or both call it wrong). The overall rates pool
///   the comparisons of every pair (so an item judged by `r` annotators counts `r(r−1)/2` times;
///   the intervals treat comparisons as independent, which they are not quite).
public struct HumanStudyScore: Sendable {
  /// One annotator's results.
  public struct Annotator: Sendable, Hashable {
    /// The annotator's name (or the file name when the file gives none).
    public var name: String
    /// The verdict file.
    public var source: String
    /// Items judged.
    public var judged: Int
    /// Mistakes this annotator accepted.
    public var acceptedMistakes: Int
    /// `(M − A) / N`.
    public var rectifiedError: Proportion
    /// Accepted answers out of judged items.
    public var acceptance: Proportion
  }

  /// The agreement of two annotators.
  public struct Pair: Sendable, Hashable {
    public var first: String
    public var second: String
    /// Identical verdicts out of the items both judged.
    public var exact: Proportion
    /// Identical accept / wrong decisions out of the items both judged.
    public var acceptability: Proportion
    /// Cohen's κ of the three-way verdicts on the items both judged (`nil` when undefined:
    /// no shared item, or both gave one same verdict throughout).
    public var kappa: Double?
  }

  /// The study id.
  public let study: String
  /// `N`, the images the evaluation covered.
  public let population: Int
  /// Images shown in the study.
  public let itemCount: Int
  /// `M / N`.
  public let top1Error: Proportion
  /// Per annotator, in file order.
  public let annotators: [Annotator]
  /// The rectified error by majority vote.
  public let majorityRectifiedError: Proportion
  /// Every pair of annotators (empty with one file).
  public let pairs: [Pair]
  /// Pooled exact agreement over all pairs (`nil` with one file).
  public let agreement: Proportion?
  /// Pooled accept / wrong agreement over all pairs (`nil` with one file).
  public let acceptabilityAgreement: Proportion?

  /// Scores the verdict files of one study.
  ///
  /// - Throws: `HumanStudyVerdictsError.noFiles`, or `.mismatchedStudies` (naming the first file
  ///   that differs) when the files name different studies, items, mistakes or populations.
  /// - Complexity: O(files² · items).
  public init(_ files: [HumanStudyVerdicts]) throws {
    guard let first = files.first else { throw HumanStudyVerdictsError.noFiles }
    for file in files.dropFirst() {
      if file.study != first.study {
        throw HumanStudyVerdictsError.mismatchedStudies(
          file: file.source,
          reason: "study '\(file.study)' differs from '\(first.study)' in \(first.source)")
      }
      if file.items.map(\.id) != first.items.map(\.id)
        || file.items.map(\.mistake) != first.items.map(\.mistake)
      {
        throw HumanStudyVerdictsError.mismatchedStudies(
          file: file.source, reason: "its items differ from those of \(first.source)")
      }
      if file.population != first.population {
        throw HumanStudyVerdictsError.mismatchedStudies(
          file: file.source,
          reason: "population \(file.population) differs from \(first.population) in \(first.source)")
      }
    }
    let population = first.population
    let mistakes = first.items.filter(\.mistake).map(\.id)
    let verdicts = files.map(\.verdictsByItem)

    study = first.study
    self.population = population
    itemCount = first.items.count
    top1Error = Proportion(successes: mistakes.count, trials: population)

    annotators = zip(files, verdicts).map { file, byItem in
      let accepted = mistakes.filter { byItem[$0]?.accepts == true }.count
      return Annotator(
        name: file.annotatorName, source: file.source, judged: byItem.count,
        acceptedMistakes: accepted,
        rectifiedError: Proportion(successes: mistakes.count - accepted, trials: population),
        acceptance: Proportion(
          successes: byItem.values.filter(\.accepts).count, trials: byItem.count))
    }

    var stillWrong = 0
    for id in mistakes {
      let votes = verdicts.compactMap { $0[id] }
      let accepts = votes.filter(\.accepts).count
      if !(2 * accepts > votes.count) { stillWrong += 1 }
    }
    majorityRectifiedError = Proportion(successes: stillWrong, trials: population)

    var pairs: [Pair] = []
    var exactTotal = (agree: 0, compared: 0)
    var acceptTotal = (agree: 0, compared: 0)
    for i in files.indices {
      for j in files.indices where j > i {
        var compared = 0
        var exact = 0
        var acceptability = 0
        var firstCounts: [Verdict: Int] = [:]
        var secondCounts: [Verdict: Int] = [:]
        for item in first.items {
          guard let a = verdicts[i][item.id], let b = verdicts[j][item.id] else { continue }
          compared += 1
          if a == b { exact += 1 }
          if a.accepts == b.accepts { acceptability += 1 }
          firstCounts[a, default: 0] += 1
          secondCounts[b, default: 0] += 1
        }
        var kappa: Double?
        if compared > 0 {
          let n = Double(compared)
          let observed = Double(exact) / n
          let expected = Verdict.allCases.reduce(0.0) {
            $0 + Double(firstCounts[$1] ?? 0) / n * Double(secondCounts[$1] ?? 0) / n
          }
          if expected < 1 { kappa = (observed - expected) / (1 - expected) }
        }
        pairs.append(
          Pair(
            first: annotators[i].name, second: annotators[j].name,
            exact: Proportion(successes: exact, trials: compared),
            acceptability: Proportion(successes: acceptability, trials: compared), kappa: kappa))
        exactTotal = (exactTotal.agree + exact, exactTotal.compared + compared)
        acceptTotal = (acceptTotal.agree + acceptability, acceptTotal.compared + compared)
      }
    }
    self.pairs = pairs
    agreement = files.count > 1
      ? Proportion(successes: exactTotal.agree, trials: exactTotal.compared) : nil
    acceptabilityAgreement = files.count > 1
      ? Proportion(successes: acceptTotal.agree, trials: acceptTotal.compared) : nil
  }
}
