import ArgumentParser
import Foundation
import Regression

struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Replay every capture in a folder against its expected report.",
        discussion: """
        For each NAME.pcap (or .pcapng) the folder must hold NAME.expected.json, the report \
        `--format json` gave when the case was accepted. The board comes from a sidecar NAME.board \
        (a built-in name or a board file path), else from the expected report's "board", else the \
        generic board. Prints pass or fail per capture with the differences, and exits 1 if any \
        capture fails. --update rewrites the expected reports: read their diff before committing.
        """
    )

    @Argument(help: "The folder of captures.")
    var folder: String

    @Flag(help: "Write each capture's current report as its expected report.")
    var update = false

    @Option(help: "Also write the results as JUnit XML to this file.")
    var junit: String?

    func run() throws {
        let cases: [RegressionSuite.Case]
        do {
            cases = try RegressionSuite.cases(in: folder)
        } catch {
            throw CouldNotAnalyse(error.description)
        }
        guard !cases.isEmpty else { throw CouldNotAnalyse("\(folder): no .pcap or .pcapng captures") }
        var outcomes: [RegressionSuite.Outcome] = []
        for testCase in cases {
            let outcome = RegressionSuite.run(testCase, update: update)
            outcomes.append(outcome)
            switch outcome.status {
            case .passed: print("pass     \(testCase.name)")
            case .updated: print("updated  \(testCase.name)")
            case .failed(let differences):
                print("FAIL     \(testCase.name): \(differences.count) difference\(differences.count == 1 ? "" : "s")")
                for difference in differences.prefix(20) { print("           \(difference)") }
                if differences.count > 20 { print("           … \(differences.count - 20) more") }
            case .broken(let reason):
                print("ERROR    \(testCase.name): \(reason)")
            }
        }
        let failed = outcomes.filter(\.isFailure).count
        print("\(outcomes.count - failed) passed, \(failed) failed")
        if let junit {
            do {
                try JUnitReport.render(outcomes, suite: (folder as NSString).lastPathComponent)
                    .write(toFile: junit, atomically: true, encoding: .utf8)
            } catch {
                throw CouldNotAnalyse("cannot write \(junit): \(error.localizedDescription)")
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }
}
