import Foundation
import TestSupport
import XCTest

@testable import BiasProbe

/// Three hand-made verdict files of one study (Tests/Fixtures/Mistakes/verdicts/): 5 items shown,
/// i1–i3 top-1 mistakes, population 10.
///
/// | item | mistake | Ada        | Bob        | anonymous  |
/// |------|---------|------------|------------|------------|
/// | i1   | yes     | acceptable | wrong      | acceptable |
/// | i2   | yes     | wrong      | wrong      | –          |
/// | i3   | yes     | correct    | acceptable | –          |
/// | i4   | no      | correct    | correct    | –          |
/// | i5   | no      | wrong      | –          | –          |
final class HumanStudyScoreTests: XCTestCase {
  private func files(_ names: [String]) throws -> [HumanStudyVerdicts] {
    try names.map {
      try HumanStudyVerdicts.read(contentsOf: fixtureURL("Mistakes/verdicts/\($0).json"))
    }
  }

  func testRectifiedErrorCountsOnlyMistakesStillJudgedWrong() throws {
    let score = try HumanStudyScore(files(["ada", "bob", "anonymous"]))

    XCTAssertEqual(score.study, "hand-made")
    XCTAssertEqual(score.top1Error, Proportion(successes: 3, trials: 10))
    // Ada accepts i1 and i3: (3 − 2)/10. Bob accepts i3: 2/10. anonymous accepts i1; i2 and i3
    // unjudged count as wrong: 2/10.
    XCTAssertEqual(score.annotators.map(\.rectifiedError.successes), [1, 2, 2])
    XCTAssertEqual(score.annotators.map(\.rectifiedError.trials), [10, 10, 10])
    XCTAssertEqual(score.annotators.map(\.acceptedMistakes), [2, 1, 1])
    XCTAssertEqual(score.annotators.map(\.judged), [5, 4, 1])
    XCTAssertEqual(score.annotators.map(\.acceptance), [
      Proportion(successes: 3, trials: 5), Proportion(successes: 2, trials: 4),
      Proportion(successes: 1, trials: 1),
    ])
    XCTAssertEqual(score.annotators.map(\.name), ["Ada", "Bob", "anonymous"])
    // Majority: i1 2 of 3 accept, i3 2 of 2 accept, i2 0 of 2: only i2 stays wrong.
    XCTAssertEqual(score.majorityRectifiedError, Proportion(successes: 1, trials: 10))
  }

  func testAgreementBetweenEveryPairAndPooled() throws {
    let score = try HumanStudyScore(files(["ada", "bob", "anonymous"]))

    XCTAssertEqual(score.pairs.map { "\($0.first)-\($0.second)" }, ["Ada-Bob", "Ada-anonymous", "Bob-anonymous"])
    // Ada-Bob over i1–i4: same verdict on i2, i4; same accept/wrong on i2, i3, i4.
    XCTAssertEqual(score.pairs[0].exact, Proportion(successes: 2, trials: 4))
    XCTAssertEqual(score.pairs[0].acceptability, Proportion(successes: 3, trials: 4))
    // Cohen's κ: p_o = 1/2, p_e = (2·1 + 1·1 + 1·2)/16 = 5/16, κ = 3/11; scikit-learn's
    // cohen_kappa_score(["acceptable", "wrong", "correct", "correct"],
    //                   ["wrong", "wrong", "acceptable", "correct"]) = 0.2727272727272727.
    XCTAssertEqual(try XCTUnwrap(score.pairs[0].kappa), 0.2727272727272727, accuracy: 1e-12)
    // One shared item, same verdict by both: p_e = 1, κ undefined.
    XCTAssertNil(score.pairs[1].kappa)
    XCTAssertEqual(score.pairs[1].exact, Proportion(successes: 1, trials: 1))
    XCTAssertEqual(score.pairs[2].exact, Proportion(successes: 0, trials: 1))
    XCTAssertEqual(score.agreement, Proportion(successes: 3, trials: 6))
    XCTAssertEqual(score.acceptabilityAgreement, Proportion(successes: 4, trials: 6))
    // Wilson interval of 3/6 at 95%, from the closed form in Python.
    let interval = try XCTUnwrap(score.agreement).wilsonInterval()
    XCTAssertEqual(interval.lowerBound, 0.1876163, accuracy: 1e-6)
    XCTAssertEqual(interval.upperBound, 0.8123837, accuracy: 1e-6)
  }

  func testOneFileHasNoAgreement() throws {
    let score = try HumanStudyScore(files(["ada"]))

    XCTAssertTrue(score.pairs.isEmpty)
    XCTAssertNil(score.agreement)
    XCTAssertEqual(score.majorityRectifiedError, score.annotators[0].rectifiedError)
  }

  func testFilesOfDifferentStudiesAreNotScoredTogether() throws {
    var other = try files(["bob"])[0]
    other.study = "another"
    let ada = try files(["ada"])[0]

    XCTAssertThrowsError(try HumanStudyScore([ada, other])) {
      guard case .mismatchedStudies(let file, _) = $0 as? HumanStudyVerdictsError else {
        return XCTFail("\($0)")
      }
      XCTAssertTrue(file.hasSuffix("bob.json"))
    }
    var fewer = try files(["bob"])[0]
    fewer.items.removeLast()
    XCTAssertThrowsError(try HumanStudyScore([ada, fewer]))
    XCTAssertThrowsError(try HumanStudyScore([])) {
      XCTAssertEqual($0 as? HumanStudyVerdictsError, .noFiles)
    }
  }
}
