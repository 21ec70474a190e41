import Foundation
import Tensor

/// Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017, arXiv:1708.07747): 70,000 gray 28×28 pictures
/// of clothing in 10 classes, 60,000 for training and 10,000 for testing, 7,000 per class.
///
/// The four files are IDX, gzip-compressed, as distributed (and as `Scripts/setup.sh` puts them
/// in `Assets/datasets/fashion-mnist/`):
///
/// | split | images | labels |
/// |---|---|---|
/// | `.train` | `train-images-idx3-ubyte.gz` (`[60000, 28, 28]`) | `train-labels-idx1-ubyte.gz` |
/// | `.test` | `t10k-images-idx3-ubyte.gz` (`[10000, 28, 28]`) | `t10k-labels-idx1-ubyte.gz` |
///
/// ```swift
/// let test = try FashionMNIST.load(.test, from: directory)  // images [10000, 1, 28, 28] in [0, 1]
/// test.classNames[test.labels[0]]                            // "Ankle boot"
/// ```
public enum FashionMNIST {
  /// The training or the test split.
  public enum Split: String, Sendable, CaseIterable {
    case train
    case test

    /// The file names of the images and the labels.
    public var fileNames: (images: String, labels: String) {
      switch self {
      case .train: return ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
      case .test: return ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
      }
    }
  }

  /// The ten class names, in label order (from the dataset's README).
  public static let classNames = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
    "Ankle boot",
  ]

  /// The side of every image, in pixels.
  public static let imageSide = 28

  /// The images of `split` as `[N, 1, 28, 28]` with pixel values `byte / 255` in [0, 1] (0 is
  /// the black background), and their labels.
  ///
  /// - Parameters:
  ///   - split: which pair of files to read.
  ///   - directory: the folder holding the four `.gz` files.
  ///   - limit: keep only the first `limit` examples (the files are still read and checked
  ///     whole); nil keeps them all.
  /// - Throws: `DatasetError.missingFile`, `.unexpectedDimensions`, `.countMismatch` or
  ///   `.labelOutOfRange`, and `IDXFileError` for a file that is not valid IDX, each naming the
  ///   file.
  /// - Complexity: O(file sizes) to inflate and check; O(N · 784) to convert.
  public static func load(_ split: Split, from directory: URL, limit: Int? = nil) throws
    -> ImageDataset
  {
    precondition(limit.map { $0 >= 0 } ?? true, "A limit cannot be negative, not \(limit ?? 0).")
    let names = split.fileNames
    let imagesURL = directory.appendingPathComponent(names.images)
    let labelsURL = directory.appendingPathComponent(names.labels)
    for url in [imagesURL, labelsURL] where !FileManager.default.fileExists(atPath: url.path) {
      throw DatasetError.missingFile(file: url.path)
    }

    let labelFile = try IDXFile(contentsOf: labelsURL)
    guard labelFile.dimensions.count == 1 else {
      throw DatasetError.unexpectedDimensions(
        file: labelsURL.path, expected: "[N]", found: labelFile.dimensions)
    }
    let labelBytes = try labelFile.unsignedBytes()
    if let index = labelBytes.firstIndex(where: { Int($0) >= classNames.count }) {
      throw DatasetError.labelOutOfRange(
        file: labelsURL.path, index: index, label: Int(labelBytes[index]),
        classCount: classNames.count)
    }

    let imageFile = try IDXFile(contentsOf: imagesURL)
    let side = imageSide
    guard imageFile.dimensions.count == 3, imageFile.dimensions.dropFirst() == [side, side] else {
      throw DatasetError.unexpectedDimensions(
        file: imagesURL.path, expected: "[N, \(side), \(side)]", found: imageFile.dimensions)
    }
    guard imageFile.dataType == .unsignedByte else {
      throw IDXFileError.wrongDataType(
        file: imagesURL.path, expected: .unsignedByte, found: imageFile.dataType)
    }
    let imageCount = imageFile.dimensions[0]
    guard imageCount == labelBytes.count else {
      throw DatasetError.countMismatch(
        imagesFile: imagesURL.path, imageCount: imageCount, labelsFile: labelsURL.path,
        labelCount: labelBytes.count)
    }

    let kept = min(limit ?? imageCount, imageCount)
    let images = imageFile.payload.withUnsafeBytes { bytes in
      Tensor(shape: [kept, 1, side, side]) { pixels in
        // Division, not multiplication by 1/255, to give torchvision's `ToTensor` values exactly.
        for i in 0..<pixels.count { pixels[i] = Float(bytes[i]) / 255 }
      }
    }
    return ImageDataset(
      images: images, labels: labelBytes.prefix(kept).map(Int.init), classNames: classNames)
  }
}
