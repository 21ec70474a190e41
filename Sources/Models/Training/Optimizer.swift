import Tensor

/// Updates a network's trainable parameters from their gradients, keeping per-parameter state
/// (momentum, moment estimates) under the parameters' state-dict names.
///
/// An optimiser visits the network through `Layer.updateParameters`, so it works for any layer
/// without knowing its structure; buffers (`running_mean`) and parameters without a gradient are
/// left alone, as in PyTorch, where a parameter whose `.grad` is `None` is skipped.
///
/// ```swift
/// var optimizer = Adam(learningRate: 1e-3)
/// let (_, parameterGradients) = pullback(lossGradient)
/// optimizer.update(&network, along: parameterGradients)
/// ```
public protocol Optimizer: Sendable {
  /// The step size `lr`; schedules change it between steps.
  ///
  /// Hyperparameters are `Double`, like PyTorch's Python floats: derived scalars such as
  /// `1 − β` are formed in Double and rounded to `Float` once, as PyTorch does.
  var learningRate: Double { get set }

  /// The number of `update` calls so far.
  var stepCount: Int { get }

  /// Applies one step to every trainable parameter of `network` that has a gradient.
  ///
  /// - Precondition: each gradient has its parameter's shape.
  mutating func update<Network: Layer>(
    _ network: inout Network, along gradients: ParameterGradients)
}

extension Optimizer {
  /// Calls `body(name, parameter, gradient)` for every trainable parameter of `network` that has
  /// a gradient, with the parameter's storage made unique and contiguous, so `body` can update
  /// it in place.
  func forEachTrainable<Network: Layer>(
    _ network: inout Network, _ gradients: ParameterGradients,
    _ body: (String, UnsafeMutableBufferPointer<Float>, UnsafeBufferPointer<Float>) -> Void
  ) {
    network.updateParameters { name, kind, parameter in
      guard kind == .trainable, let gradient = gradients[name] else { return }
      precondition(
        gradient.shape == parameter.shape,
        "The gradient of '\(name)' is \(gradient.shape), but the parameter is "
          + "\(parameter.shape).")
      gradient.withUnsafeBufferPointer { g in
        parameter.withUnsafeMutableBufferPointer { p in body(name, p, g) }
      }
    }
  }
}

/// Per-parameter state tensors of an optimiser, by parameter name.
struct OptimizerSlots: Sendable {
  private var slots: [String: Tensor] = [:]

  /// Calls `body` with the slot for `name` (zeros of `count` elements, and `isNew == true`, on
  /// first use), mutable in place.
  mutating func withSlot<R>(
    _ name: String, count: Int,
    _ body: (_ slot: UnsafeMutableBufferPointer<Float>, _ isNew: Bool) -> R
  ) -> R {
    var tensor = slots.removeValue(forKey: name)
    let isNew = tensor == nil
    if let existing = tensor {
      precondition(
        existing.count == count,
        "The optimiser state of '\(name)' holds \(existing.count) values, the parameter "
          + "\(count).")
    }
    var slot = tensor ?? Tensor(zeros: [count])
    tensor = nil
    defer { slots[name] = slot }
    return slot.withUnsafeMutableBufferPointer { body($0, isNew) }
  }

  /// The state for `name`, if any (flat, one value per parameter element).
  subscript(name: String) -> Tensor? { slots[name] }
}
