import Tensor

/// Named layers applied in order (PyTorch's `nn.Sequential`): `y = fₖ(…f₂(f₁(x)))`.
///
/// Parameter names are prefixed with the child's name (`"0.weight"`, `"features.3.bias"` when
/// nested), as in a PyTorch state dict, and every child runs under its name in the
/// `ForwardContext` path, so `capturing: ["3"]` records the output of the fourth child and the
/// gradient with respect to it. The pullback runs the children's pullbacks in reverse and
/// collects their parameter gradients in state-dict order.
///
/// ```swift
/// let block = Sequential([conv, BatchNorm2D(channelCount: 16), ReLU()])   // "0", "1", "2"
/// let (y, pullback) = block.forward(x, context: ForwardContext(capturing: ["1"]))
/// ```
///
/// - Complexity: the sum of the children's costs.
public struct Sequential: Layer {
  /// The children in application order, with their names.
  public private(set) var layers: [(name: String, layer: any Layer)]

  /// Children with explicit names (`"conv1"`, `"bn1"`, …).
  ///
  /// - Precondition: names are non-empty and unique.
  public init(_ layers: [(name: String, layer: any Layer)]) {
    let names = layers.map(\.name)
    precondition(
      !names.contains("") && Set(names).count == names.count,
      "Sequential child names must be non-empty and unique, not \(names).")
    self.layers = layers
  }

  /// Children named by position, `"0"`, `"1"`, … (like `nn.Sequential(*modules)`).
  public init(_ layers: [any Layer]) {
    self.init(layers.enumerated().map { (name: String($0.offset), layer: $0.element) })
  }

  /// The number of children.
  public var count: Int { layers.count }

  /// The child named `name`, if any.
  ///
  /// - Complexity: O(count).
  public subscript(name: String) -> (any Layer)? {
    layers.first { $0.name == name }?.layer
  }

  /// Applies the children in order.
  public func callAsFunction(_ input: Tensor) -> Tensor {
    layers.reduce(input) { $1.layer($0) }
  }

  /// The output and a pullback running the children's pullbacks in reverse; the children run
  /// under their names in `context` (see `ForwardContext.forward(_:named:_:)`).
  public func forward(_ input: Tensor, context: ForwardContext) -> (
    output: Tensor, pullback: Pullback
  ) {
    var value = input
    var pullbacks: [(name: String, pullback: Pullback)] = []
    pullbacks.reserveCapacity(layers.count)
    for (name, layer) in layers {
      let (output, pullback) = context.forward(layer, named: name, value)
      pullbacks.append((name, pullback))
      value = output
    }
    return (
      value,
      { [pullbacks] outputGradient in
        var gradient = outputGradient
        var childGradients: [ParameterGradients] = []
        childGradients.reserveCapacity(pullbacks.count)
        for (name, pullback) in pullbacks.reversed() {
          let (inputGradient, parameters) = pullback(gradient)
          childGradients.append(parameters.prefixed(name))
          gradient = inputGradient
        }
        var parameters = ParameterGradients()
        for child in childGradients.reversed() { parameters.accumulate(child) }
        return (gradient, parameters)
      }
    )
  }

  public func visitParameters(_ body: (String, ParameterKind, Tensor) throws -> Void) rethrows {
    for (name, layer) in layers {
      try layer.visitParameters { try body("\(name).\($0)", $1, $2) }
    }
  }

  public mutating func updateParameters(
    _ body: (String, ParameterKind, inout Tensor) throws -> Void
  ) rethrows {
    for index in layers.indices {
      let name = layers[index].name
      try layers[index].layer.updateParameters { try body("\(name).\($0)", $1, &$2) }
    }
  }
}
