// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "ConvNetProbe",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "Tensor", targets: ["Tensor"]),
    .library(name: "Imaging", targets: ["Imaging"]),
    .library(name: "Models", targets: ["Models"]),
    .library(name: "Explain", targets: ["Explain"]),
    .library(name: "BiasProbe", targets: ["BiasProbe"]),
    .executable(name: "demo", targets: ["Demo"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    // System libraries (installed by Scripts/setup.sh with apt).
    .systemLibrary(
      name: "COpenBLAS", pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
    .systemLibrary(
      name: "CPNG", pkgConfig: "libpng",
      providers: [.apt(["libpng-dev"])]),
    .systemLibrary(
      name: "CTurboJPEG",
      providers: [.apt(["libturbojpeg0-dev"])]),
    .systemLibrary(
      name: "CZlib", pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]),
    // Hot loops BLAS cannot express (depthwise convolution, im2col), multi-versioned for AVX2/AVX-512.
    .target(name: "CKernels"),

    .target(name: "Tensor", dependencies: ["COpenBLAS", "CKernels"]),
    .target(name: "Imaging", dependencies: ["Tensor", "CPNG", "CTurboJPEG"]),
    .target(name: "Models", dependencies: ["Tensor", "Imaging", "CZlib"]),
    .target(name: "Explain", dependencies: ["Tensor", "Imaging", "Models"]),
    .target(name: "BiasProbe", dependencies: ["Tensor", "Imaging", "Models", "Explain"]),
    .executableTarget(
      name: "Demo",
      dependencies: [
        "Tensor", "Imaging", "Models", "Explain", "BiasProbe",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    .target(name: "TestSupport", dependencies: ["Tensor"], path: "Tests/TestSupport"),
    .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"]),
    .testTarget(name: "ImagingTests", dependencies: ["Imaging", "Tensor", "TestSupport"]),
    .testTarget(
      name: "ExplainTests", dependencies: ["Explain", "Models", "Imaging", "Tensor", "TestSupport"]),
    .testTarget(name: "ModelsTests", dependencies: ["Models", "Tensor", "TestSupport"]),
    .testTarget(
      name: "BiasProbeTests",
      dependencies: ["BiasProbe", "Explain", "Models", "Imaging", "Tensor", "TestSupport"]),
    .testTarget(
      name: "DemoTests", dependencies: ["Demo", "Models", "Imaging", "Tensor", "TestSupport"]),
  ],
  swiftLanguageModes: [.v6]
)
