import Foundation
import Imaging
import Models
import Tensor

/// Penultimate-layer features (`ImageClassifier.features`) of many images: the space where
/// nearest neighbours, prototypes and criticisms live.
///
/// Images come from files (decoded, preprocessed, run in batches) or from an in-memory dataset
/// `[N, 3, H, W]`; either way the result can be cached on disk (`FeatureCache`) so that a second
/// run only reads the cache, and only changed or new images are recomputed.
///
/// ```swift
/// let extractor = FeatureExtractor(classifier: lite0, modelIdentity: "lite0", batchSize: 16)
/// let set = try extractor.features(ofFiles: FeatureExtractor.imageFiles(in: folder),
///                                  cache: FeatureCache(url: folder.appendingPathComponent(".features.safetensors")))
/// print(set.features.shape)  // [n, 1280]
/// ```
public struct FeatureExtractor: Sendable {
  /// What to do with a file that cannot be decoded or preprocessed.
  public enum BadImagePolicy: String, Sendable, Hashable, CaseIterable {
    /// Throw `FeatureExtractionError.badImage` naming the first bad file.
    case fail
    /// Leave it out and list it in `FeatureSet.skipped`.
    case skip
  }

  /// The network.
  public let classifier: any ImageClassifier
  /// A name for the network and its weights, stored in caches: a cache made with another
  /// identity is ignored. Use something that changes with the weights (a file name and size,
  /// a hash).
  public let modelIdentity: String
  /// How a photograph becomes the network's input.
  public let preprocessing: Preprocessing
  /// Images per forward pass: bounds memory (Lite0: about 25 MB of activations per image).
  public let batchSize: Int

  /// - Precondition: `batchSize >= 1`.
  public init(
    classifier: any ImageClassifier, modelIdentity: String, preprocessing: Preprocessing = .imageNet,
    batchSize: Int = 16
  ) {
    precondition(batchSize >= 1, "batchSize must be at least 1, not \(batchSize).")
    self.classifier = classifier
    self.modelIdentity = modelIdentity
    self.preprocessing = preprocessing
    self.batchSize = batchSize
  }

