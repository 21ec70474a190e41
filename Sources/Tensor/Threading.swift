import COpenBLAS
import Dispatch
import Foundation

/// How many cores the library's numeric kernels use: OpenBLAS's threads and the library's own
/// parallel loops share one setting, so the two never oversubscribe the machine.
///
/// The default is the number of active processors. Kernels that run their own parallel loop
/// around BLAS calls switch BLAS to one thread for the duration (see `withSingleThreadedBLAS`).
public enum ComputeThreads {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var value = ProcessInfo.processInfo.activeProcessorCount

  /// The number of threads kernels may use (at least 1).
  public static var count: Int {
    lock.lock()
    defer { lock.unlock() }
    return value
  }

  /// Sets the number of threads for the library's loops and for OpenBLAS.
  public static func set(_ count: Int) {
    precondition(count >= 1, "The thread count must be at least 1, not \(count).")
    lock.lock()
    value = count
    lock.unlock()
    openblas_set_num_threads(Int32(count))
  }

  /// Runs `body(i)` for `i` in `0..<iterations`, spread over `ComputeThreads.count` threads in
  /// contiguous chunks. Runs inline when one thread is configured or there is one iteration.
  public static func parallelFor(_ iterations: Int, _ body: (Int) -> Void) {
    let threads = min(count, iterations)
    if threads <= 1 {
      for i in 0..<iterations { body(i) }
      return
    }
    withoutActuallyEscaping(body) { escapable in
      // The caller guarantees that iterations touch disjoint data; concurrentPerform returns
      // only after every chunk has finished, so the closure does not outlive this call.
      let box = UncheckedSendable(escapable)
      DispatchQueue.concurrentPerform(iterations: threads) { chunk in
        let start = iterations * chunk / threads
        let end = iterations * (chunk + 1) / threads
        for i in start..<end { box.value(i) }
      }
    }
  }

  /// Runs `body` with OpenBLAS restricted to one thread, restoring the setting afterwards.
  /// Use around code that calls BLAS from inside `parallelFor`.
  public static func withSingleThreadedBLAS<R>(_ body: () throws -> R) rethrows -> R {
    let previous = openblas_get_num_threads()
    openblas_set_num_threads(1)
    defer { openblas_set_num_threads(previous) }
    return try body()
  }

  /// The name of the OpenBLAS kernel chosen at run time (for example "Haswell", "SkylakeX").
  public static var blasCoreName: String {
    String(cString: openblas_get_corename())
  }
}

/// Carries a value across a concurrency boundary whose safety the library has checked by hand.
@usableFromInline
struct UncheckedSendable<Value>: @unchecked Sendable {
  @usableFromInline let value: Value
  @usableFromInline init(_ value: Value) { self.value = value }
}
