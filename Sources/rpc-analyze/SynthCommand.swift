import AnalysisCore
import ArgumentParser
import Scenario

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a capture from a readable scenario description (YAML).",
        discussion: """
        A scenario lists records with their time, channel, cores and payload; MessagePack values \
        are written as YAML (`msgpack: [0, 1, servo_new, []]`). docs/scenarios.md describes every \
        key; Captures/*.yaml are worked examples. A new regression case is a scenario, its capture \
        and the expected report:

          rpc-analyze synth case.yaml -o case.pcap
          rpc-analyze case.pcap --format json > case.expected.json
        """
    )

    @Argument(help: "The scenario file.")
    var scenario: String

    @Option(name: [.short, .long], help: "The capture to write (classic pcap).")
    var output: String

    func run() throws {
        do {
            let loaded = try Scenario.load(path: scenario)
            try loaded.write(to: output)
        } catch let error as ConfigError {
            throw CouldNotAnalyse(error.description)
        } catch {
            throw CouldNotAnalyse("\(error)")
        }
    }
}
