import ArgumentParser

@main
struct Demo: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "demo", abstract: "ConvNet probe demo")
  func run() throws {}
}
