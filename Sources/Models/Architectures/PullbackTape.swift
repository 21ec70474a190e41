import Tensor

/// The pullbacks of a chain of children run one after another, for containers written by hand
/// (residual blocks, the torchvision architectures).
///
/// Each `run` calls a child through `ForwardContext.forward(_:named:_:)`, so the child runs under
/// its name (its output can be captured, as `"layer4"` or `"features.3"`) and its pullback is
/// recorded. `pullback(_:)` then runs the recorded pullbacks in reverse and returns the input
/// gradient with every child's parameter gradients prefixed by the child's name, in forward
/// (state-dict) order.
///
/// ```swift
/// var tape = PullbackTape()
/// var x = tape.run(conv1, named: "conv1", input, context)
/// x = tape.run(bn1, named: "bn1", x, context)
/// return (x, tape.pullback)
/// ```
///
/// - Complexity: O(1) per recorded step, plus the children's own costs.
struct PullbackTape: Sendable {
  private var steps: [(name: String, pullback: Pullback)] = []

  /// An empty tape.
  init() {}

  /// Runs `layer` on `input` as the child `name` of the current layer and records its pullback.
  mutating func run(
    _ layer: some Layer, named name: String, _ input: Tensor, _ context: ForwardContext
  ) -> Tensor {
    let (output, pullback) = context.forward(layer, named: name, input)
    steps.append((name, pullback))
    return output
  }

  /// Runs a parameterless `layer` on `input` without naming it (so it cannot be captured) and
  /// records its pullback: for torchvision modules applied more than once, such as the `relu` of
  /// a residual block, whose single name would be ambiguous.
  mutating func runUnnamed(
    _ layer: some Layer, _ input: Tensor, _ context: ForwardContext
  ) -> Tensor {
    let (output, pullback) = layer.forward(input, context: context)
    steps.append(("", pullback))
    return output
  }

  /// Runs the recorded pullbacks in reverse: the input gradient and the parameter gradients of
  /// every named child, prefixed with its name, in forward order.
  func pullback(_ outputGradient: Tensor) -> (input: Tensor, parameters: ParameterGradients) {
    var gradient = outputGradient
    var childGradients: [ParameterGradients] = []
    childGradients.reserveCapacity(steps.count)
    for (name, pullback) in steps.reversed() {
      let (inputGradient, parameters) = pullback(gradient)
      if !parameters.isEmpty {
        childGradients.append(name.isEmpty ? parameters : parameters.prefixed(name))
      }
      gradient = inputGradient
    }
    var parameters = ParameterGradients()
    for child in childGradients.reversed() { parameters.accumulate(child) }
    return (gradient, parameters)
  }
}

/// The dotted paths of every descendant of `layer` that a forward pass can capture, relative to
/// `layer`: a `Sequential`'s children by name (and theirs, recursively), or the paths a
/// `NamedChildren` layer lists.
///
/// - Complexity: O(number of descendants).
func descendantPaths(of layer: any Layer) -> [String] {
  if let sequential = layer as? Sequential {
    return sequential.layers.flatMap { child in
      [child.name] + descendantPaths(of: child.layer).map { "\(child.name).\($0)" }
    }
  }
  if let container = layer as? any NamedChildren { return container.childPaths }
  return []
}

/// A layer written by hand whose children run under names (residual blocks, Fire modules).
protocol NamedChildren: Layer {
  /// The dotted paths of every capturable descendant, relative to this layer.
  var childPaths: [String] { get }
}
