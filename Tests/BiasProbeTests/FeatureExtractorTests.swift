import Foundation
import Imaging
import Models
import Tensor
import TestSupport
import XCTest
@testable import BiasProbe

final class FeatureExtractorTests: XCTestCase {
  /// Three photographs copied to a temporary folder.
  private func folderOfPhotographs() throws -> URL {
    let folder = try ProbeFixtures.temporaryFolder()
    for name in ["horse.png", "grace_hopper.jpg", "rocket.jpg"] {
      try FileManager.default.copyItem(
        at: assetURL("images/\(name)"), to: folder.appendingPathComponent(name))
    }
    return folder
  }

  func testFeaturesOfFilesEqualTheClassifiersFeaturesInBatches() throws {
    let lite0 = try ProbeFixtures.classifier()
    let folder = try folderOfPhotographs()
    defer { try? FileManager.default.removeItem(at: folder) }
    let files = try FeatureExtractor.imageFiles(in: folder)
    XCTAssertEqual(files.map(\.lastPathComponent), ["grace_hopper.jpg", "horse.png", "rocket.jpg"])
    var reports: [WorkProgress] = []
    let set = try FeatureExtractor(classifier: lite0, modelIdentity: "lite0", batchSize: 2)
      .features(ofFiles: files, progress: { reports.append($0) })
    XCTAssertEqual(set.features.shape, [3, 1280])
    XCTAssertEqual(set.files, files)
    XCTAssertEqual(reports.last, WorkProgress(stage: "features", completed: 3, total: 3))
    let direct = lite0.features(Tensor.stack(try files.map {
      try lite0.preprocessing(ImageFile.decode(contentsOf: $0))
    }))
    assertAllClose(set.features, direct, absoluteTolerance: 1e-4, relativeTolerance: 1e-4)
  }

  func testSecondRunReadsTheCacheAndAChangedFileIsRecomputed() throws {
    let counting = FeatureCountingClassifier(try ProbeFixtures.classifier())
    let folder = try folderOfPhotographs()
    defer { try? FileManager.default.removeItem(at: folder) }
    let cache = FeatureCache(url: folder.appendingPathComponent("cache/features.safetensors"))
    let extractor = FeatureExtractor(classifier: counting, modelIdentity: "lite0", batchSize: 2)
    let files = try FeatureExtractor.imageFiles(in: folder)

    let first = try extractor.features(ofFiles: files, cache: cache)
    XCTAssertEqual(counting.featureImages, 3)
    XCTAssertEqual(first.reusedFromCache, 0)
    // The cache is a safetensors file with the documented layout.
    let stored = try Safetensors.read(contentsOf: cache.url)
    XCTAssertEqual(try stored.tensor("features").shape, [3, 1280])
    XCTAssertEqual(stored.metadata["format"], "convnetprobe-features-1")
    XCTAssertEqual(stored.metadata["model"], "lite0")

    let start = Date()
    let second = try extractor.features(ofFiles: files, cache: cache)
    let seconds = Date().timeIntervalSince(start)
    XCTAssertEqual(counting.featureImages, 3, "a second run computes nothing")
    XCTAssertEqual(second.reusedFromCache, 3)
    XCTAssertEqual(second.features, first.features)
    XCTAssertLessThan(seconds, 0.5)

    // Replace rocket.jpg by another photograph: only that row is recomputed, and it is right.
    let rocket = folder.appendingPathComponent("rocket.jpg")
    try FileManager.default.removeItem(at: rocket)
    try FileManager.default.copyItem(at: assetURL("images/china.jpg"), to: rocket)
    let third = try extractor.features(ofFiles: files, cache: cache)
    XCTAssertEqual(counting.featureImages, 4)
    XCTAssertEqual(third.reusedFromCache, 2)
    let china = counting.inner.features(
      try Preprocessing.imageNet(ImageFile.decode(contentsOf: rocket)).expandingShape(at: 0))
    assertAllClose(third.features[index: 2], china[index: 0], absoluteTolerance: 1e-4)
    XCTAssertEqual(third.features[index: 0], first.features[index: 0])

    // Another model identity ignores the whole cache.
    _ = try FeatureExtractor(classifier: counting, modelIdentity: "other weights", batchSize: 2)
      .features(ofFiles: files, cache: cache)
    XCTAssertEqual(counting.featureImages, 7)
  }

