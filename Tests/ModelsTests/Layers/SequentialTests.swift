import Models
import Tensor
import TestSupport
import XCTest

final class SequentialTests: XCTestCase {
  /// conv (3 → 4, 3×3, padding 1) → batch norm → global average pool → linear (4 → 3).
  private func network(seed: UInt64 = 1) -> Sequential {
    var rng = SeededGenerator(seed: seed)
    let conv = Conv2D(
      inputChannels: 3, outputChannels: 4, kernelSize: 3, padding: .symmetric(1), using: &rng)
    let bn = BatchNorm2D(
      weight: Tensor.uniform([4], low: 0.5, high: 1.5, using: &rng),
      bias: Tensor.normal([4], using: &rng), runningMean: Tensor.normal([4], using: &rng),
      runningVariance: Tensor.uniform([4], low: 0.5, high: 2, using: &rng))
    let linear = Linear(inputFeatures: 4, outputFeatures: 3, using: &rng)
    return Sequential([conv, bn, GlobalAveragePool2D(), linear])
  }

  func testChildrenAreNumberedAndParameterNamesPrefixed() {
    let model = network()

    XCTAssertEqual(model.layers.map(\.name), ["0", "1", "2", "3"])
    XCTAssertEqual(
      layerParameterNames(model),
      [
        "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
        "3.weight", "3.bias",
      ])
    XCTAssertTrue(model["1"] is BatchNorm2D)
    XCTAssertNil(model["4"])
  }

  func testNestedContainersPrefixEveryLevel() {
    let model = Sequential([
      (name: "features", layer: Sequential([(name: "conv", layer: network()["0"] ?? ReLU())])),
      (name: "act", layer: ReLU()),
    ])

    XCTAssertEqual(layerParameterNames(model), ["features.conv.weight", "features.conv.bias"])
  }

  func testOutputIsTheComposition() {
    let model = network()
    let x = layerTestNormal([2, 3, 5, 4], seed: 2)

    let expected = model.layers.reduce(x) { $1.layer($0) }
    let (output, _) = model.forward(x, context: ForwardContext())

    XCTAssertEqual(model(x), expected)
    XCTAssertEqual(output, expected)
  }

  func testStackGradientsMatchFiniteDifferences() {
    assertLayerGradientsMatchFiniteDifferences(
      network(), at: layerTestNormal([2, 3, 5, 4], seed: 3))
  }

  func testGradientNamesFollowStateDictOrder() {
    let model = network()
    let x = layerTestNormal([1, 3, 3, 3], seed: 4)
    let (y, pullback) = model.forward(x, context: ForwardContext())

    let names = pullback(Tensor(shape: y.shape, repeating: 1)).parameters.names

    XCTAssertEqual(names, ["0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias"])
  }

  func testCapturedChildRecordsItsOutputAndTheGradientWithRespectToIt() {
    let model = network()
    let x = layerTestNormal([2, 3, 5, 4], seed: 5)
    let context = ForwardContext(capturing: ["1"])
    let (y, pullback) = model.forward(x, context: context)
    let w = layerTestNormal(y.shape, seed: 6)

    _ = pullback(w)

    // The activation is the batch norm's output.
    let activation = model.layers[1].layer(model.layers[0].layer(x))
    XCTAssertEqual(context.activations["1"], activation)
    XCTAssertEqual(Set(context.activations.keys), ["1"])
    // Its gradient is that of the downstream function g(a) = ⟨linear(pool(a)), w⟩.
    let downstream = Sequential(Array(model.layers.dropFirst(2)))
    guard let captured = context.activationGradients["1"] else {
      return XCTFail("No gradient recorded for '1'.")
    }
    assertGradientMatchesFiniteDifferences(
      captured, of: { dot(downstream($0), w) }, at: activation)
  }

  func testCapturePathsDescendIntoNestedContainers() {
    let inner = network()
    let model = Sequential([(name: "body", layer: inner), (name: "head", layer: ReLU())])
    let x = layerTestNormal([1, 3, 4, 4], seed: 7)
    let context = ForwardContext(capturing: ["body.0", "head"])
    let (y, pullback) = model.forward(x, context: context)

    _ = pullback(Tensor(shape: y.shape, repeating: 1))

    XCTAssertEqual(context.activations["body.0"], inner.layers[0].layer(x))
    XCTAssertEqual(context.activations["head"], y)
    XCTAssertEqual(context.activationGradients["head"], Tensor(shape: y.shape, repeating: 1))
    XCTAssertEqual(context.activationGradients["body.0"]?.shape, [1, 4, 4, 4])
    XCTAssertNil(context.activations["0"], "paths are full dotted paths")
  }

  func testUpdateParametersReachesEveryChild() {
    var model = network()

    model.updateParameters { name, kind, tensor in
      if kind == .trainable { tensor = Tensor(zeros: tensor.shape) }
    }

    XCTAssertEqual(model(layerTestNormal([1, 3, 3, 3], seed: 8)), Tensor(zeros: [1, 3]))
    var buffers: [String] = []
    model.visitParameters { name, kind, tensor in
      if kind == .buffer { buffers.append(name) } else { XCTAssertEqual(tensor.sum(), 0) }
    }
    XCTAssertEqual(buffers, ["1.running_mean", "1.running_var"])
  }
}
