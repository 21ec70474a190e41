import Tensor

/// A network stage that maps a batch forward and carries its gradient backward.
///
/// Layers are values (`struct`s). `callAsFunction` is the inference path and saves nothing.
/// `forward(_:context:)` also returns a *pullback*: a closure that keeps what the backward pass
/// needs (im2col columns, masks, the input) and maps `∂L/∂output` to `∂L/∂input` together with
/// `∂L/∂parameters` — the vector–Jacobian product, as in Swift for TensorFlow and JAX.
///
/// Parameters are named by their key in a PyTorch state dict, relative to the layer
/// (`"weight"`, `"bias"`, `"running_mean"`); containers prefix their children's names
/// (`"layer1.0.conv1.weight"`), so a torchvision checkpoint maps onto a network by name.
///
/// ```swift
/// let (output, pullback) = layer.forward(input, context: ForwardContext())
/// let (inputGradient, parameterGradients) = pullback(outputGradient)
/// ```
public protocol Layer: Sendable {
  /// The output for `input`, without recording anything for a backward pass.
  func callAsFunction(_ input: Tensor) -> Tensor

  /// The output for `input` and the pullback from the output gradient to the input and
  /// parameter gradients.
  ///
  /// `context` selects training or inference behaviour and collects the activations and
  /// activation gradients of the layers it names.
  func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback)

  /// Calls `body` with the name, kind and value of every parameter and buffer, in state-dict
  /// order.
  func visitParameters(_ body: (String, ParameterKind, Tensor) throws -> Void) rethrows

  /// Calls `body` with the name, kind and a mutable reference to every parameter and buffer, in
  /// state-dict order (weight loading and optimisers go through this).
  mutating func updateParameters(_ body: (String, ParameterKind, inout Tensor) throws -> Void)
    rethrows
}

/// Maps `∂L/∂output` to `∂L/∂input` and the gradients of the layer's trainable parameters.
public typealias Pullback = @Sendable (Tensor) -> (input: Tensor, parameters: ParameterGradients)

/// Whether a named tensor is learned by gradient descent or is state (batch-norm statistics).
public enum ParameterKind: Sendable, Hashable {
  /// Learned: receives a gradient, updated by optimisers.
  case trainable
  /// Saved with the model but not learned (`running_mean`, `running_var`).
  case buffer
}

extension Layer {
  /// A layer without parameters visits nothing.
  public func visitParameters(_ body: (String, ParameterKind, Tensor) throws -> Void) rethrows {}

  /// A layer without parameters updates nothing.
  public mutating func updateParameters(
    _ body: (String, ParameterKind, inout Tensor) throws -> Void
  ) rethrows {}

  /// The number of trainable scalars.
  public var trainableParameterCount: Int {
    var total = 0
    visitParameters { _, kind, tensor in if kind == .trainable { total += tensor.count } }
    return total
  }

  /// The names and shapes of every parameter and buffer, in state-dict order.
  public var parameterShapes: [(name: String, shape: [Int])] {
    var result: [(String, [Int])] = []
    visitParameters { name, _, tensor in result.append((name, tensor.shape)) }
    return result
  }
}

/// Gradients of trainable parameters, keyed by state-dict name, in insertion order.
public struct ParameterGradients: Sendable {
  /// The names, in the order they were added.
  public private(set) var names: [String] = []
  private var values: [String: Tensor] = [:]

  /// No gradients.
  public init() {}

  /// Gradients from name–tensor pairs.
  public init(_ pairs: KeyValuePairs<String, Tensor>) {
    for (name, tensor) in pairs { self[name] = tensor }
  }

  /// The gradient for `name`, if the layer has one.
  public subscript(name: String) -> Tensor? {
    get { values[name] }
    set {
      if values[name] == nil, newValue != nil { names.append(name) }
      if newValue == nil { names.removeAll { $0 == name } }
      values[name] = newValue
    }
  }

  /// Whether there are no gradients.
  public var isEmpty: Bool { names.isEmpty }

  /// The same gradients with `prefix + "."` in front of every name (containers name children).
  public func prefixed(_ prefix: String) -> ParameterGradients {
    var result = ParameterGradients()
    for name in names { result["\(prefix).\(name)"] = values[name] }
    return result
  }

  /// Adds the gradients of `other` to these, summing where a name appears in both (a layer used
  /// twice accumulates its gradients).
  public mutating func accumulate(_ other: ParameterGradients) {
    for name in other.names {
      guard let gradient = other.values[name] else { continue }
      if let existing = values[name] {
        values[name] = existing + gradient
      } else {
        self[name] = gradient
      }
    }
  }
}

/// Options and taps for one forward pass.
///
/// A reference type because a pass records into it while it descends through containers; use
/// one context per pass (it is not meant to be shared between threads).
public final class ForwardContext: @unchecked Sendable {
  /// Training or inference behaviour (dropout; batch norm always uses running statistics).
  public let mode: ExecutionMode
  /// Full layer paths whose outputs, and the gradients with respect to those outputs, to record.
  public let capturing: Set<String>
  /// The recorded outputs of captured layers, by path.
  public private(set) var activations: [String: Tensor] = [:]
  /// The recorded gradients with respect to captured outputs, by path (filled by pullbacks).
  public private(set) var activationGradients: [String: Tensor] = [:]
  /// Whether pullbacks compute parameter gradients. Explanations and attacks need only the
  /// input gradient and set this to `false`, which skips the weight-gradient GEMMs (their
  /// pullbacks then return empty `ParameterGradients`).
  public let computesParameterGradients: Bool
  /// The random generator for stochastic layers (dropout).
  public var generator: SeededGenerator
  /// The path of the layer currently running (containers push and pop their child names).
  public private(set) var path: [String] = []

  /// A context for one pass.
  public init(
    mode: ExecutionMode = .inference, capturing: Set<String> = [],
    computesParameterGradients: Bool = true, seed: UInt64 = 0
  ) {
    self.mode = mode
    self.capturing = capturing
    self.computesParameterGradients = computesParameterGradients
    self.generator = SeededGenerator(seed: seed)
  }

  /// The dotted path of the current layer.
  public var currentPath: String { path.joined(separator: ".") }

  /// Runs `body` with `name` appended to the current path (used by containers).
  public func descend<R>(into name: String, _ body: () throws -> R) rethrows -> R {
    path.append(name)
    defer { path.removeLast() }
    return try body()
  }

  /// Whether the layer at the current path is captured.
  public var isCapturingCurrentPath: Bool { !capturing.isEmpty && capturing.contains(currentPath) }

  /// Records the output of the layer at `path`.
  public func record(activation: Tensor, at path: String) {
    activations[path] = activation
  }

  /// Records the gradient with respect to the output of the layer at `path`.
  public func record(gradient: Tensor, at path: String) {
    activationGradients[path] = gradient
  }
}

/// Whether a forward pass trains (dropout active) or infers.
public enum ExecutionMode: Sendable, Hashable {
  case training
  case inference
}
