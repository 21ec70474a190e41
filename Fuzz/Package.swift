// swift-tools-version:6.0
// libFuzzer targets for every parser that reads a user's file. A separate package so that the
// root Package.swift stays free of unsafe flags; build and run with `Scripts/fuzz.sh`.
//
//   swift build -c release --package-path Fuzz \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing -Xswiftc -use-ld=lld
//
// (gold, the default linker, crashes on the instrumented objects: "internal error in
// format_file_lineno".)
// Each executable's `main.swift` hands its test function to libFuzzer's `LLVMFuzzerRunDriver`
// (SwiftPM renames an executable's `main`, so libFuzzer's own `main` with
// `-parse-as-library` + `@_cdecl("LLVMFuzzerTestOneInput")` does not link). `-enable-testing`
// lets targets reach internal entry points (`Unpickler.load`, `TorchCheckpoint.readLegacy`).
import PackageDescription

/// One executable per parser.
let parsers = [
  "FuzzSafetensors", "FuzzTorchZip", "FuzzTorchLegacy", "FuzzNumPy", "FuzzUnpickler", "FuzzPNG",
  "FuzzJPEG",
]

/// One executable per text parser of BiasProbe (label files, annotations, study verdicts).
let biasProbeParsers = ["FuzzLabelFile", "FuzzAnnotations", "FuzzVerdicts"]

let package = Package(
  name: "ConvNetProbeFuzz",
  dependencies: [.package(name: "ConvNetProbe", path: "..")],
  targets: [
    .target(name: "CFuzzer"),
    .target(
      name: "FuzzSupport",
      dependencies: [
        "CFuzzer",
        .product(name: "Imaging", package: "ConvNetProbe"),
        .product(name: "Models", package: "ConvNetProbe"),
      ])
  ]
    + parsers.map { name in
      .executableTarget(
        name: name,
        dependencies: [
          "FuzzSupport",
          .product(name: "Imaging", package: "ConvNetProbe"),
          .product(name: "Models", package: "ConvNetProbe"),
        ])
    }
    + biasProbeParsers.map { name in
      .executableTarget(
        name: name,
        dependencies: ["FuzzSupport", .product(name: "BiasProbe", package: "ConvNetProbe")])
    },
  swiftLanguageModes: [.v6]
)