  /// The PNG and JPEG files directly inside `folder` (by extension, case-insensitive), sorted by
  /// name; hidden files are skipped.
  ///
  /// - Throws: `FeatureExtractionError.unreadableFolder`, `.noImages`.
  public static func imageFiles(in folder: URL) throws -> [URL] {
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
    } catch {
      throw FeatureExtractionError.unreadableFolder(folder.path, reason: error.localizedDescription)
    }
    let files = names.filter {
      !$0.hasPrefix(".") && ["png", "jpg", "jpeg"].contains(($0 as NSString).pathExtension.lowercased())
    }.sorted().map { folder.appendingPathComponent($0) }
    guard !files.isEmpty else { throw FeatureExtractionError.noImages(folder.path) }
    return files
  }

  // MARK: In-memory datasets

  /// Features `[N, D]` of images `[N, 3, H, W]` already at the network's input size, in
  /// batches of `batchSize`, reporting `WorkProgress` (stage `"features"`, units: images).
  ///
  /// - Throws: `ClassifierError.wrongImageShape` for a tensor that is not `[N, 3, H, W]`.
  /// - Complexity: one forward pass per image.
  public func features(of images: Tensor, progress: ProgressHandler = WorkProgress.ignore) throws -> Tensor {
    try features(of: images, rows: Array(0..<(images.rank == 4 ? images.shape[0] : 0)), progress: progress)
  }

  /// As `features(of:progress:)`, reading rows from `cache` where their content is unchanged and
  /// writing the cache back. Each image is fingerprinted by a hash of its pixels.
  ///
  /// - Throws: `ClassifierError.wrongImageShape`, `FeatureExtractionError.cacheUnwritable`.
  public func features(
    of images: Tensor, cache: FeatureCache, progress: ProgressHandler = WorkProgress.ignore
  ) throws -> FeatureSet {
    try checkDataset(images)
    let n = images.shape[0]
    let keys = (0..<n).map { "#\($0)" }
    let fingerprints = (0..<n).map { FileFingerprint.ofPixels(images[index: $0]) }
    let cached = cache.load(modelIdentity: modelIdentity, preprocessing: "none")
    var rows = [[Float]?](repeating: nil, count: n)
    for i in 0..<n { rows[i] = cached?.row(key: keys[i], fingerprint: fingerprints[i]) }
    let missing = (0..<n).filter { rows[$0] == nil }
    if !missing.isEmpty {
      let computed = try features(of: images, rows: missing, progress: progress)
      let d = computed.shape[1]
      let scalars = computed.scalars
      for (offset, i) in missing.enumerated() { rows[i] = Array(scalars[offset * d..<(offset + 1) * d]) }
    } else {
      progress(WorkProgress(stage: "features", completed: n, total: n))
    }
    let features = Self.matrix(rows.map { $0! })
    try cache.store(
      features, keys: keys, fingerprints: fingerprints, modelIdentity: modelIdentity,
      preprocessing: "none")
    return FeatureSet(features: features, files: [], skipped: [], reusedFromCache: n - missing.count)
  }

  private func checkDataset(_ images: Tensor) throws {
    let (h, w) = classifier.inputSize
    guard images.rank == 4, images.shape[1] == 3 || images.shape[1] == 1, images.shape[0] > 0 else {
      throw ClassifierError.wrongImageShape(expected: "[N, C, \(h), \(w)] with N ≥ 1", found: images.shape)
    }
  }

  private func features(of images: Tensor, rows: [Int], progress: ProgressHandler) throws -> Tensor {
    try checkDataset(images)
    var parts: [Tensor] = []
    for start in stride(from: 0, to: rows.count, by: batchSize) {
      let batch = Array(rows[start..<min(start + batchSize, rows.count)])
      let isContiguousRun = batch.last! - batch.first! == batch.count - 1
      let input = isContiguousRun
        ? images.sliced(axis: 0, batch.first!..<(batch.last! + 1)).contiguous()
        : Tensor.stack(batch.map { images[index: $0] })
      parts.append(classifier.features(input))
      progress(WorkProgress(stage: "features", completed: start + batch.count, total: rows.count))
    }
    return parts.count == 1 ? parts[0] : Tensor.concatenate(parts, axis: 0)
  }

  // MARK: Files

  /// Features of image files, in batches of `batchSize` (decoding and preprocessing on all
  /// cores), reporting `WorkProgress` (stage `"features"`, units: files).
  ///
  /// - Parameters:
  ///   - files: PNG or JPEG files.
  ///   - cache: where to read and write cached features (`nil`: no cache).
  ///   - badImages: throw on the first bad file (default), or skip bad files and list them.
  /// - Throws: `FeatureExtractionError.badImage` naming the file (with `.fail`), `.noImages`
  ///   when every file was skipped, `.cacheUnwritable`.
  /// - Complexity: one decode and one forward pass per file not found unchanged in the cache;
  ///   one read and hash per file otherwise.
  public func features(
    ofFiles files: [URL], cache: FeatureCache? = nil, badImages: BadImagePolicy = .fail,
    progress: ProgressHandler = WorkProgress.ignore
  ) throws -> FeatureSet {
    let keys = files.map { $0.standardizedFileURL.path }
    let preprocessingName = Self.describe(preprocessing)
    var fingerprints = [String?](repeating: nil, count: files.count)
    var rows = [[Float]?](repeating: nil, count: files.count)
    var skipped: [SkippedImage] = []
    if let cache {
      let cached = cache.load(modelIdentity: modelIdentity, preprocessing: preprocessingName)
      for (i, file) in files.enumerated() {
        do {
          fingerprints[i] = try FileFingerprint.ofFile(file, mode: cache.validation)
        } catch {
          if badImages == .fail { throw FeatureExtractionError.badImage(file.path, reason: "\(error)") }
          skipped.append(SkippedImage(file: file, reason: "\(error)"))
          continue
        }
        rows[i] = cached?.row(key: keys[i], fingerprint: fingerprints[i]!)
      }
    }
    let skippedEarly = Set(skipped.map(\.file))
    let missing = files.indices.filter { rows[$0] == nil && !skippedEarly.contains(files[$0]) }
    var done = files.count - missing.count
    progress(WorkProgress(stage: "features", completed: done, total: files.count))
    for start in stride(from: 0, to: missing.count, by: batchSize) {
      let batch = Array(missing[start..<min(start + batchSize, missing.count)])
      let decoded = decodeInParallel(batch.map { files[$0] })
      var good: [(index: Int, image: Tensor)] = []
      for (i, result) in zip(batch, decoded) {
        switch result {
        case .success(let image): good.append((i, image))
        case .failure(let error):
          if badImages == .fail { throw FeatureExtractionError.badImage(files[i].path, reason: "\(error)") }
          skipped.append(SkippedImage(file: files[i], reason: "\(error)"))
        }
      }
      if !good.isEmpty {
        let output = classifier.features(Tensor.stack(good.map(\.image)))
        let d = output.shape[1]
        let scalars = output.scalars
        for (offset, item) in good.enumerated() {
          rows[item.index] = Array(scalars[offset * d..<(offset + 1) * d])
        }
      }
      done += batch.count
      progress(WorkProgress(stage: "features", completed: done, total: files.count))
    }
    let kept = files.indices.filter { rows[$0] != nil }
    guard !kept.isEmpty else {
      throw FeatureExtractionError.noImages(files.isEmpty ? "(no files given)" : "the \(files.count) file(s) given")
    }
    let features = Self.matrix(kept.map { rows[$0]! })
    if let cache {
      try cache.store(
        features, keys: kept.map { keys[$0] }, fingerprints: kept.map { fingerprints[$0]! },
        modelIdentity: modelIdentity, preprocessing: preprocessingName)
    }
    let skippedOrder = Dictionary(uniqueKeysWithValues: files.enumerated().map { ($1, $0) })
    return FeatureSet(
      features: features, files: kept.map { files[$0] },
      skipped: skipped.sorted { skippedOrder[$0.file, default: 0] < skippedOrder[$1.file, default: 0] },
      reusedFromCache: kept.count - missing.filter { rows[$0] != nil }.count)
  }

  /// Decodes and preprocesses `files` on all cores.
  private func decodeInParallel(_ files: [URL]) -> [Result<Tensor, any Error>] {
    var results = [Result<Tensor, any Error>](
      repeating: .failure(FeatureExtractionError.noImages("")), count: files.count)
    let preprocessing = self.preprocessing
    results.withUnsafeMutableBufferPointer { buffer in
      let pointer = buffer.baseAddress!
      ComputeThreads.parallelFor(files.count) { i in
        pointer[i] = Result { try preprocessing(ImageFile.decode(contentsOf: files[i])) }
      }
    }
    return results
  }

  static func describe(_ p: Preprocessing) -> String {
    "resize \(p.resizeShorterSide.map(String.init) ?? "none"), crop \(p.cropSize.height)x\(p.cropSize.width), antialias \(p.antialias)"
  }

  static func matrix(_ rows: [[Float]]) -> Tensor {
    Tensor(shape: [rows.count, rows.first?.count ?? 0], scalars: rows.flatMap { $0 })
  }
}

