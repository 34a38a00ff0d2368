import Foundation
import Pipeline
import Report
import Scenario
import Testing

/// Every hostile shape (Sources/Scenario/HostileTraffic.swift), small: analysed in every output
/// mode without a crash, with output a person can read. The benchmark runs them large.
struct HostileCaptureTests {
    @Test(arguments: HostileTraffic.allCases)
    func isAnalysedWithReadableOutput(shape: HostileTraffic) throws {
        let path = Paths.temporary("hostile-\(shape.rawValue).pcap")
        try shape.write(to: path, targetBytes: shape == .longMethodName || shape == .longMethodNames ? 1_500_000 : 300_000)
        let text = try CommandRun([path])
        #expect(text.status == 0 || text.status == 1, "\(shape): \(text.standardError)")
        // A method name of 200 kB is cut in the table, not padded into every row.
        #expect(text.standardOutput.split(separator: "\n").allSatisfy { $0.count < 400 })
        for format in ["json", "jsonl", "sarif", "html", "perfetto"] {
            let run = try CommandRun([path, "--format", format, "-o", Paths.temporary("hostile-\(shape.rawValue).\(format)")])
            #expect(run.status == 0 || run.status == 1, "\(shape) \(format): \(run.standardError)")
        }
    }

    /// One datagram's middle fragment sent again and again, 4 MB of it (minutes when every copy
    /// was checked against all those held): the call after it is analysed, nothing is reported.
    @Test(arguments: [HostileTraffic.fragmentRepeatV4, .fragmentRepeatV6])
    func theCallAfterARepeatedFragmentIsAnalysed(shape: HostileTraffic) throws {
        let path = Paths.temporary("hostile-\(shape.rawValue)-4mb.pcap")
        try shape.write(to: path, targetBytes: 4_000_000)
        let result = try CaptureAnalysis.run(path: path, sink: ReportCollector.complete)
        #expect(result.sink.transactions.map(\.method) == ["ping"])
        #expect(result.sink.findings.isEmpty)
    }

    /// Junk in which every eighth offset opens an array over the rest, in blocks longer than the
    /// value-size limit: the calls after each block are all found, and nothing else is.
    @Test func everyCallAfterSiblingRunJunkIsFound() throws {
        let path = Paths.temporary("hostile-sibling-runs.pcap")
        try HostileTraffic.siblingRunJunk.write(to: path, targetBytes: 6_000_000)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let name = Array("ping".utf8)
        let written = (0...(bytes.count - name.count)).count { bytes[$0] == name[0] && Array(bytes[$0..<($0 + name.count)]) == name }
        #expect(written == 128)
        let result = try CaptureAnalysis.run(path: path, options: AnalysisOptions(), sink: ReportCollector.summary)
        #expect(result.statistics.map(\.method) == ["ping"])
        #expect(result.statistics.first?.calls == written)
    }

    /// Many cores racing on one UART: the findings come out the same on every run (each run
    /// hashes with another seed, so an order taken from a dictionary would show).
    @Test func theSameCaptureGivesTheSameReportEveryRun() throws {
        let path = Paths.temporary("hostile-determinism.pcap")
        try HostileTraffic.interCoreStreams.write(to: path, targetBytes: 300_000)
        let runs = try (0..<3).map { _ in try CommandRun([path, "--format", "json"]).standardOutput }
        #expect(runs[0].contains("unsynchronized-access"))
        #expect(runs[1] == runs[0] && runs[2] == runs[0])
    }

    /// Past the summary's first 2,000 findings, a lossy recorder's gaps are only counted, and
    /// their words are not made; everything that shows a finding still shows its words.
    @Test func findingsOnlyCountedAreNotWordedButShownOnesAre() throws {
        let path = Paths.temporary("lossy.pcap")
        try HostileTraffic.lossyRecorder.write(to: path, targetBytes: 1_000_000)
        let text = try CommandRun([path]).standardOutput
        let shown = text.split(separator: "\n").filter { $0.contains("warning  capture-loss ") }
        #expect(shown.count == 2000)
        #expect(shown.allSatisfy { $0.contains("record missing") })
        let counted = try #require(text.split(separator: "\n").first { $0.hasPrefix("Findings ") })
        let total = Int(counted.split(separator: " ")[1]) ?? 0
        #expect(total > 5000)
        let lines = try CommandRun([path, "--format", "jsonl"]).standardOutput.split(separator: "\n")
            .filter { $0.contains(#""rule":"capture-loss""#) }
        #expect(lines.count == total)
        #expect(lines.allSatisfy { $0.contains("record missing") })
        // The counted ones pass the rule selection too.
        let ignoring = try CommandRun([path, "--ignore", "capture-loss"]).standardOutput
        #expect(ignoring.contains("\(total) of rules not selected"))
        #expect(!ignoring.contains("capture-loss"))
    }

    @Test func tablesTrimTrailingSpaceWithoutScanningBack() {
        let rows = [["method", "calls"], [String(repeating: "m", count: 200_000), "1"]]
        let lines = Formatting.table(rows, rightAligned: [1])
        #expect(lines[0].hasPrefix("method ") && lines[0].hasSuffix("calls"))
        #expect(Formatting.cut(String(repeating: "m", count: 200_000), to: 60).count == 60)
    }
}
