/// What a long loop of the library (LIME samples, attacks over a folder, feature extraction)
/// reports as it goes. The library prints nothing; a caller renders it (the CLI's stderr progress
/// line) or ignores it. Reported from the calling thread, in order.
public struct WorkProgress: Sendable, Hashable {
  /// What is being done, e.g. `"LIME samples"` or `"features"`.
  public var stage: String
  /// Units finished so far.
  public var completed: Int
  /// Units planned (0 when unknown).
  public var total: Int

  public init(stage: String, completed: Int, total: Int) {
    self.stage = stage
    self.completed = completed
    self.total = total
  }

  /// `completed / total`, or 0 when the total is unknown.
  public var fraction: Double {
    total > 0 ? Double(completed) / Double(total) : 0
  }

  /// Whether the work is finished.
  public var isFinished: Bool { total > 0 && completed >= total }
}

/// A callback receiving `WorkProgress`; the default everywhere is `WorkProgress.ignore`.
public typealias ProgressHandler = (WorkProgress) -> Void

extension WorkProgress {
  /// A handler that drops every report: `progress: ProgressHandler = WorkProgress.ignore`.
  public static func ignore(_ progress: WorkProgress) {}
}
