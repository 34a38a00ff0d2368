import AnalysisCore
import Capture
import Foundation
import Pipeline
import Report

/// How one capture's report is written: the format and what the person asked of it. The same
/// for every capture of a run, so it is made once and handed to each job.
struct CaptureReport: Sendable {
    var format: OutputFormat
    var detail: Bool
    var quiet: Bool
    var palette: Palette
    var width: Int?
    var failOn: FailOn
    /// Whether the capture is one of several in the run: JSON Lines then carry its file on every
    /// line, and the findings-only text names it.
    var isOneOfSeveral = false

    /// What a capture's analysis left for the run: its counts, what the gate reported, and for
    /// SARIF its findings (several captures make one SARIF run, written once all are read).
    struct Outcome: Sendable {
        var file: String
        var counts: ReportCounts
        var gate: FindingGate
        var sarifFindings: [Finding] = []
    }

    func run(path: String, options: AnalysisOptions, out: Output) throws(CaptureError) -> Outcome {
        switch (format, detail) {
        case (.jsonl, _):
            var lines = JSONLinesSink(output: out)
            if isOneOfSeveral { lines.file = path }
            if options.mayUseAnotherThread {
                var result = try CaptureAnalysis.run(path: path, options: options, sink: JSONLinesOnWriterThread(lines))
                return close(result.sink.drained(), of: result, path: path)
            }
            let result = try CaptureAnalysis.run(path: path, options: options, sink: lines)
            return close(result.sink, of: result, path: path)
        case (.html, _):
            let result = try CaptureAnalysis.run(path: path, options: options, sink: TimelineSink(board: options.board))
            let counts = result.sink.collector.counts
            out.write(HTMLReport.render(summary: result.summary, statistics: result.statistics, timeline: result.sink,
                                        board: result.summary.board, verdict: verdict(counts)))
            return Outcome(file: path, counts: counts, gate: result.gate)
        case (.perfetto, _):
            let result = try CaptureAnalysis.run(path: path, options: options,
                                                 sink: PerfettoSink(output: out, board: options.board))
            return Outcome(file: path, counts: result.sink.counts, gate: result.gate)
        case (.sarif, _):
            let result = try CaptureAnalysis.run(path: path, options: options, sink: ReportCollector.complete)
            return Outcome(file: path, counts: result.sink.counts, gate: result.gate,
                           sarifFindings: result.sink.findingsInTimeOrder)
        case (.json, _):
            var result = try CaptureAnalysis.run(path: path, options: options, sink: StreamedJSONReport())
            guard result.sink.write(summary: result.summary, statistics: result.statistics,
                                    board: result.summary.board, to: out) else {
                throw .cannotWrite(path: NSTemporaryDirectory(), reason: "the report of \(path) spills to temporary files there and could not")
            }
            return Outcome(file: path, counts: result.sink.counts, gate: result.gate)
        case (.text, true):
            let result = try CaptureAnalysis.run(path: path, options: options, sink: DetailedListing(output: out))
            out.line()
            out.write(TextReport.render(summary: result.summary, statistics: result.statistics,
                                        collector: result.sink.collector, board: result.summary.board))
            return Outcome(file: path, counts: result.sink.collector.counts, gate: result.gate)
        case (.text, false):
            let result = try CaptureAnalysis.run(path: path, options: options, sink: ReportCollector.summary)
            if quiet {
                if isOneOfSeveral { out.line("Capture  \(path)") }
                out.write(LineFitting.fit(TextReport.findingsOnly(collector: result.sink, summary: result.summary,
                                                                  palette: palette), width: width))
            } else {
                out.write(LineFitting.fit(TextReport.render(summary: result.summary, statistics: result.statistics,
                                                            collector: result.sink, board: result.summary.board,
                                                            palette: palette), width: width))
            }
            return Outcome(file: path, counts: result.sink.counts, gate: result.gate)
        }
    }

    /// JSON Lines end with the summary line, whichever thread wrote the others.
    private func close<Sink>(_ lines: JSONLinesSink, of result: AnalysisResult<Sink>, path: String) -> Outcome {
        lines.finish(summary: result.summary, statistics: result.statistics, board: result.summary.board)
        return Outcome(file: path, counts: lines.counts, gate: result.gate)
    }

    func fails(_ counts: ReportCounts) -> Bool {
        guard let threshold = failOn.threshold, let worst = counts.worstSeverity else { return false }
        return worst >= threshold
    }

    /// What the exit status will be, and why, in words.
    func verdict(_ counts: ReportCounts) -> String {
        fails(counts) ? "exit 1: findings at or above --fail-on \(failOn.rawValue)"
            : "exit 0: no finding at or above --fail-on \(failOn.rawValue)"
    }

    /// The file name a capture's report gets in `-o DIR`.
    var fileExtension: String {
        switch format {
        case .text: "txt"
        case .json: "json"
        case .jsonl: "jsonl"
        case .sarif: "sarif"
        case .perfetto: "pftrace"
        case .html: "html"
        }
    }
}
