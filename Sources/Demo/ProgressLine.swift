import Foundation
import Models

/// Renders `WorkProgress` on stderr: one updating line on a terminal (at most four times a
/// second), otherwise a line per tenth of the work; nothing when quiet. Results go to stdout.
final class ProgressLine {
  private let quiet: Bool
  private let interactive = isatty(STDERR_FILENO) != 0
  private let start = Date()
  private var lastShown = -Double.infinity
  private var lastTenth = -1

  init(quiet: Bool) { self.quiet = quiet }

  /// Shows `progress` if it is time to.
  func report(_ progress: WorkProgress) {
    guard !quiet else { return }
    let elapsed = Date().timeIntervalSince(start)
    let tenth = Int(progress.fraction * 10)
    if interactive {
      guard elapsed - lastShown >= 0.25 || progress.isFinished else { return }
    } else {
      guard tenth != lastTenth || progress.isFinished else { return }
    }
    lastShown = elapsed
    lastTenth = tenth
    let total = progress.total > 0 ? "/\(progress.total)" : ""
    let percent = progress.total > 0 ? String(format: " (%3.0f%%)", 100 * progress.fraction) : ""
    let line = "\(progress.stage): \(progress.completed)\(total)\(percent) \(String(format: "%.1f", elapsed)) s"
    let text = interactive ? "\r\u{1B}[K" + line + (progress.isFinished ? "\n" : "") : line + "\n"
    FileHandle.standardError.write(Data(text.utf8))
  }

  /// The handler to pass to the library.
  var handler: ProgressHandler { { [self] in self.report($0) } }
}
