import Tensor

/// The inference path of the torchvision architectures: the same function as running every layer
/// in turn, with each `convolution → batch norm → activation` (and a residual sum) done as the
/// convolution plus one in-place pass over its fresh output.
///
/// Run layer by layer, a ResNet bottleneck allocates and sweeps ten feature maps (three batch
/// norms, three ReLUs, the sum, each into a new tensor); fused, the batch norm, the ReLU and the
/// residual sum of each convolution are one pass over memory the convolution just wrote, and no
/// other feature map is allocated. The arithmetic is the same — `scale·x + shift`, then the sum,
/// then the clamp — so the logits equal the layer-by-layer ones up to rounding.
///
/// `forward(_:context:)` (gradients, captures) still runs layer by layer.
enum FusedInference {
  /// The element-wise function that ends a fused unit.
  enum Activation {
    case identity
    /// `max(x, 0)`.
    case relu
    /// `min(max(x, 0), 6)`.
    case relu6
  }

  /// Runs the children of `sequential` in order, fusing every convolution (or linear layer) with
  /// the batch norm and ReLU / ReLU6 that follow it, and running the torchvision blocks through
  /// their own fused inference. Dropout is the identity (inference).
  ///
  /// - Complexity: that of the layers, with one memory pass per fused unit.
  static func run(_ sequential: Sequential, _ input: Tensor) -> Tensor {
    let layers = sequential.layers.map(\.layer)
    var x = input
    var index = 0
    while index < layers.count {
      let layer = layers[index]
      index += 1
      switch layer {
      case let convolution as Conv2D:
        x = convolution(x)
      case let linear as Linear:
        x = linear(x)
      case let nested as Sequential:
        x = run(nested, x)
        continue
      case is Dropout:
        continue
      default:
        x = layer(x)
        continue
      }
      // A convolution or linear output is fresh: normalise and activate it in place.
      var batchNorm: BatchNorm2D?
      if index < layers.count, let next = layers[index] as? BatchNorm2D {
        batchNorm = next
        index += 1
      }
      var activation = Activation.identity
      if index < layers.count, layers[index] is ReLU {
        activation = .relu
        index += 1
      } else if index < layers.count, layers[index] is ReLU6 {
        activation = .relu6
        index += 1
      }
      apply(batchNorm, activation, to: &x)
    }
    return x
  }

  /// `x ← activation(bn(x) + residual)` in place (each part optional), in parallel over the
  /// `N·C` planes.
  ///
  /// - Precondition: `batchNorm`, if any, has `x.shape[1]` channels; `residual`, if any, has
  ///   `x`'s shape.
  static func apply(
    _ batchNorm: BatchNorm2D?, _ activation: Activation, adding residual: Tensor? = nil,
    to x: inout Tensor
  ) {
    if batchNorm == nil && residual == nil && activation == .identity { return }
    let channels = x.rank >= 2 ? x.shape[1] : 1
    let plane = x.shape.dropFirst(2).reduce(1, *)
    let planes = x.count / max(plane, 1)
    var scale = [Float](repeating: 1, count: channels)
    var shift = [Float](repeating: 0, count: channels)
    if let batchNorm {
      precondition(
        batchNorm.channelCount == channels,
        "A batch norm of \(batchNorm.channelCount) channels cannot follow \(x.shape).")
      let coefficients = batchNorm.affineCoefficients()
      scale = coefficients.scale.scalars
      shift = coefficients.shift.scalars
    }
    if let residual {
      precondition(
        residual.shape == x.shape, "Cannot add a residual \(residual.shape) to \(x.shape).")
    }
    // Without a batch norm the scale is 1 and the shift 0, which `a·x + b` keeps exact.
    let (lower, upper): (Float, Float) =
      switch activation {
      case .identity: (-.infinity, .infinity)
      case .relu: (0, .infinity)
      case .relu6: (0, 6)
      }
    let added = residual?.contiguous()
    x.withUnsafeMutableBufferPointer { values in
      guard let y = values.baseAddress else { return }
      let target = UncheckedPointer(y)
      withOptionalPointer(added) { r in
        let source = r.map(UncheckedConstPointer.init)
        ComputeThreads.parallelFor(planes) { p in
          let c = p % channels
          let (a, b) = (scale[c], shift[c])
          let row = target.pointer + p * plane
          // One pass per plane; each case is its own loop so that the compiler vectorises it.
          let clamps = lower > -.infinity || upper < .infinity
          switch (source, clamps) {
          case (let source?, true):
            let other = source.pointer + p * plane
            for k in 0..<plane {
              row[k] = Swift.min(Swift.max((a * row[k] + b) + other[k], lower), upper)
            }
          case (let source?, false):
            let other = source.pointer + p * plane
            for k in 0..<plane { row[k] = (a * row[k] + b) + other[k] }
          case (nil, true):
            for k in 0..<plane { row[k] = Swift.min(Swift.max(a * row[k] + b, lower), upper) }
          case (nil, false):
            for k in 0..<plane { row[k] = a * row[k] + b }
          }
        }
      }
    }
  }

  private static func withOptionalPointer<R>(
    _ tensor: Tensor?, _ body: (UnsafePointer<Float>?) -> R
  ) -> R {
    guard let tensor else { return body(nil) }
    return tensor.withUnsafeBufferPointer { body($0.baseAddress) }
  }
}

/// Pointers shared by the chunks of a parallel loop that touch disjoint planes.
private struct UncheckedPointer: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Float>
  init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}

private struct UncheckedConstPointer: @unchecked Sendable {
  let pointer: UnsafePointer<Float>
  init(_ pointer: UnsafePointer<Float>) { self.pointer = pointer }
}
