import Foundation
import Tensor

/// The softmax cross-entropy between logits and class labels, averaged over the batch (PyTorch's
/// `nn.CrossEntropyLoss()`, `reduction="mean"`), with optional label smoothing.
///
/// With `log p = logSoftmax(z)` along the class axis and the target distribution
/// `q = (1 − ε)·onehot(y) + ε/K`:
///
/// `L = (1/N) Σₙ Σₖ −q[n, k] · log p[n, k]` and `∂L/∂z[n, k] = (p[n, k] − q[n, k]) / N`.
///
/// With `ε = 0` this is `(1/N) Σₙ −log p[n, yₙ]`. The log-softmax subtracts each row's maximum
/// first, so large logits do not overflow; sums run in Double.
///
/// ```swift
/// let (loss, gradient) = CrossEntropy().lossAndGradient(logits: logits, labels: labels)
/// ```
///
/// - Input: logits `[N, K]`, `N` labels in `0 ..< K`.
/// - Complexity: O(N · K).
public struct CrossEntropy: Sendable {
  /// The label smoothing `ε` in `[0, 1]` (PyTorch's `label_smoothing`).
  public var labelSmoothing: Float

  /// The loss, with label smoothing `ε` (0: plain cross-entropy).
  ///
  /// - Precondition: `0 ≤ labelSmoothing ≤ 1`.
  public init(labelSmoothing: Float = 0) {
    precondition(
      labelSmoothing >= 0 && labelSmoothing <= 1,
      "Label smoothing must lie in [0, 1], not \(labelSmoothing).")
    self.labelSmoothing = labelSmoothing
  }

  /// The mean loss over the batch.
  ///
  /// - Precondition: `logits` is `[N, K]` with `N = labels.count ≥ 1` and every label in
  ///   `0 ..< K`.
  public func loss(logits: Tensor, labels: [Int]) -> Float {
    evaluate(logits: logits, labels: labels, gradient: false).loss
  }

  /// The mean loss and its gradient with respect to the logits, `[N, K]`.
  ///
  /// - Precondition: as `loss(logits:labels:)`.
  public func lossAndGradient(logits: Tensor, labels: [Int]) -> (loss: Float, gradient: Tensor) {
    let result = evaluate(logits: logits, labels: labels, gradient: true)
    guard let gradient = result.gradient else { preconditionFailure("no gradient computed") }
    return (result.loss, gradient)
  }

  private func evaluate(logits: Tensor, labels: [Int], gradient wanted: Bool) -> (
    loss: Float, gradient: Tensor?
  ) {
    precondition(
      logits.rank == 2 && logits.shape[0] == labels.count && !labels.isEmpty,
      "Cross-entropy needs logits [N, K] for N = \(labels.count) ≥ 1 labels, not "
        + "\(logits.shape).")
    let (batch, classes) = (logits.shape[0], logits.shape[1])
    precondition(
      labels.allSatisfy { $0 >= 0 && $0 < classes },
      "Every label must be a class index in 0..<\(classes).")
    let logProbabilities = logits.logSoftmax(alongAxis: 1)
    let smoothing = Double(labelSmoothing)
    let (onTarget, everywhere) = (1 - smoothing, smoothing / Double(classes))
    return logProbabilities.withUnsafeBufferPointer { logP in
      var total = 0.0
      for n in 0..<batch {
        let row = n * classes
        total -= onTarget * Double(logP[row + labels[n]])
        if smoothing > 0 {
          var rowSum = 0.0
          for k in 0..<classes { rowSum += Double(logP[row + k]) }
          total -= everywhere * rowSum
        }
      }
      let loss = Float(total / Double(batch))
      guard wanted else { return (loss, nil) }
      let scale = 1 / Float(batch)
      let (target, floor) = (Float(onTarget), Float(everywhere))
      let gradient = Tensor(shape: [batch, classes]) { g in
        for n in 0..<batch {
          let row = n * classes
          for k in 0..<classes {
            let q = (k == labels[n] ? target : 0) + floor
            g[row + k] = (Foundation.exp(logP[row + k]) - q) * scale
          }
        }
      }
      return (loss, gradient)
    }
  }
}
