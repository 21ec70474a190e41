import Foundation
import TestSupport

/// What one run of the built `demo` binary printed and returned.
struct DemoRun {
  var status: Int32
  var standardOutput: String
  var standardError: String

  /// The lines of standard output.
  var lines: [String] { standardOutput.split(separator: "\n").map(String.init) }
}

/// The folder holding the built products (`demo` sits next to the test bundle).
private var productsDirectory: URL {
  #if os(macOS)
    for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
      return bundle.bundleURL.deletingLastPathComponent()
    }
    return Bundle.main.bundleURL
  #else
    return Bundle.main.bundleURL
  #endif
}

/// Runs the built `demo` with `arguments` from the repository root and waits for it.
func runDemo(_ arguments: [String]) throws -> DemoRun {
  let process = Process()
  process.executableURL = productsDirectory.appendingPathComponent("demo")
  process.arguments = arguments
  process.currentDirectoryURL = repositoryRoot
  let (output, error) = (Pipe(), Pipe())
  process.standardOutput = output
  process.standardError = error
  try process.run()
  // Read both pipes before waiting, so a full pipe cannot block the child.
  let outputData = output.fileHandleForReading.readDataToEndOfFile()
  let errorData = error.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return DemoRun(
    status: process.terminationStatus,
    standardOutput: String(decoding: outputData, as: UTF8.self),
    standardError: String(decoding: errorData, as: UTF8.self))
}
