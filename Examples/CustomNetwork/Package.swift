// swift-tools-version:6.0
// A user's project: depends on the library by path, as an application would depend on a release.
import PackageDescription

let package = Package(
  name: "CustomNetwork",
  dependencies: [.package(name: "ConvNetProbe", path: "../..")],
  targets: [
    .executableTarget(
      name: "CustomNetwork",
      dependencies: [
        .product(name: "Tensor", package: "ConvNetProbe"),
        .product(name: "Imaging", package: "ConvNetProbe"),
        .product(name: "Models", package: "ConvNetProbe"),
      ])
  ],
  swiftLanguageModes: [.v6]
)
