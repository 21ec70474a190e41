import ArgumentParser

/// The `--threads` list of the bench commands: comma-separated positive integers ("1,2").
enum ThreadCounts {
  /// The thread counts of `text`, in order.
  ///
  /// - Throws: `ValidationError` when the list is empty or any entry is not a positive integer
  ///   (so "1,a" is refused rather than read as "1").
  static func parse(_ text: String) throws -> [Int] {
    let counts = text.split(separator: ",", omittingEmptySubsequences: false).map {
      Int($0.trimmingCharacters(in: .whitespaces))
    }
    guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) >= 1 }) else {
      throw ValidationError("--threads must list positive integers, like 1,2.")
    }
    return counts.map { $0 ?? 1 }
  }
}
