import Tensor

extension ForwardContext {
  /// Runs `child.forward(input, context: self)` as the child `name` of the current layer: the
  /// child sees `name` appended to `path`, and when that full path is in `capturing`, its output
  /// is recorded in `activations` and the returned pullback records `∂L/∂output` in
  /// `activationGradients` before calling the child's pullback.
  ///
  /// Containers (`Sequential`, residual blocks, architectures) call their children through this,
  /// so any named layer of a network can be captured (Grad-CAM's target layer):
  ///
  /// ```swift
  /// let (y, convPullback) = context.forward(conv1, named: "conv1", x)
  /// let (z, bnPullback) = context.forward(bn1, named: "bn1", y)
  /// ```
  ///
  /// The child's parameter gradients are returned unprefixed; prefix them with
  /// `ParameterGradients.prefixed(name)`.
  ///
  /// - Complexity: that of `child.forward`, plus O(1).
  public func forward(
    _ child: some Layer, named name: String, _ input: Tensor
  ) -> (output: Tensor, pullback: Pullback) {
    descend(into: name) {
      let (output, pullback) = child.forward(input, context: self)
      guard isCapturingCurrentPath else { return (output, pullback) }
      let path = currentPath
      record(activation: output, at: path)
      return (
        output,
        { outputGradient in
          self.record(gradient: outputGradient, at: path)
          return pullback(outputGradient)
        }
      )
    }
  }
}
