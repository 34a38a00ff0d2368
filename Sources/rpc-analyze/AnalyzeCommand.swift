import AnalysisCore
import ArgumentParser
import Foundation
import Capture
import MessagePack
import Pipeline
import Replay
import Report

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, jsonl, sarif, perfetto, html
}

enum FailOn: String, ExpressibleByArgument, CaseIterable {
    case error, warning, note, never

    var threshold: Severity? {
        switch self {
        case .error: .error
        case .warning: .warning
        case .note: .note
        case .never: nil
        }
    }
}

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyse a capture (the default command: `rpc-analyze FILE` means `rpc-analyze analyze FILE`).",
        discussion: """
        The text report lists the capture's streams, every method's calls with latency \
        percentiles, and the findings with their time since the first record and record number \
        (#N, as Wireshark numbers packets). --format json writes the report contract's object \
        (docs/report.md); --format jsonl writes one transaction, notification or finding per line \
        while the capture is read, then a summary line, so memory stays flat on any capture size.
        """,
        aliases: ["analyse"]
    )

    @Argument(help: "The capture: a pcap or pcapng file, or - for standard input.")
    var file: String

    @Argument(help: ArgumentHelp(
        "A filter expression as tcpdump takes it, compiled by libpcap (for example 'len > 40').",
        valueName: "filter"))
    var filter: [String] = []

    @Option(help: "Report format: text, json, jsonl, sarif (SARIF 2.1.0 for code-scanning pages) perfetto (a Perfetto trace) or html (a page with a timeline); write those two with -o FILE.")
    var format: OutputFormat = .text

    @Option(help: ArgumentHelp(
        "The board: a built-in name (rp2040, giga-r1) or a board file (.yaml or .toml). Without it, a generic two-core board.",
        valueName: "name-or-file"))
    var board: String?

    @Option(help: "TCP/UDP port that carries MessagePack-RPC. Without it (or a filter), RPC streams are found by decoding them and other traffic is ignored.")
    var port: UInt16?

    @Flag(name: .customLong("no-replay"), help: "Decode and pair only; skip the replay into the board model and its checks.")
    var noReplay = false

    @Flag(name: [.customShort("V"), .long], help: "List every record, decoded message and finding as it comes, then the report.")
    var detail = false

    @Option(name: .customLong("fail-on"), help: "Exit 1 when a finding of this severity or worse is found: error, warning, note or never.")
    var failOn: FailOn = .error

    @Option(name: .customLong("dlt"), help: "Read records of link type USER<n> (0-15) or number 147-162 as capture format v1.")
    var dlt: Int?

    @Option(name: .customLong("max-message-bytes"), parsing: .unconditional, help: "Largest MessagePack value a stream may buffer while waiting for its end.")
    var maxMessageBytes = 4 << 20

    @Option(name: .customLong("max-depth"), parsing: .unconditional, help: "Deepest nesting of arrays and maps accepted in one value.")
    var maxDepth = 32

    @Option(help: ArgumentHelp("Colour: auto (on a terminal, unless NO_COLOR is set), always or never.", valueName: "when"))
    var color: String = "auto"

    @Flag(name: .shortAndLong, help: "Print only the findings and the verdict (text format).")
    var quiet = false

    @Option(help: ArgumentHelp("Report only these rules: names, or a severity for all its rules (error, warning, note); comma-separated or repeated.", valueName: "rules"))
    var select: [String] = []

    @Option(help: ArgumentHelp("Do not report these rules (names or severities), after --select.", valueName: "rules"))
    var ignore: [String] = []

    @Option(help: ArgumentHelp("Findings accepted as known (written by --write-baseline): they are not reported and do not fail the run; new ones are.", valueName: "file"))
    var baseline: String?

    @Option(name: .customLong("write-baseline"), help: ArgumentHelp("Write the findings reported as a baseline file.", valueName: "file"))
    var writeBaseline: String?

    @Option(name: [.short, .long], help: "Write the report to this file instead of standard output.")
    var output: String?

    @Option(name: .customLong("limit"), help: ArgumentHelp(
        "Raise a cap on what the analysis keeps (repeatable), as NAME=N. Reaching a cap is an "
            + "analysis-limit finding naming it. Caps and defaults: "
            + AnalysisCaps.all.map { "\($0.name.rawValue) (\(AnalysisCaps()[keyPath: $0.keyPath]))" }.joined(separator: ", ") + ".",
        valueName: "name=n"))
    var limit: [String] = []

    var caps: AnalysisCaps {
        var caps = AnalysisCaps()
        for setting in limit { _ = caps.apply(setting) }
        return caps
    }

    func validate() throws {
        if let dlt, LinkType.userLinkType(dlt) == nil {
            throw ValidationError("--dlt takes 0-15 (USER0..USER15) or a link type number 147-162, not \(dlt)")
        }
        guard ["auto", "always", "never"].contains(color) else { throw ValidationError("--color takes auto, always or never") }
        if quiet && (format != .text || detail) { throw ValidationError("-q goes with the text summary") }
        if detail && format != .text {
            throw ValidationError("--detail goes with the text format only")
        }
        var caps = AnalysisCaps()
        for setting in limit {
            if let problem = caps.apply(setting) { throw ValidationError("--limit \(setting): \(problem)") }
        }
        guard maxMessageBytes >= 16 else { throw ValidationError("--max-message-bytes must be at least 16") }
        guard (1...FrameLimits.maxSupportedDepth).contains(maxDepth) else {
            throw ValidationError("--max-depth must be from 1 to \(FrameLimits.maxSupportedDepth)")
        }
    }

    func run() throws {
        let resolved: Board
        do {
            resolved = try board.map(BoardFile.resolve) ?? .generic
        } catch {
            throw CouldNotAnalyse(error.description)
        }
        let lower = file.lowercased()
        if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") || lower.hasSuffix(".toml") {
            throw CouldNotAnalyse("\(file) is a scenario or board file, not a capture: `rpc-analyze synth \(file) -o capture.pcap` "
                + "turns a scenario into one, and --board takes a board file")
        }
        let selection: FindingSelection
        do {
            selection = try FindingSelection(select: select, ignore: ignore)
        } catch {
            throw CouldNotAnalyse("--select/--ignore: \(error.description)")
        }
        var known: Baseline?
        if let baseline {
            do {
                known = try BaselineFile.read(path: baseline)
            } catch {
                throw CouldNotAnalyse(error.description)
            }
        }
        var options = AnalysisOptions(
            filter: filter.isEmpty ? nil : filter.joined(separator: " "),
            linkType: dlt.flatMap(LinkType.userLinkType) ?? LinkType.user0,
            limits: FrameLimits(maxDepth: maxDepth, maxFrameBytes: maxMessageBytes),
            board: resolved, replay: !noReplay, port: port, caps: caps
        )
        options.gate = FindingGate(selection: selection, baseline: known)
        let progress = ProgressLine.wanted && !quiet ? ProgressLine(path: file) : nil
        if let progress { options.progress = { progress.update(records: $0, bytesRead: $1) } }
        defer { progress?.finish() }
        let out: Output
        if let output {
            guard let file = Output.file(path: output) else { throw CouldNotAnalyse("cannot write \(output)") }
            out = file
        } else {
            out = .standardOutput()
        }
        let counts: ReportCounts
        let gate: FindingGate
        do {
            (counts, gate) = try analyse(options: options, out: out)
        } catch {
            throw CouldNotAnalyse(error.description)
        }
        out.flush()
        if let writeBaseline {
            guard let file = Output.file(path: writeBaseline) else { throw CouldNotAnalyse("cannot write \(writeBaseline)") }
            file.line(BaselineFile.render(gate.reported))
            file.flush()
        }
        if let threshold = failOn.threshold, let worst = counts.worstSeverity, worst >= threshold {
            throw ExitCode(1)
        }
    }

    private func analyse(options: AnalysisOptions, out: Output) throws(CaptureError) -> (ReportCounts, FindingGate) {
        switch (format, detail) {
        case (.jsonl, _):
            let result = try CaptureAnalysis.run(path: file, options: options, sink: JSONLinesSink(output: out))
            result.sink.finish(summary: result.summary, statistics: result.statistics, board: result.summary.board)
            return (result.sink.counts, result.gate)
        case (.html, _):
            let result = try CaptureAnalysis.run(path: file, options: options, sink: TimelineSink(board: options.board))
            let counts = result.sink.collector.counts
            out.write(HTMLReport.render(summary: result.summary, statistics: result.statistics, timeline: result.sink,
                                        board: result.summary.board, verdict: verdict(counts)))
            return (counts, result.gate)
        case (.perfetto, _):
            let result = try CaptureAnalysis.run(path: file, options: options,
                                                 sink: PerfettoSink(output: out, board: options.board))
            return (result.sink.counts, result.gate)
        case (.sarif, _):
            let result = try CaptureAnalysis.run(path: file, options: options, sink: ReportCollector.complete)
            out.line(SARIFReport.render(summary: result.summary, findings: result.sink.findingsInTimeOrder,
                                        version: RPCAnalyze.configuration.version))
            return (result.sink.counts, result.gate)
        case (.json, _):
            let result = try CaptureAnalysis.run(path: file, options: options, sink: ReportCollector.complete)
            out.line(JSONReport.render(summary: result.summary, statistics: result.statistics,
                                       collector: result.sink, board: result.summary.board))
            return (result.sink.counts, result.gate)
        case (.text, true):
            let result = try CaptureAnalysis.run(path: file, options: options, sink: DetailedListing(output: out))
            out.line()
            out.write(TextReport.render(summary: result.summary, statistics: result.statistics,
                                        collector: result.sink.collector, board: result.summary.board))
            return (result.sink.collector.counts, result.gate)
        case (.text, false):
            let result = try CaptureAnalysis.run(path: file, options: options, sink: ReportCollector.summary)
            let palette = MainActor.assumeIsolated {
                Palette.resolve(color, isTerminal: output == nil && isatty(1) != 0, environment: ProcessInfo.processInfo.environment)
            }
            let width = Self.terminalWidth(isTerminal: output == nil && isatty(1) != 0)
            if quiet {
                out.write(LineFitting.fit(TextReport.findingsOnly(collector: result.sink, summary: result.summary,
                                                                  palette: palette), width: width))
                out.line(verdict(result.sink.counts))
            } else {
                out.write(LineFitting.fit(TextReport.render(summary: result.summary, statistics: result.statistics,
                                                            collector: result.sink, board: result.summary.board,
                                                            palette: palette), width: width))
            }
            return (result.sink.counts, result.gate)
        }
    }

    /// The width lines must fit: COLUMNS when set, else a terminal's size (80 when it has none);
    /// no limit for a pipe without COLUMNS, so that logs keep whole lines.
    static func terminalWidth(isTerminal: Bool) -> Int? {
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
        guard isTerminal else { return nil }
        var size = winsize()
        return ioctl(1, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
    }

    /// What the exit status will be, and why, in words.
    private func verdict(_ counts: ReportCounts) -> String {
        let failing = failOn.threshold.flatMap { threshold in counts.worstSeverity.map { $0 >= threshold } } ?? false
        return failing ? "exit 1: findings at or above --fail-on \(failOn.rawValue)"
            : "exit 0: no finding at or above --fail-on \(failOn.rawValue)"
    }
}
