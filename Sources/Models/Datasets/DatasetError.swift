/// Why a labelled image dataset could not be assembled from its files. Every case names the file.
public enum DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A file of the dataset does not exist.
  case missingFile(file: String)
  /// An IDX file has the wrong extents (`expected` describes them, `[N, 28, 28]`).
  case unexpectedDimensions(file: String, expected: String, found: [Int])
  /// The images file and the labels file hold different numbers of examples.
  case countMismatch(imagesFile: String, imageCount: Int, labelsFile: String, labelCount: Int)
  /// Label number `index` (0-based) is `label`, outside `0 ..< classCount`.
  case labelOutOfRange(file: String, index: Int, label: Int, classCount: Int)

  /// The file the error is about (the labels file, for a count mismatch).
  public var file: String {
    switch self {
    case .missingFile(let file), .unexpectedDimensions(let file, _, _),
      .labelOutOfRange(let file, _, _, _):
      return file
    case .countMismatch(_, _, let labelsFile, _):
      return labelsFile
    }
  }

  public var description: String {
    switch self {
    case .missingFile(let file):
      return "\(file): no such file (run Scripts/setup.sh to fetch the datasets)."
    case .unexpectedDimensions(let file, let expected, let found):
      return "\(file): expected extents \(expected), found \(found)."
    case .countMismatch(let imagesFile, let imageCount, let labelsFile, let labelCount):
      return "\(imagesFile) holds \(imageCount) images but \(labelsFile) holds \(labelCount) "
        + "labels."
    case .labelOutOfRange(let file, let index, let label, let classCount):
      return "\(file): label \(index) is \(label), outside 0..<\(classCount)."
    }
  }
}
