import Tensor

/// Labelled images held in memory: a batch tensor, one class index per image and the class
/// names.
///
/// ```swift
/// let test = try FashionMNIST.load(.test, from: directory)   // images [10000, 1, 28, 28]
/// let first = test.subset(0..<512)
/// let (images, labels) = test.batch(at: [3, 1, 4])           // [3, 1, 28, 28], 3 labels
/// ```
public struct ImageDataset: Sendable {
  /// `[N, C, H, W]`, contiguous.
  public private(set) var images: Tensor
  /// `N` class indices in `0 ..< classNames.count`.
  public private(set) var labels: [Int]
  /// The name of each class, in label order.
  public let classNames: [String]

  /// A dataset of `images` with their `labels`.
  ///
  /// - Precondition: `images` is `[N, C, H, W]` with `N == labels.count`, and every label lies
  ///   in `0 ..< classNames.count` (loaders check files and throw before building one).
  public init(images: Tensor, labels: [Int], classNames: [String]) {
    precondition(
      images.rank == 4 && images.shape[0] == labels.count,
      "A dataset needs images [N, C, H, W] with N = \(labels.count) labels, not \(images.shape).")
    precondition(
      labels.allSatisfy { $0 >= 0 && $0 < classNames.count },
      "Every label must lie in 0..<\(classNames.count) (the number of class names).")
    self.images = images.contiguous()
    self.labels = labels
    self.classNames = classNames
  }

  /// The number of images `N`.
  public var count: Int { labels.count }

  /// The shape of one image, `[C, H, W]`.
  public var imageShape: [Int] { Array(images.shape.dropFirst()) }

  /// The images and labels at `range` (a view of the same storage).
  ///
  /// - Precondition: `range` lies in `0 ..< count`.
  /// - Complexity: O(`range.count`) for the labels; the images are not copied.
  public func subset(_ range: Range<Int>) -> ImageDataset {
    precondition(
      range.lowerBound >= 0 && range.upperBound <= count,
      "The range \(range) is outside the dataset's 0..<\(count).")
    return ImageDataset(
      images: images.sliced(axis: 0, range), labels: Array(labels[range]), classNames: classNames)
  }

  /// The images and labels at `indices`, gathered in that order into a new contiguous batch.
  ///
  /// - Precondition: every index lies in `0 ..< count`.
  /// - Complexity: O(`indices.count · C · H · W`).
  public func batch(at indices: some Collection<Int>) -> (images: Tensor, labels: [Int]) {
    let imageSize = imageShape.reduce(1, *)
    let total = count
    let batchLabels = indices.map { index in
      precondition(index >= 0 && index < total, "Index \(index) is outside 0..<\(total).")
      return labels[index]
    }
    let batchImages = images.withUnsafeBufferPointer { source in
      Tensor(shape: [indices.count] + imageShape) { destination in
        guard let from = source.baseAddress, let to = destination.baseAddress else { return }
        for (position, index) in indices.enumerated() {
          (to + position * imageSize).update(from: from + index * imageSize, count: imageSize)
        }
      }
    }
    return (batchImages, batchLabels)
  }

  /// How many images each class has, in label order.
  ///
  /// - Complexity: O(N).
  public var classCounts: [Int] {
    var counts = [Int](repeating: 0, count: classNames.count)
    for label in labels { counts[label] += 1 }
    return counts
  }
}
