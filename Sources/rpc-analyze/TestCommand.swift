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
        capture fails. A capture whose scenario (NAME.yaml beside it) writes other bytes today is \
        reported as stale. --update rewrites the expected reports that changed and shows each \
        change; `test DIR --update NAME...` only those cases. Read the diff before committing.
        """
    )

    @Argument(help: "The folder of captures.")
    var folder: String

    @Argument(help: "Only these cases (names without .pcap).")
    var names: [String] = []

    @Flag(help: "Write each capture's current report as its expected report.")
    var update = false

    @Option(help: "Also write the results as JUnit XML to this file.")
    var junit: String?

    @Option(help: ArgumentHelp("Cases run at once (default: one per core); the output is the same in any case.", valueName: "n"))
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
    }

    func run() throws {
        var cases: [RegressionSuite.Case]
        do {
            cases = try RegressionSuite.cases(in: folder)
        } catch {
            throw CouldNotAnalyse(error.description)
        }
        guard !cases.isEmpty else { throw CouldNotAnalyse("\(folder): no .pcap or .pcapng captures") }
        if !names.isEmpty {
            let unknown = names.filter { name in !cases.contains { $0.name == name } }
            guard unknown.isEmpty else { throw CouldNotAnalyse("\(folder): no case \(unknown.joined(separator: ", "))") }
            cases = cases.filter { names.contains($0.name) }
        }
        var outcomes: [RegressionSuite.Outcome] = []
        let update = update, chosen = cases
        OrderedJobs<RegressionSuite.Outcome>.run(count: cases.count, jobs: jobs) { index in
            RegressionSuite.run(chosen[index], update: update)
        } each: { index, outcome in
            let testCase = chosen[index]
            outcomes.append(outcome)
            switch outcome.status {
            case .passed: print("pass     \(testCase.name)")
            case .updated(let differences):
                show(differences, "updated  \(testCase.name): \(differences.count) change\(differences.count == 1 ? "" : "s")")
            case .stale(let reason):
                print("STALE    \(testCase.name): \(reason)")
            case .failed(let differences):
                show(differences, "FAIL     \(testCase.name): \(differences.count) difference\(differences.count == 1 ? "" : "s")")
            case .broken(let reason):
                print("ERROR    \(testCase.name): \(reason)")
            }
            fflushStandardOutput()
        }
        let failed = outcomes.filter(\.isFailure).count
        let updated = outcomes.filter { if case .updated = $0.status { true } else { false } }.count
        print("\(outcomes.count - failed - updated) passed, \(updated) updated, \(failed) failed")
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

    /// A case's headline and its first differences, as `test` shows a failure or a change.
    private func show(_ differences: [String], _ headline: String) {
        print(headline)
        for difference in differences.prefix(20) { print("           \(difference)") }
        if differences.count > 20 { print("           … \(differences.count - 20) more") }
    }
}
