import Models
import Tensor

/// A user-defined network built only from the library's public layers and protocols:
/// conv 3×3 → ReLU → max pool → conv 3×3 → ReLU → global average pool → linear.
///
/// Parameter names follow PyTorch's `nn.Module` attribute names (`conv1.weight`, `fc.bias`), so a
/// state dict saved from the equivalent PyTorch module would load as is.
struct TinyNet: ClassificationNetwork {
  var conv1: Conv2D
  var conv2: Conv2D
  var fc: Linear
  let pool = MaxPool2D(kernelSize: 2, stride: 2)
  let globalPool = GlobalAveragePool2D()

  init(classCount: Int, using rng: inout SeededGenerator) {
    conv1 = Conv2D(
      inputChannels: 3, outputChannels: 8, kernelSize: 3, stride: 1, padding: .symmetric(1),
      using: &rng)
    conv2 = Conv2D(
      inputChannels: 8, outputChannels: 16, kernelSize: 3, stride: 1, padding: .symmetric(1),
      using: &rng)
    fc = Linear(inputFeatures: 16, outputFeatures: classCount, using: &rng)
  }

  var featureLayer: String { "pool" }
  var lastConvolutionalLayer: String { "conv2" }
  var layerPaths: [String] { ["conv1", "relu1", "maxpool", "conv2", "relu2", "pool", "fc"] }

  func callAsFunction(_ input: Tensor) -> Tensor {
    fc(globalPool(relu(conv2(pool(relu(conv1(input)))))))
  }

  /// The forward pass through the context, so every named stage can be captured and every
  /// parameter gets its gradient under its state-dict name.
  func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
    let (a, conv1Back) = context.forward(conv1, named: "conv1", input)
    let (b, relu1Back) = context.forward(ReLU(), named: "relu1", a)
    let (c, poolBack) = context.forward(pool, named: "maxpool", b)
    let (d, conv2Back) = context.forward(conv2, named: "conv2", c)
    let (e, relu2Back) = context.forward(ReLU(), named: "relu2", d)
    let (f, globalBack) = context.forward(globalPool, named: "pool", e)
    let (logits, fcBack) = context.forward(fc, named: "fc", f)
    return (
      logits,
      { gradient in
        var parameters = ParameterGradients()
        let (gf, fcGradients) = fcBack(gradient)
        parameters.accumulate(fcGradients.prefixed("fc"))
        let ge = globalBack(gf).input
        let gd = relu2Back(ge).input
        let (gc, conv2Gradients) = conv2Back(gd)
        parameters.accumulate(conv2Gradients.prefixed("conv2"))
        let gb = poolBack(gc).input
        let ga = relu1Back(gb).input
        let (gInput, conv1Gradients) = conv1Back(ga)
        parameters.accumulate(conv1Gradients.prefixed("conv1"))
        return (gInput, parameters)
      }
    )
  }

  func visitParameters(_ body: (String, ParameterKind, Tensor) throws -> Void) rethrows {
    try conv1.visitParameters { try body("conv1.\($0)", $1, $2) }
    try conv2.visitParameters { try body("conv2.\($0)", $1, $2) }
    try fc.visitParameters { try body("fc.\($0)", $1, $2) }
  }

  mutating func updateParameters(_ body: (String, ParameterKind, inout Tensor) throws -> Void)
    rethrows
  {
    try conv1.updateParameters { try body("conv1.\($0)", $1, &$2) }
    try conv2.updateParameters { try body("conv2.\($0)", $1, &$2) }
    try fc.updateParameters { try body("fc.\($0)", $1, &$2) }
  }
}
