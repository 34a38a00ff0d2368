import Foundation
import Pipeline
import Report
import Replay
import Testing

/// `--format json` streams: items are rendered as they come and kept as bytes, spilled to
/// temporary files and merged back in order. Its bytes must be the in-memory report's.
struct StreamedJSONTests {
    func streamed(_ path: String, board: Board, memoryBytes: Int, maximumRuns: Int) throws -> String {
        var result = try CaptureAnalysis.run(path: path, options: AnalysisOptions(board: board),
                                             sink: StreamedJSONReport(memoryBytes: memoryBytes, maximumRuns: maximumRuns))
        let file = Paths.temporary("streamed-\(UUID().uuidString).json")
        let out = try #require(Output.file(path: file))
        let complete = result.sink.write(summary: result.summary, statistics: result.statistics, board: result.summary.board, to: out)
        #expect(complete)
        out.flush()
        return try String(contentsOfFile: file, encoding: .utf8)
    }

    func inMemory(_ path: String, board: Board) throws -> String {
        let result = try CaptureAnalysis.run(path: path, options: AnalysisOptions(board: board), sink: ReportCollector.complete)
        return JSONReport.render(summary: result.summary, statistics: result.statistics, collector: result.sink,
                                 board: result.summary.board) + "\n"
    }

    @Test(arguments: Paths.bundledCaptures())
    func everyBundledReportIsTheSameBytesSpilledOrNot(name: String) throws {
        let arguments = PerfettoTests.boardArguments(name)
        let board = try arguments.last.map { try BoardFile.resolve($0) } ?? .generic
        let path = Paths.captures.appendingPathComponent("\(name).pcap").path
        let expected = try inMemory(path, board: board)
        #expect(try streamed(path, board: board, memoryBytes: 16 << 20, maximumRuns: 64) == expected)
        // A few hundred bytes per run, and runs merged every third: every path of the sorter.
        #expect(try streamed(path, board: board, memoryBytes: 300, maximumRuns: 3) == expected)
    }

    /// Calls answered out of order, calls never answered, and findings raised late by the replay
    /// (at the end) on a capture of thousands of calls: spilled many times and merged.
    @Test func aLargeCaptureWithUnansweredCallsIsTheSameBytesAfterManySpills() throws {
        let path = Paths.temporary("streamed-bench.pcap")
        #expect(try CommandRun(["bench", "--write-only", path, "--megabytes", "2"]).status == 0)
        let expected = try inMemory(path, board: .generic)
        #expect(expected.count > 3_000_000)
        #expect(try streamed(path, board: .generic, memoryBytes: 64 << 10, maximumRuns: 4) == expected)
        let lossy = Paths.captures.appendingPathComponent("junk-and-loss.pcap").path
        #expect(try streamed(lossy, board: .generic, memoryBytes: 100, maximumRuns: 2) == (try inMemory(lossy, board: .generic)))
    }
}
