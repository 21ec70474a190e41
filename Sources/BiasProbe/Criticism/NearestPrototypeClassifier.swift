import Tensor

/// The 1-nearest-prototype classifier of MMD-critic's evaluation: a point takes the label of the
/// closest prototype in Euclidean distance (equivalently, the prototype of largest RBF kernel
/// value). Its accuracy measures how well the prototypes summarise the classes.
public struct NearestPrototypeClassifier: Sendable {
  /// The prototypes `[m, d]`.
  public let prototypes: Tensor
  /// The label of each prototype.
  public let labels: [Int]
  let cloud: PointCloud

  /// A classifier from prototype features `[m, d]` (`m ≥ 1`) and their labels.
  /// - Throws: ``SelectionError`` for a non-matrix, non-finite values, or a label count that
  ///   is not `m`; ``SelectionError/featuresNotMatrix(shape:)`` when there is no prototype.
  public init(prototypes: Tensor, labels: [Int]) throws {
    try SelectionError.validate(prototypes, labels: labels)
    guard prototypes.shape[0] > 0 else {
      throw SelectionError.featuresNotMatrix(shape: prototypes.shape)
    }
    self.prototypes = prototypes.contiguous()
    self.labels = labels
    self.cloud = PointCloud(prototypes)
  }

  /// The prototypes chosen by `selection` among `features` `[n, d]` with labels `labels`.
  /// - Throws: as ``init(prototypes:labels:)``.
  public init(selecting selection: [Int], from features: Tensor, labels: [Int]) throws {
    try SelectionError.validate(features, labels: labels)
    let rows = selection.map { features.selecting(axis: 0, index: $0).expandingShape(at: 0) }
    let chosen = rows.isEmpty ? Tensor(zeros: [0, features.shape[1]]) : Tensor.concatenate(rows, axis: 0)
    try self.init(prototypes: chosen, labels: selection.map { labels[$0] })
  }

  /// The index (into ``prototypes``) of the nearest prototype of each row of `features`; ties go
  /// to the earlier prototype.
  /// - Throws: ``SelectionError`` for a non-matrix, non-finite values or another dimension.
  /// - Complexity: `n·m·d` multiply-adds in blocks of `blockRows` rows.
  public func nearest(_ features: Tensor, blockRows: Int = 256) throws -> [Int] {
    try SelectionError.validate(features, labels: nil)
    guard features.shape[1] == prototypes.shape[1] else {
      throw SelectionError.dimensionMismatch(expected: prototypes.shape[1], found: features.shape[1])
    }
    let queries = PointCloud(features, subtracting: PointCloud.mean(of: prototypes))
    let m = cloud.count
    var result = [Int](repeating: 0, count: queries.count)
    var start = 0
    while start < queries.count {
      let end = min(queries.count, start + blockRows)
      let block = queries.squaredDistances(rows: start..<end, to: cloud, columns: 0..<m)
      block.withUnsafeBufferPointer { d in
        for r in 0..<(end - start) {
          var best = 0
          for c in 1..<max(m, 1) where d[r * m + c] < d[r * m + best] { best = c }
          result[start + r] = best
        }
      }
      start = end
    }
    return result
  }

  /// The predicted label of each row of `features`.
  /// - Throws: as ``nearest(_:blockRows:)``.
  public func predict(_ features: Tensor) throws -> [Int] {
    try nearest(features).map { labels[$0] }
  }

  /// The fraction of rows of `features` whose predicted label equals `truth`.
  /// - Throws: as ``nearest(_:blockRows:)``, or a label count mismatch.
  public func accuracy(on features: Tensor, labels truth: [Int]) throws -> Double {
    try SelectionError.validate(features, labels: truth)
    guard !truth.isEmpty else { return .nan }
    let predicted = try predict(features)
    let correct = zip(predicted, truth).filter { $0 == $1 }.count
    return Double(correct) / Double(truth.count)
  }
}
