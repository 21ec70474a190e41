import CKernels
import COpenBLAS
import Foundation

/// How many cores the library's numeric kernels use: OpenBLAS's threads and the library's own
/// parallel loops share one setting, so the two never oversubscribe the machine.
///
/// The default is the number of active processors. Kernels that run their own parallel loop
/// around BLAS calls switch BLAS to one thread for the duration (see `withSingleThreadedBLAS`).
public enum ComputeThreads {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var value = ProcessInfo.processInfo.activeProcessorCount

  /// The number of threads kernels may use (at least 1): the configured count, or 1 inside an
  /// iteration of a `parallelFor` that runs on several threads (its cores are taken already, so
  /// kernels called there run serially and never toggle OpenBLAS's thread count themselves).
  public static var count: Int {
    if ck_parallel_in_chunk() != 0 { return 1 }
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
  ///
  /// The chunks run on the calling thread and on persistent workers (`ck_parallel_run` in
  /// CKernels) that poll for new work for 2 ms before parking. `DispatchQueue.concurrentPerform`
  /// was measured here to gain nothing on loops shorter than about a millisecond (its woken
  /// worker started on the caller's CPU or late: two 200 µs halves took 410 µs; 200 µs with the
  /// pool). A `parallelFor` called while another one runs (nested in a body, or from a second
  /// thread) runs its iterations inline, so the cores are never oversubscribed. While the
  /// iterations run on several threads, OpenBLAS is held to one thread and `count` reads 1 inside
  /// them, so a body may call any kernel (a whole network's forward pass) serially.
  public static func parallelFor(_ iterations: Int, _ body: (Int) -> Void) {
    let threads = min(count, iterations)
    if threads <= 1 {
      for i in 0..<iterations { body(i) }
      return
    }
    withSingleThreadedBLAS { spread(iterations, threads: threads, body) }
  }

  private static func spread(_ iterations: Int, threads: Int, _ body: (Int) -> Void) {
    withoutActuallyEscaping(body) { escapable in
      // The caller guarantees that iterations touch disjoint data; ck_parallel_run returns only
      // after every chunk has finished, so the closure does not outlive this call.
      var chunkBody: (Int) -> Void = { chunk in
        let start = iterations * chunk / threads
        let end = iterations * (chunk + 1) / threads
        for i in start..<end { escapable(i) }
      }
      withUnsafeMutablePointer(to: &chunkBody) { pointer in
        ck_parallel_run(
          threads,
          { context, chunk in
            context?.assumingMemoryBound(to: ((Int) -> Void).self).pointee(chunk)
          }, pointer)
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
