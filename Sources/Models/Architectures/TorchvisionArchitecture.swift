import Tensor

/// The torchvision classification networks this library builds with torchvision's state-dict
/// keys, named by their torchvision builder (`torchvision.models.<name>`).
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// var network = TorchvisionArchitecture.resnet50.makeNetwork(using: &rng)
/// try network.load(contentsOf: checkpointURL)     // a torchvision state dict, as is
/// ```
///
/// See `Docs/Architectures.md` for how each family's keys map onto the Swift types.
public enum TorchvisionArchitecture: String, Sendable, Hashable, CaseIterable {
  case resnet18, resnet34, resnet50, resnet101, resnet152
  case vgg11
  case vgg11BN = "vgg11_bn"
  case vgg13
  case vgg13BN = "vgg13_bn"
  case vgg16
  case vgg16BN = "vgg16_bn"
  case vgg19
  case vgg19BN = "vgg19_bn"
  case mobileNetV2 = "mobilenet_v2"
  // Version numbers keep torchvision's underscore (`squeezenet1_0`).
  // swift-format-ignore: AlwaysUseLowerCamelCase
  case squeezeNet1_0 = "squeezenet1_0"
  // swift-format-ignore: AlwaysUseLowerCamelCase
  case squeezeNet1_1 = "squeezenet1_1"
  case alexNet = "alexnet"

  /// The torchvision builder's name: `"resnet50"`, `"vgg16_bn"`, `"mobilenet_v2"`,
  /// `"squeezenet1_1"`, `"alexnet"`.
  public var torchvisionName: String { rawValue }

  /// The architecture whose torchvision builder is called `name`, if any.
  public init?(torchvisionName name: String) {
    self.init(rawValue: name)
  }

  /// The smallest square input side the network accepts: 1 for ResNet and MobileNetV2, 32 for
  /// VGG, 63 for AlexNet (torchvision's `meta["min_size"]`), 29 for SqueezeNet 1.0 and 25 for
  /// 1.1. torchvision documents 21 and 17 for SqueezeNet, where PyTorch's `ceil_mode` pooling
  /// lets a 3×3 window hang over a 2×2 map; `Tensor.maxPool2D` requires every window to fit the
  /// padded input, which the last pooling meets from 29 (1.0) and 25 (1.1) pixels on.
  public var minimumInputSize: Int {
    switch self {
    case .resnet18, .resnet34, .resnet50, .resnet101, .resnet152, .mobileNetV2: return 1
    case .vgg11, .vgg11BN, .vgg13, .vgg13BN, .vgg16, .vgg16BN, .vgg19, .vgg19BN: return 32
    case .squeezeNet1_0: return 29
    case .squeezeNet1_1: return 25
    case .alexNet: return 63
    }
  }

  /// A network of this architecture with `classCount` outputs, initialised as torchvision's
  /// constructor initialises it (see each type's initialiser).
  ///
  /// - Complexity: O(parameter count).
  public func makeNetwork(
    classCount: Int = 1000, using rng: inout some RandomNumberGenerator
  ) -> any ClassificationNetwork {
    switch self {
    case .resnet18: return ResNet.resnet18(classCount: classCount, using: &rng)
    case .resnet34: return ResNet.resnet34(classCount: classCount, using: &rng)
    case .resnet50: return ResNet.resnet50(classCount: classCount, using: &rng)
    case .resnet101: return ResNet.resnet101(classCount: classCount, using: &rng)
    case .resnet152: return ResNet.resnet152(classCount: classCount, using: &rng)
    case .vgg11: return VGG.vgg11(classCount: classCount, using: &rng)
    case .vgg11BN: return VGG.vgg11BN(classCount: classCount, using: &rng)
    case .vgg13: return VGG.vgg13(classCount: classCount, using: &rng)
    case .vgg13BN: return VGG.vgg13BN(classCount: classCount, using: &rng)
    case .vgg16: return VGG.vgg16(classCount: classCount, using: &rng)
    case .vgg16BN: return VGG.vgg16BN(classCount: classCount, using: &rng)
    case .vgg19: return VGG.vgg19(classCount: classCount, using: &rng)
    case .vgg19BN: return VGG.vgg19BN(classCount: classCount, using: &rng)
    case .mobileNetV2: return MobileNetV2(classCount: classCount, using: &rng)
    case .squeezeNet1_0: return SqueezeNet.squeezeNet1_0(classCount: classCount, using: &rng)
    case .squeezeNet1_1: return SqueezeNet.squeezeNet1_1(classCount: classCount, using: &rng)
    case .alexNet: return AlexNet(classCount: classCount, using: &rng)
    }
  }
}