  func testSizeAndModificationTimeValidationNoticesAnEdit() throws {
    let counting = FeatureCountingClassifier(try ProbeFixtures.classifier())
    let folder = try folderOfPhotographs()
    defer { try? FileManager.default.removeItem(at: folder) }
    let cache = FeatureCache(url: folder.appendingPathComponent("f.safetensors"), validation: .sizeAndModificationTime)
    let extractor = FeatureExtractor(classifier: counting, modelIdentity: "lite0")
    let files = try FeatureExtractor.imageFiles(in: folder)
    _ = try extractor.features(ofFiles: files, cache: cache)
    _ = try extractor.features(ofFiles: files, cache: cache)
    XCTAssertEqual(counting.featureImages, 3)
    try FileManager.default.setAttributes(
      [.modificationDate: Date(timeIntervalSinceNow: 3600)], ofItemAtPath: files[1].path)
    let again = try extractor.features(ofFiles: files, cache: cache)
    XCTAssertEqual(counting.featureImages, 4)
    XCTAssertEqual(again.reusedFromCache, 2)
  }

  func testABadImageIsATypedErrorOrSkippedWithAReport() throws {
    let counting = FeatureCountingClassifier(try ProbeFixtures.classifier())
    let folder = try folderOfPhotographs()
    defer { try? FileManager.default.removeItem(at: folder) }
    let bad = folder.appendingPathComponent("broken.png")
    try Data("not a picture".utf8).write(to: bad)
    let files = try FeatureExtractor.imageFiles(in: folder)
    XCTAssertEqual(files.count, 4)
    let extractor = FeatureExtractor(classifier: counting, modelIdentity: "lite0")
    XCTAssertThrowsError(try extractor.features(ofFiles: files)) { error in
      guard case .badImage(let path, let reason)? = error as? FeatureExtractionError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(path, bad.path)
      XCTAssertFalse(reason.isEmpty)
      XCTAssertTrue("\(error)".contains("broken.png"))
    }
    let set = try extractor.features(ofFiles: files, badImages: .skip)
    XCTAssertEqual(set.features.shape, [3, 1280])
    XCTAssertEqual(set.skipped.map(\.file), [bad])
    XCTAssertFalse(set.files.contains(bad))

    let empty = try ProbeFixtures.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: empty) }
    XCTAssertThrowsError(try FeatureExtractor.imageFiles(in: empty)) {
      XCTAssertEqual($0 as? FeatureExtractionError, .noImages(empty.path))
    }
  }

  func testInMemoryDatasetInBatchesWithItsOwnCache() throws {
    let counting = FeatureCountingClassifier(try ProbeFixtures.classifier())
    let photos = try ProbeFixtures.photographs().prefix(3)
    let images = Tensor.stack(try photos.map { try Preprocessing.imageNet(ImageFile.decode(contentsOf: $0)) })
    let extractor = FeatureExtractor(classifier: counting, modelIdentity: "lite0", batchSize: 2)
    let plain = try extractor.features(of: images)
    XCTAssertEqual(counting.featureImages, 3)
    assertAllClose(plain, counting.inner.features(images), absoluteTolerance: 1e-4)

    let folder = try ProbeFixtures.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let cache = FeatureCache(url: folder.appendingPathComponent("dataset.safetensors"))
    _ = try extractor.features(of: images, cache: cache)
    let reused = try extractor.features(of: images, cache: cache)
    XCTAssertEqual(reused.reusedFromCache, 3)
    XCTAssertEqual(counting.featureImages, 6)
    // One changed pixel invalidates that image's row only.
    var scalars = images.scalars
    scalars[images.count / 3 + 5] += 0.25
    let edited = try extractor.features(of: Tensor(shape: images.shape, scalars: scalars), cache: cache)
    XCTAssertEqual(edited.reusedFromCache, 2)
    XCTAssertEqual(counting.featureImages, 7)
    XCTAssertThrowsError(try extractor.features(of: Tensor(zeros: [3, 224, 224])))
  }
}
