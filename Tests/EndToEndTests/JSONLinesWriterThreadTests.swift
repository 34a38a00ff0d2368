import Foundation
import Pipeline
import Report
import Replay
import Testing

/// `--format jsonl` renders and writes on a thread of its own, fed in batches: its bytes and
/// counts must be those of the sink that writes as the analysis goes.
struct JSONLinesWriterThreadTests {
    func lines(_ path: String, onWriterThread: Bool) throws -> (text: String, counts: ReportCounts) {
        let file = Paths.temporary("jsonl-\(UUID().uuidString).jsonl")
        let out = try #require(Output.file(path: file))
        let options = AnalysisOptions(board: .generic)
        if onWriterThread {
            var result = try CaptureAnalysis.run(path: path, options: options, sink: JSONLinesOnWriterThread(JSONLinesSink(output: out)))
            let sink = result.sink.drained()
            sink.finish(summary: result.summary, statistics: result.statistics, board: result.summary.board)
            return (try String(contentsOfFile: file, encoding: .utf8), sink.counts)
        }
        let result = try CaptureAnalysis.run(path: path, options: options, sink: JSONLinesSink(output: out))
        result.sink.finish(summary: result.summary, statistics: result.statistics, board: result.summary.board)
        return (try String(contentsOfFile: file, encoding: .utf8), result.sink.counts)
    }

    /// Thousands of calls (many more lines than the batches in flight hold, so the analysis
    /// waits for the writer), unanswered ones, and a lossy capture's findings.
    @Test func theWriterThreadWritesTheSameBytesAsTheAnalysisWould() throws {
        let bench = Paths.temporary("jsonl-thread-bench.pcap")
        #expect(try CommandRun(["bench", "--write-only", bench, "--megabytes", "3"]).status == 0)
        let lossy = Paths.temporary("jsonl-thread-lossy.pcap")
        #expect(try CommandRun(["bench", "--hostile", "--shape", "lossy-recorder", "--write-only", lossy, "--megabytes", "1"]).status == 0)
        for path in [bench, lossy, Paths.captures.appendingPathComponent("junk-and-loss.pcap").path] {
            let threaded = try lines(path, onWriterThread: true)
            let direct = try lines(path, onWriterThread: false)
            #expect(threaded.text == direct.text, "\(path)")
            #expect(threaded.counts == direct.counts)
        }
        #expect(try lines(bench, onWriterThread: true).text.split(separator: "\n").count > 20_000)
    }
}
