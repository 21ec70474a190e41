import ArgumentParser

/// The command-line front end: each subcommand parses its arguments, calls the library and prints
/// a table (or JSON) or writes pictures. No numerical work lives here.
@main
struct Demo: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "Run, explain and attack ImageNet classifiers on the CPU.",
    subcommands: [
      Images.self, Classify.self, ExplainCommand.self, Train.self, Bench.self, BenchModel.self,
      BenchLayers.self,
      Neighbours.self,
      Evaluate.self, Study.self,
      BiasExperiment.self,
      Probe.self, BenchCriticism.self,
      AttackCommand.self, BenchAttacks.self, BenchExplain.self,
    ])
}
