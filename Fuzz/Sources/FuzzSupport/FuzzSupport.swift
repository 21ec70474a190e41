import CFuzzer
import Foundation
import Imaging
import Models

/// Shared pieces of the fuzz targets: turning libFuzzer's buffer into `Data`, the limits the
/// targets read with, and the rule that a parser may only fail with its own typed error.
public enum Fuzz {
  /// The bytes libFuzzer hands to `LLVMFuzzerTestOneInput`, copied (so the parser cannot keep a
  /// pointer into libFuzzer's buffer alive).
  public static func data(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Data {
    guard let bytes, count > 0 else { return Data() }
    return Data(bytes: bytes, count: count)
  }

  /// Weight-file limits for fuzzing: the defaults, except the two that allow legitimate
  /// allocations beyond libFuzzer's 2 GB memory limit — the decompressed size of a zip entry
  /// (256 MiB instead of 16 GiB) and the bytes of one tensor (128 MiB instead of 4 GiB; `tensor()`
  /// of `uint8` data is 4 times larger) — so that such inputs are typed limit errors. Every other
  /// default is exercised as users get it.
  public static let weightLimits: WeightFileLimits = {
    var limits = WeightFileLimits.default
    limits.maxEntryBytes = 256 << 20
    limits.maxTensorBytes = 128 << 20
    return limits
  }()

  /// Image decoding options for fuzzing: 16 megapixels instead of 100 (a `[4, H, W]` Float
  /// tensor of 100 megapixels is 1.6 GB, legitimately beyond libFuzzer's 2 GB limit with the
  /// decoder's own buffer), everything else the default. JPEG warnings fail, as by default.
  public static let imageOptions = ImageDecodingOptions(maximumPixelCount: 16_000_000)

  /// Runs `body`; a `WeightFileError` or `ImageError` is the expected outcome of bad input, any
  /// other error is a bug and aborts (which libFuzzer reports as a crash).
  public static func expectTypedErrors(_ body: () throws -> Void) {
    do {
      try body()
    } catch is WeightFileError {
    } catch is ImageError {
    } catch {
      fatalError("untyped error escaped a parser: \(error)")
    }
  }

  /// Converts every array of a weight file as a user would (`tensor()`, the exact integer and
  /// double views), so that inconsistent metadata surfaces as a crash rather than staying lazy.
  public static func touch(_ file: WeightFile) {
    for key in file.keys {
      guard let array = file[key] else { fatalError("key \(key) listed but not stored") }
      touch(array)
    }
    _ = file.metadata.count
  }

  /// Converts one array to a tensor and to its exact scalars; checks the element count.
  public static func touch(_ array: WeightArray) {
    let tensor = array.tensor()
    precondition(tensor.count == array.count, "tensor() changed the element count")
    _ = array.int64Scalars()
    _ = array.doubleScalars().count
  }
}

extension Fuzz {
  /// Runs libFuzzer on `test` with the process's command line (libFuzzer flags and corpus
  /// folders) and exits with libFuzzer's status.
  public static func run(
    _ test: @escaping @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
  ) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv, test)
    exit(status)
  }
}
