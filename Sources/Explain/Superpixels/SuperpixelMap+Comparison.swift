import Foundation

extension SuperpixelMap {
  /// The adjusted Rand index between two segmentations of the same image (Hubert & Arabie
  /// 1985): the Rand index corrected for chance, 1 for identical partitions (whatever the label
  /// numbers), about 0 for independent ones. It equals scikit-learn's `adjusted_rand_score`.
  ///
  /// With `n_ij` the number of pixels labelled `i` here and `j` in `other`, `a_i`, `b_j` the
  /// sizes and `N = H·W`:
  /// `ARI = (Σ C(n_ij, 2) − E) / (½(Σ C(a_i, 2) + Σ C(b_j, 2)) − E)`,
  /// `E = Σ C(a_i, 2) · Σ C(b_j, 2) / C(N, 2)`.
  ///
  /// Edge cases: when the denominator is 0 (both maps a single segment, or both one pixel per
  /// segment) the partitions are identical and the result is 1.
  ///
  /// - Throws: `SegmentationError.sizeMismatch` when the maps differ in size.
  /// - Complexity: O(H·W) time, O(H·W) memory for the contingency table.
  public func adjustedRandIndex(with other: SuperpixelMap) throws -> Double {
    guard height == other.height, width == other.width else {
      throw SegmentationError.sizeMismatch(
        segmentation: [other.height, other.width], image: [height, width])
    }
    func pairs(_ n: Int) -> Double { Double(n) * Double(n - 1) / 2 }
    var table = [Int: Int]()
    for (a, b) in zip(labels, other.labels) {
      table[Int(a) * other.count + Int(b), default: 0] += 1
    }
    let together = table.values.reduce(0.0) { $0 + pairs($1) }
    let rows = sizes.reduce(0.0) { $0 + pairs($1) }
    let columns = other.sizes.reduce(0.0) { $0 + pairs($1) }
    let expected = rows * columns / pairs(labels.count)
    let maximum = (rows + columns) / 2
    guard maximum != expected else { return 1 }
    return (together - expected) / (maximum - expected)
  }
}
