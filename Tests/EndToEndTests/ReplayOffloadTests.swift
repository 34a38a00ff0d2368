import AnalysisCore
import Foundation
import Pipeline
import Report
import Replay
import Scenario
import Testing

/// With a core to spare, the replay runs on a thread of its own and the summary's collector
/// takes every call there, in order (`ReplayOffload`): its report must be the one made in line,
/// findings, counts and words, whatever the share of findings from each thread and however
/// many the collector keeps in full.
struct ReplayOffloadTests {
    struct Made: Equatable {
        var text: String
        var findings: [Finding]
        var counts: ReportCounts
        var ignored: Int
    }

    func analyse(_ path: String, board: Board, limit: Int, ignoring: [String], offloaded: Bool) throws -> Made {
        var options = AnalysisOptions(board: board)
        options.mayUseAnotherThread = offloaded
        options.gate = FindingGate(selection: try FindingSelection(select: [], ignore: ignoring))
        let collector = ReportCollector(wantsValues: false, keepsTransactions: false, findingLimit: limit)
        let result = try CaptureAnalysis.run(path: path, options: options, sink: collector)
        let text = TextReport.render(summary: result.summary, statistics: result.statistics, collector: result.sink,
                                     board: result.summary.board)
        return Made(text: text, findings: result.sink.findingsInTimeOrder, counts: result.sink.counts,
                    ignored: result.gate.ignored)
    }

    func expectSame(_ path: String, board: Board, limits: [Int], ignoring: [String] = []) throws {
        for limit in limits {
            let inLine = try analyse(path, board: board, limit: limit, ignoring: ignoring, offloaded: false)
            let offloaded = try analyse(path, board: board, limit: limit, ignoring: ignoring, offloaded: true)
            #expect(offloaded == inLine, "\(path), \(limit) findings kept, ignoring \(ignoring)")
        }
    }

    @Test(arguments: Paths.bundledCaptures())
    func everyBundledCaptureGivesTheSameSummary(name: String) throws {
        let arguments = PerfettoTests.boardArguments(name)
        let board = try arguments.last.map { try BoardFile.resolve($0) } ?? .generic
        try expectSame(Paths.captures.appendingPathComponent("\(name).pcap").path, board: board, limits: [1, 3, 2000, .max])
    }

    /// Many findings from both threads (a lossy recorder's gaps are the analysis's, the races on
    /// a shared UART the replay's), past the limit, with a rule ignored.
    @Test(arguments: [HostileTraffic.lossyRecorder, .interCoreStreams, .locksHeld, .unpoppedMailbox, .traceDevices, .siblingRunJunk])
    func hostileCapturesGiveTheSameSummary(shape: HostileTraffic) throws {
        let path = Paths.temporary("offload-\(shape.rawValue).pcap")
        try shape.write(to: path, targetBytes: 600_000)
        try expectSame(path, board: .generic, limits: [10, 2000, .max])
        try expectSame(path, board: .generic, limits: [10, 2000], ignoring: ["capture-loss", "unsynchronized-access"])
    }

    /// Trace events of every form: short names go packed, and long or non-ASCII names, faults,
    /// unknown events and extra arguments go boxed, in order with them; the races between
    /// them must be found as in line (24,000 events: more than a batch).
    @Test func traceEventsPackedAndBoxedGiveTheSameSummary() throws {
        let longName = "spi_flash_controller_dma_channel"
        var records: [String] = []
        for round in 0..<3000 {
            let at = round * 100
            let name = round % 3 == 0 ? longName : round % 3 == 1 ? "Gerät-ÄÖÜ" : "UART0"
            records += [
                "{at: \(at)us, from: 0, event: dev.begin, args: [\(name)]}",
                "{at: \(at + 10)us, from: 1, event: dev.begin, args: [\(name)]}",
                "{at: \(at + 20)us, from: 0, event: dev.end, args: [\(name)]}",
                "{at: \(at + 30)us, from: 1, event: dev.end, args: [\(name)]}",
                "{at: \(at + 40)us, from: 1, event: lock.acquire, args: [\(round % 2 == 0 ? "7" : longName)]}",
                "{at: \(at + 50)us, from: 1, event: fn.enter, args: [\(longName), extra]}",
                "{at: \(at + 60)us, from: 0, event: vendor.mark, args: [\(round)]}",
                "{at: \(at + 70)us, from: 1, event: lock.release, args: [\(round % 2 == 0 ? "7" : longName)]}",
            ]
            if round % 50 == 0 { records.append("{at: \(at + 80)us, from: 0, event: fault, args: [HardFault, \"bus error\"]}") }
        }
        let scenario = Paths.temporary("offload-trace-forms.yaml")
        let capture = Paths.temporary("offload-trace-forms.pcap")
        try ("start: 2026-09-01T08:00:00Z\ndefaults: {kind: trace}\nrecords:\n"
            + records.map { "  - \($0)\n" }.joined()).write(toFile: scenario, atomically: true, encoding: .utf8)
        #expect(try CommandRun(["synth", scenario, "-o", capture]).status == 0)
        let inLine = try analyse(capture, board: .generic, limit: .max, ignoring: [], offloaded: false)
        #expect(inLine.findings.count > 3000)
        try expectSame(capture, board: .generic, limits: [1, 2000, .max])
    }

    /// Thousands of batches: the analysis waits for the replay's thread and both run at once.
    @Test func aLargeCaptureGivesTheSameSummary() throws {
        let path = Paths.temporary("offload-bench.pcap")
        #expect(try CommandRun(["bench", "--write-only", path, "--megabytes", "8"]).status == 0)
        try expectSame(path, board: .generic, limits: [2000])
    }
}
