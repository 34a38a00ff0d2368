import Capture
import Foundation
import Pipeline
import Report
import Scenario
import Regression
import Testing

/// Every capture in Captures/ against its expected report: the regression suite.
struct BundledCaptureTests {
    @Test func thereAreBundledCaptures() {
        #expect(Paths.bundledCaptures().count >= 5)
    }

    @Test(arguments: Paths.bundledCaptures())
    func matchesItsExpectedReport(name: String) throws {
        let capture = Paths.captures.appendingPathComponent("\(name).pcap").path
        let expectedText = try String(contentsOf: Paths.captures.appendingPathComponent("\(name).expected.json"), encoding: .utf8)
        let result = try CaptureAnalysis.run(path: capture, sink: ReportCollector.complete)
        let actualText = JSONReport.render(summary: result.summary, statistics: result.statistics,
                                           collector: result.sink, board: nil)
        var expected = try #require(try JSONDifference.parse(expectedText) as? [String: Any])
        var actual = try #require(try JSONDifference.parse(actualText) as? [String: Any])
        expected = Self.withFileName(expected)
        actual = Self.withFileName(actual)
        var differences: [String] = []
        JSONDifference.differences(expected, actual, into: &differences)
        #expect(differences.isEmpty, "\(name): \(differences.prefix(20).joined(separator: "\n"))")
    }

    /// The report names the file as it was given; compare by its name alone.
    static func withFileName(_ report: [String: Any]) -> [String: Any] {
        var report = report
        if var capture = report["capture"] as? [String: Any], let file = capture["file"] as? String {
            capture["file"] = (file as NSString).lastPathComponent
            report["capture"] = capture
        }
        return report
    }

    @Test(arguments: Paths.bundledCaptures())
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
