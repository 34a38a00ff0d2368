import Foundation
import Regression
import Scenario
import Testing

/// Every capture in Captures/ against its expected report, through the same code as
/// `rpc-analyze test Captures/`: the regression suite.
struct BundledCaptureTests {
    static let cases = (try? RegressionSuite.cases(in: Paths.captures.path)) ?? []

    @Test func thereAreBundledCaptures() {
        #expect(Self.cases.count >= 25)
    }

    @Test(arguments: cases.map(\.name))
    func matchesItsExpectedReport(name: String) throws {
        let testCase = try #require(Self.cases.first { $0.name == name })
        let outcome = RegressionSuite.run(testCase, update: false)
        switch outcome.status {
        case .passed: break
        case .failed(let differences): Issue.record("\(name): \(differences.prefix(20).joined(separator: "\n"))")
        case .broken(let reason), .stale(let reason): Issue.record("\(name): \(reason)")
        case .updated: Issue.record("\(name) was rewritten")
        }
    }

    @Test(arguments: cases.map(\.name))
    func itsScenarioWritesTheSameCapture(name: String) throws {
        let scenario = Paths.captures.appendingPathComponent("\(name).yaml").path
        guard FileManager.default.fileExists(atPath: scenario) else { return }
        let output = Paths.temporary("\(name).pcap")
        try Scenario.load(path: scenario).write(to: output)
        let written = try Data(contentsOf: URL(fileURLWithPath: output))
        let bundled = try Data(contentsOf: Paths.captures.appendingPathComponent("\(name).pcap"))
        #expect(written == bundled, "\(name).pcap is stale: run rpc-analyze synth Captures/\(name).yaml -o Captures/\(name).pcap")
    }
}
