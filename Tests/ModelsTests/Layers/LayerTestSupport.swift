import Foundation
import Models
import Tensor
import TestSupport
import XCTest

// Shared helpers of the layer tests: seeded inputs, a gradient check covering the input and every
// trainable parameter, and textbook references written as plain loops.

/// A seeded tensor of standard normal samples.
func layerTestNormal(_ shape: [Int], seed: UInt64) -> Tensor {
  var rng = SeededGenerator(seed: seed)
  return Tensor.normal(shape, using: &rng)
}

/// A seeded tensor whose values are a random permutation of `offset + spacing·k` (k = 0 ..< n)
/// with random signs flipped when `signed`: every value is at least `spacing` away from every
/// other, so max pooling and activations have no tie or kink within a finite-difference step.
func layerTestSpaced(
  _ shape: [Int], spacing: Float = 0.1, offset: Float = 0.05, seed: UInt64
) -> Tensor {
  var rng = SeededGenerator(seed: seed)
  let count = shape.reduce(1, *)
  let values = (0..<count).map { offset + spacing * Float($0) }.shuffled(using: &rng)
  return Tensor(shape: shape, scalars: values)
}

/// Checks `∂f/∂x` and `∂f/∂θ` for every trainable parameter θ of `layer` against central finite
/// differences of `f(x, θ) = ⟨layer.forward(x).output, w⟩`, for a seeded normal `w`.
///
/// Each evaluation runs `forward` with a fresh context of the given `mode` and `contextSeed`, so
/// a stochastic layer (dropout) sees the same mask in every evaluation. Also checks that the
/// pullback returns exactly one gradient per trainable parameter, in state-dict order, and that
/// `forward`'s output equals `callAsFunction` in inference mode.
func assertLayerGradientsMatchFiniteDifferences<L: Layer>(
  _ layer: L, at input: Tensor, mode: ExecutionMode = .inference, contextSeed: UInt64 = 7,
  weightSeed: UInt64 = 99, step: Float = 1e-2, absoluteTolerance: Float = 2e-3,
  relativeTolerance: Float = 2e-2, file: StaticString = #filePath, line: UInt = #line
) {
  func run(_ layer: L, _ x: Tensor) -> (output: Tensor, pullback: Pullback) {
    layer.forward(x, context: ForwardContext(mode: mode, seed: contextSeed))
  }
  let (output, pullback) = run(layer, input)
  if mode == .inference {
    XCTAssertEqual(
      output, layer(input), "forward and callAsFunction differ", file: file, line: line)
  }
  let w = layerTestNormal(output.shape, seed: weightSeed)
  let (inputGradient, parameterGradients) = pullback(w)

  XCTAssertEqual(inputGradient.shape, input.shape, file: file, line: line)
  assertGradientMatchesFiniteDifferences(
    inputGradient, of: { dot(run(layer, $0).output, w) }, at: input, step: step,
    absoluteTolerance: absoluteTolerance, relativeTolerance: relativeTolerance,
    file: file, line: line)

  var trainable: [(String, Tensor)] = []
  layer.visitParameters { name, kind, tensor in
    if kind == .trainable { trainable.append((name, tensor)) }
  }
  XCTAssertEqual(
    parameterGradients.names, trainable.map(\.0), "one gradient per trainable parameter",
    file: file, line: line)
  for (name, value) in trainable {
    guard let analytic = parameterGradients[name] else {
      XCTFail("No gradient for '\(name)'.", file: file, line: line)
      continue
    }
    let f = { (parameter: Tensor) -> Double in
      var probe = layer
      probe.updateParameters { probeName, _, tensor in
        if probeName == name { tensor = parameter }
      }
      return dot(run(probe, input).output, w)
    }
    assertGradientMatchesFiniteDifferences(
      analytic, of: f, at: value, step: step, absoluteTolerance: absoluteTolerance,
      relativeTolerance: relativeTolerance, file: file, line: line)
  }
}

/// The names of every parameter and buffer of `layer`, in state-dict order.
func layerParameterNames(_ layer: some Layer) -> [String] {
  layer.parameterShapes.map(\.name)
}

/// A textbook 2-D convolution in Double: explicit padding `(top, bottom, left, right)`, any
/// stride, dilation and groups.
func referenceConvolution(
  _ x: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int) = (1, 1),
  dilation: (Int, Int) = (1, 1), padding: (Int, Int, Int, Int) = (0, 0, 0, 0), groups: Int = 1
) -> Tensor {
  let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
  let (o, cg, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
  let ho = (h + padding.0 + padding.1 - dilation.0 * (kh - 1) - 1) / stride.0 + 1
  let wo = (wd + padding.2 + padding.3 - dilation.1 * (kw - 1) - 1) / stride.1 + 1
  precondition(cg * groups == c)
  let og = o / groups
  var out = [Float](repeating: 0, count: n * o * ho * wo)
  for b in 0..<n {
    for oc in 0..<o {
      let group = oc / og
      for i in 0..<ho {
        for j in 0..<wo {
          var sum = Double(bias?[oc] ?? 0)
          for ic in 0..<cg {
            for p in 0..<kh {
              for q in 0..<kw {
                let row = i * stride.0 - padding.0 + p * dilation.0
                let column = j * stride.1 - padding.2 + q * dilation.1
                guard row >= 0, row < h, column >= 0, column < wd else { continue }
                sum +=
                  Double(weight[oc, ic, p, q]) * Double(x[b, group * cg + ic, row, column])
              }
            }
          }
          out[((b * o + oc) * ho + i) * wo + j] = Float(sum)
        }
      }
    }
  }
  return Tensor(shape: [n, o, ho, wo], scalars: out)
}

/// Calls `body(n, c, plane)` with every `[H, W]` plane of a `[N, C, H, W]` tensor as a
/// row-major array, and assembles the `[Ho, Wo]` planes it returns into `[N, C, Ho, Wo]`.
func mapReferencePlanes(
  _ x: Tensor, outputSize: (Int, Int), _ body: ([[Float]]) -> [[Float]]
) -> Tensor {
  let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
  var out: [Float] = []
  for b in 0..<n {
    for ch in 0..<c {
      let plane = (0..<h).map { i in (0..<w).map { j in x[b, ch, i, j] } }
      let result = body(plane)
      precondition(result.count == outputSize.0 && result.allSatisfy { $0.count == outputSize.1 })
      out += result.flatMap { $0 }
    }
  }
  return Tensor(shape: [n, c, outputSize.0, outputSize.1], scalars: out)
}
