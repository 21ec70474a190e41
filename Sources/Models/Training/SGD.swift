import Tensor

/// Stochastic gradient descent with momentum, dampening, weight decay and Nesterov momentum,
/// step for step as PyTorch's `torch.optim.SGD`.
///
/// For each parameter `p` with gradient `g`, at step `t` (from 1):
///
/// ```
/// g ← g + λ·p                                  (weight decay λ)
/// b ← g                           if t = 1     (momentum buffer, μ ≠ 0)
/// b ← μ·b + (1 − τ)·g             otherwise    (dampening τ)
/// g ← g + μ·b  (Nesterov)  or  g ← b
/// p ← p − lr·g
/// ```
///
/// With `μ = 0` there is no buffer and the step is `p ← p − lr·(g + λ·p)`.
///
/// - Complexity: O(parameter count) per step; one buffer per parameter with momentum.
public struct SGD: Optimizer {
  public var learningRate: Double
  /// The momentum `μ` (0: none).
  public var momentum: Double
  /// The dampening `τ` of the momentum update.
  public var dampening: Double
  /// The L2 weight decay `λ`, added to the gradient.
  public var weightDecay: Double
  /// Whether to use Nesterov momentum.
  public var nesterov: Bool
  public private(set) var stepCount = 0
  private var buffers = OptimizerSlots()

  /// An optimiser with PyTorch's defaults (no momentum, dampening or weight decay).
  ///
  /// - Precondition: `learningRate`, `momentum`, `weightDecay` ≥ 0; Nesterov momentum needs
  ///   `momentum > 0` and `dampening == 0` (PyTorch's rule).
  public init(
    learningRate: Double, momentum: Double = 0, dampening: Double = 0, weightDecay: Double = 0,
    nesterov: Bool = false
  ) {
    precondition(
      learningRate >= 0 && momentum >= 0 && weightDecay >= 0,
      "SGD needs a learning rate, momentum and weight decay ≥ 0, not \(learningRate), "
        + "\(momentum), \(weightDecay).")
    precondition(
      !nesterov || (momentum > 0 && dampening == 0),
      "Nesterov momentum needs momentum > 0 and zero dampening.")
    self.learningRate = learningRate
    self.momentum = momentum
    self.dampening = dampening
    self.weightDecay = weightDecay
    self.nesterov = nesterov
  }

  /// The momentum buffer of parameter `name` (flat), once a step has made one.
  public func momentumBuffer(_ name: String) -> Tensor? { buffers[name] }

  public mutating func update<Network: Layer>(
    _ network: inout Network, along gradients: ParameterGradients
  ) {
    stepCount += 1
    // The scalars PyTorch passes to its Float kernels, rounded from Double once.
    let (lr, mu, keep, lambda) = (
      Float(learningRate), Float(momentum), Float(1 - dampening), Float(weightDecay)
    )
    let nesterov = self.nesterov
    // Moved out (not copied) so that the buffers stay uniquely referenced and update in place.
    var buffers = OptimizerSlots()
    swap(&buffers, &self.buffers)
    forEachTrainable(&network, gradients) { name, p, g in
      guard mu != 0 else {
        for i in 0..<p.count { p[i] -= lr * (g[i] + lambda * p[i]) }
        return
      }
      buffers.withSlot(name, count: p.count) { b, isNew in
        for i in 0..<p.count {
          let d = lambda != 0 ? g[i] + lambda * p[i] : g[i]
          b[i] = isNew ? d : mu * b[i] + keep * d
          p[i] -= lr * (nesterov ? d + mu * b[i] : b[i])
        }
      }
    }
    self.buffers = buffers
  }
}