/// The features of a list of files (or a dataset), in input order minus skipped files.
public struct FeatureSet: Sendable {
  /// `[n, D]`: row `i` belongs to `files[i]` (or to dataset image `i`).
  public let features: Tensor
  /// The files whose features these are (empty for an in-memory dataset).
  public let files: [URL]
  /// Files left out under `BadImagePolicy.skip`, with the reason, in input order.
  public let skipped: [SkippedImage]
  /// How many rows were read from the cache instead of computed.
  public let reusedFromCache: Int
}

/// A file `FeatureExtractor` could not use.
public struct SkippedImage: Sendable, Hashable {
  /// The file.
  public let file: URL
  /// The decoder's or the preprocessing's message.
  public let reason: String
}

/// Errors from extracting features.
public enum FeatureExtractionError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A file could not be decoded or preprocessed.
  case badImage(String, reason: String)
  /// A folder (or list) holds no usable image.
  case noImages(String)
  /// A folder could not be listed.
  case unreadableFolder(String, reason: String)
  /// The cache could not be written.
  case cacheUnwritable(String, reason: String)

  public var description: String {
    switch self {
    case .badImage(let file, let reason): return "\(file): cannot use this image: \(reason)"
    case .noImages(let place): return "\(place): no usable PNG or JPEG image."
    case .unreadableFolder(let folder, let reason): return "\(folder): cannot list the folder (\(reason))."
    case .cacheUnwritable(let file, let reason): return "\(file): cannot write the feature cache (\(reason))."
    }
  }
}
