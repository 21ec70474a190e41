/// Upper bounds that weight readers enforce before they allocate or walk anything a file declares.
///
/// The defaults accept every real checkpoint of image classifiers (hundreds of megabytes, a few
/// thousand tensors) while keeping a hostile file from asking for absurd memory or time: a
/// declared size is checked against both the bytes the file actually has and these limits, and a
/// violation is a `WeightFileError.limitExceeded` naming the limit.
public struct WeightFileLimits: Sendable, Equatable {
  /// Largest safetensors JSON header or `.npy` header dictionary, in bytes (default 100 MiB).
  public var maxHeaderBytes: Int
  /// Largest number of tensors in one file (default 1 000 000).
  public var maxTensorCount: Int
  /// Largest tensor rank (default 64, NumPy's own limit).
  public var maxRank: Int
  /// Deepest nesting of JSON values, and of dictionaries and lists in a checkpoint (default 64).
  public var maxNestingDepth: Int
  /// Largest number of entries in a zip central directory (default 100 000).
  public var maxZipEntryCount: Int
  /// Largest decompressed size of one zip entry, in bytes (default 16 GiB). Independently, a
  /// deflated entry may not claim more than 1032 bytes per compressed byte (deflate's maximum
  /// ratio), so allocation is always justified by the file's size.
  public var maxEntryBytes: Int
  /// Largest size of one array's elements, in bytes (default 4 GiB; the largest layer of an
  /// image classifier is far below 1 GiB). Checked from the declared shape and type before
  /// anything is sliced or allocated; it matters most for PyTorch views, whose strides can
  /// repeat a one-element storage (stride 0) into an arbitrarily large tensor.
  public var maxTensorBytes: Int
  /// Most values (tensors, scalars and containers, a container counted once per reference to
  /// it) visited while flattening a PyTorch checkpoint's pickled dictionary (default 100 000;
  /// a real state dictionary has a few hundred to a few thousand).
  /// Bounds the work of a pickle that shares one list many times ("billion laughs": 40 levels
  /// of `[x, x]` describe 2^40 leaves in 125 bytes).
  public var maxStateDictionaryValues: Int
  /// Bounds for the restricted unpickler (PyTorch checkpoints).
  public var pickle: Unpickler.Limits

  /// Limits with every field given.
  public init(
    maxHeaderBytes: Int = 100 << 20, maxTensorCount: Int = 1_000_000, maxRank: Int = 64,
    maxNestingDepth: Int = 64, maxZipEntryCount: Int = 100_000, maxEntryBytes: Int = 16 << 30,
    maxTensorBytes: Int = 4 << 30, maxStateDictionaryValues: Int = 100_000,
    pickle: Unpickler.Limits = Unpickler.Limits()
  ) {
    self.maxHeaderBytes = maxHeaderBytes
    self.maxTensorCount = maxTensorCount
    self.maxRank = maxRank
    self.maxNestingDepth = maxNestingDepth
    self.maxZipEntryCount = maxZipEntryCount
    self.maxEntryBytes = maxEntryBytes
    self.maxTensorBytes = maxTensorBytes
    self.maxStateDictionaryValues = maxStateDictionaryValues
    self.pickle = pickle
  }

  /// The default limits.
  public static let `default` = WeightFileLimits()

  /// The byte size of an array of `shape` and `dtype`, checked against `maxTensorBytes`.
  ///
  /// - Returns: the size, or `nil` when `shape` has a negative extent or its size overflows
  ///   `Int` (the caller reports its own format error).
  /// - Throws: `WeightFileError.limitExceeded` ("tensor bytes") naming `file` and `key`.
  func checkedTensorBytes(shape: [Int], dtype: WeightDType, file: String, key: String) throws
    -> Int?
  {
    guard let bytes = WeightArray.byteCount(shape: shape, dtype: dtype) else { return nil }
    guard bytes <= maxTensorBytes else {
      throw WeightFileError.limitExceeded(
        file: file, key: key, limit: "tensor bytes", value: bytes, maximum: maxTensorBytes)
    }
    return bytes
  }
}
