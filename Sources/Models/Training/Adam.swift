import Foundation
import Tensor

/// Adam (Kingma and Ba, 2015, arXiv:1412.6980), step for step as PyTorch's `torch.optim.Adam`,
/// or AdamW (Loshchilov and Hutter, 2019, arXiv:1711.05101) with decoupled weight decay, as
/// `torch.optim.AdamW`.
///
/// For each parameter `p` with gradient `g`, at step `t` (from 1), with moments `m`, `v` starting
/// at zero:
///
/// ```
/// p ← p·(1 − lr·λ)                      (decoupled weight decay, AdamW)
/// g ← g + λ·p                           (L2 weight decay, Adam)
/// m ← m + (1 − β₁)·(g − m)              (torch's lerp, = β₁·m + (1 − β₁)·g)
/// v ← β₂·v + (1 − β₂)·g²
/// p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
///
/// The bias corrections are computed in Double, as PyTorch does with its Python float step.
///
/// - Complexity: O(parameter count) per step; two state tensors per parameter.
public struct Adam: Optimizer {
  public var learningRate: Double
  /// The decay `β₁` of the first moment.
  public var beta1: Double
  /// The decay `β₂` of the second moment.
  public var beta2: Double
  /// The `ε` added to the denominator.
  public var epsilon: Double
  /// The weight decay `λ`.
  public var weightDecay: Double
  /// Whether the weight decay is decoupled from the gradient (AdamW) rather than added to it.
  public var decoupledWeightDecay: Bool
  public private(set) var stepCount = 0
  private var firstMoments = OptimizerSlots()
  private var secondMoments = OptimizerSlots()

  /// Adam with PyTorch's defaults `β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`, no weight decay.
  ///
  /// - Precondition: `learningRate ≥ 0`, `0 ≤ β₁, β₂ < 1`, `ε ≥ 0`, `weightDecay ≥ 0`.
  public init(
    learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
    weightDecay: Double = 0, decoupledWeightDecay: Bool = false
  ) {
    precondition(
      learningRate >= 0 && epsilon >= 0 && weightDecay >= 0,
      "Adam needs a learning rate, epsilon and weight decay ≥ 0, not \(learningRate), "
        + "\(epsilon), \(weightDecay).")
    precondition(
      (0..<1).contains(beta1) && (0..<1).contains(beta2),
      "Adam's betas must lie in [0, 1), not \(beta1), \(beta2).")
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.decoupledWeightDecay = decoupledWeightDecay
  }

  /// AdamW: Adam with decoupled weight decay (PyTorch's defaults: `λ = 0.01`).
  public static func adamW(
    learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
    weightDecay: Double = 0.01
  ) -> Adam {
    Adam(
      learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
      weightDecay: weightDecay, decoupledWeightDecay: true)
  }

  /// The moment estimates `m` and `v` of parameter `name` (flat), once a step has made them.
  public func moments(_ name: String) -> (first: Tensor, second: Tensor)? {
    guard let m = firstMoments[name], let v = secondMoments[name] else { return nil }
    return (m, v)
  }

  public mutating func update<Network: Layer>(
    _ network: inout Network, along gradients: ParameterGradients
  ) {
    stepCount += 1
    let t = Double(stepCount)
    // The scalars PyTorch passes to its Float kernels, formed in Double and rounded once.
    let stepSize = Float(learningRate / (1 - pow(beta1, t)))
    let rootCorrection = Float((1 - pow(beta2, t)).squareRoot())
    let (mix1, b2, mix2) = (Float(1 - beta1), Float(beta2), Float(1 - beta2))
    let (eps, lambda, shrink) = (
      Float(epsilon), Float(weightDecay), Float(1 - learningRate * weightDecay)
    )
    let decoupled = decoupledWeightDecay
    // Moved out (not copied) so that the moments stay uniquely referenced and update in place.
    var (ms, vs) = (OptimizerSlots(), OptimizerSlots())
    swap(&ms, &firstMoments)
    swap(&vs, &secondMoments)
    forEachTrainable(&network, gradients) { name, p, g in
      ms.withSlot(name, count: p.count) { m, _ in
        vs.withSlot(name, count: p.count) { v, _ in
          for i in 0..<p.count {
            var d = g[i]
            if lambda != 0 {
              if decoupled { p[i] *= shrink } else { d += lambda * p[i] }
            }
            m[i] += mix1 * (d - m[i])
            v[i] = b2 * v[i] + mix2 * d * d
            p[i] -= stepSize * (m[i] / (v[i].squareRoot() / rootCorrection + eps))
          }
        }
      }
    }
    swap(&ms, &firstMoments)
    swap(&vs, &secondMoments)
  }
}
