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
        abstract: "Analyse captures (the default command: `rpc-analyze FILE...` means `rpc-analyze analyze FILE...`).",
        discussion: """
        The text report lists the capture's streams, every method's calls with latency \
        percentiles, and the findings with their time since the first record and record number \
        (#N, as Wireshark numbers packets). --format json writes the report contract's object \
        (docs/report.md); --format jsonl writes one transaction, notification or finding per line \
        while the capture is read, then a summary line, so memory stays flat on any capture size.

        Several captures (files or folders) are analysed each on its own, --jobs at once, and \
        reported in the order given with a total; the exit status is the worst of them. With \
        several, a BPF filter goes after -f, and -o DIR/ writes one report per capture.
        """,
        aliases: ["analyse"]
    )

    @Argument(help: ArgumentHelp(
        "Captures: pcap or pcapng files, folders (every .pcap, .pcapng and .cap under them), or - for standard input. "
            + "After one capture, words that are not files are a BPF filter, as tcpdump takes it ('len > 40').",
        valueName: "capture"), completion: .file(extensions: CaptureInputs.captureExtensions))
    var inputs: [String] = []

    @Option(name: [.customShort("f"), .customLong("filter")], help: ArgumentHelp(
        "A BPF filter applied to every capture's records before decoding, compiled by libpcap.", valueName: "expr"))
    var filterExpression: String?

    @Option(help: ArgumentHelp("Captures analysed at once (default: one per core). With one capture, more than one "
        + "lets --format jsonl write on a core of its own; --jobs 1 keeps every stage on one thread.", valueName: "n"))
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: [.customShort("Y"), .customLong("display-filter")], help: ArgumentHelp(
        "Show and count only the calls, notifications and findings this selects, after decoding and pairing "
            + "(as tshark -Y): method == \"servo_write\" && latency > 2ms, rule == \"device-overlap\" || core == \"core1\". "
            + "Fields: \(DisplayFilter.fieldNames); ==, !=, <, <=, >, >=, contains; &&, ||, !, ( ); durations take a unit (ns, us, ms, s).",
        valueName: "expr"))
    var displayFilter: String?

    @Option(help: "Report format: text, json, jsonl, sarif (SARIF 2.1.0 for code-scanning pages) perfetto (a Perfetto trace) or html (a page with a timeline); write those two with -o FILE.")
    var format: OutputFormat = .text

    @Option(help: ArgumentHelp(
        "The board: a built-in name (rp2040, giga-r1) or a board file (.yaml or .toml). Without it, a generic two-core board.",
        valueName: "name-or-file"), completion: .list(Board.builtins.map(\.name)))
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

    @Option(name: [.short, .long], help: ArgumentHelp(
        "Write the report to this file instead of standard output. With several captures, a folder (one that "
            + "exists, or a path ending in /) gets one report per capture, named after it.", valueName: "path"))
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
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard maxMessageBytes >= 16 else { throw ValidationError("--max-message-bytes must be at least 16") }
        guard (1...FrameLimits.maxSupportedDepth).contains(maxDepth) else {
            throw ValidationError("--max-depth must be from 1 to \(FrameLimits.maxSupportedDepth)")
        }
    }

    func run() throws {
        let inputs: CaptureInputs
        let captures: [String]
        do {
            inputs = try CaptureInputs.resolve(self.inputs, filter: filterExpression)
            captures = try inputs.expanded()
        } catch {
            throw CouldNotAnalyse(error.message)
        }
        for file in captures {
            let lower = file.lowercased()
            if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") || lower.hasSuffix(".toml") {
                throw CouldNotAnalyse("\(file) is a scenario or board file, not a capture: `rpc-analyze synth \(file) -o capture.pcap` "
                    + "turns a scenario into one, and --board takes a board file")
            }
        }
        let options = try analysisOptions(filter: inputs.filter)
        let toTerminal = output == nil && isatty(1) != 0
        let palette = MainActor.assumeIsolated {
            Palette.resolve(color, isTerminal: toTerminal, environment: ProcessInfo.processInfo.environment)
        }
        let report = CaptureReport(format: format, detail: detail, quiet: quiet, palette: palette,
                                   width: Self.terminalWidth(isTerminal: toTerminal), failOn: failOn,
                                   isOneOfSeveral: inputs.isSeveral)
        let reported: [FindingPrint: Int]
        let exitCode: Int32
        if inputs.isSeveral {
            (reported, exitCode) = try runSeveral(captures, report: report, options: options)
        } else {
            (reported, exitCode) = try runOne(captures[0], report: report, options: options)
        }
        if let writeBaseline {
            guard let file = Output.file(path: writeBaseline) else { throw CouldNotAnalyse("cannot write \(writeBaseline)") }
            file.line(BaselineFile.render(reported))
            file.flush()
        }
        if exitCode != 0 { throw ExitCode(exitCode) }
    }

    private func analysisOptions(filter: String?) throws -> AnalysisOptions {
        let resolved: Board
        do {
            resolved = try board.map(BoardFile.resolve) ?? .generic
        } catch {
            throw CouldNotAnalyse(error.description)
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
            filter: filter,
            linkType: dlt.flatMap(LinkType.userLinkType) ?? LinkType.user0,
            limits: FrameLimits(maxDepth: maxDepth, maxFrameBytes: maxMessageBytes),
            board: resolved, replay: !noReplay, port: port, caps: caps
        )
        options.gate = FindingGate(selection: selection, baseline: known)
        options.gate.keepsPrints = writeBaseline != nil
        if jobs == 1 { options = options.onOneThread }
        if let displayFilter {
            do {
                options.displayFilter = try DisplayFilter(displayFilter)
            } catch {
                throw CouldNotAnalyse("-Y \(error.description)")
            }
        }
        return options
    }

    private func openOutput() throws -> Output {
        guard let output else { return .standardOutput() }
        guard let file = Output.file(path: output) else { throw CouldNotAnalyse("cannot write \(output)") }
        return file
    }

    /// One capture, streamed to the output as it is read.
    private func runOne(_ path: String, report: CaptureReport, options: AnalysisOptions) throws -> ([FindingPrint: Int], Int32) {
        var options = options
        let progress = ProgressLine.wanted && !quiet ? ProgressLine(path: path) : nil
        if let progress { options.progress = { progress.update(records: $0, bytesRead: $1) } }
        let out = try openOutput()
        if format == .jsonl { out.write(JSONLinesSink.schemaLines(namesFile: false)) }
        let outcome: CaptureReport.Outcome
        do {
            outcome = try report.run(path: path, options: options, out: out)
        } catch {
            progress?.finish()
            throw CouldNotAnalyse(error.description)
        }
        progress?.finish()
        if format == .sarif {
            out.line(SARIFReport.render(captures: [(path, outcome.sarifFindings)], version: RPCAnalyze.configuration.version))
        }
        if quiet { out.line(report.verdict(outcome.counts)) }
        out.flush()
        return (outcome.gate.reported, report.fails(outcome.counts) ? 1 : 0)
    }

    /// Several captures, `--jobs` at once: their reports in the order given, then a total.
    private func runSeveral(_ captures: [String], report: CaptureReport, options: AnalysisOptions) throws -> ([FindingPrint: Int], Int32) {
        var folder: String?
        if let output {
            var isFolder: ObjCBool = false
            if output.hasSuffix("/") || (FileManager.default.fileExists(atPath: output, isDirectory: &isFolder) && isFolder.boolValue) {
                do {
                    try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
                } catch {
                    throw CouldNotAnalyse("cannot make the folder \(output)")
                }
                folder = output
            }
        }
        if folder == nil, format == .html || format == .perfetto {
            throw CouldNotAnalyse("--format \(format.rawValue) of several captures writes one file each: name a folder with -o DIR/")
        }
        let out = folder == nil ? try openOutput() : nil
        let batch = CaptureBatch(paths: captures, jobs: jobs, report: report, options: options, folder: folder)
        if format == .jsonl { out?.write(JSONLinesSink.schemaLines(namesFile: true)) }
        if format == .json { out?.write("[") }
        var written = 0
        let results = batch.run(into: format == .sarif ? nil : out) { _ in
            if format == .json, written > 0 { out?.write(",") }
            if format == .text, written > 0 { out?.line() }
            written += 1
        }
        let outcomes = results.compactMap { if case .analysed(let outcome) = $0 { outcome } else { nil } }
        switch format {
        case .json: out?.line("]")
        case .sarif:
            if let folder {
                for (outcome, name) in zip(outcomes, batch.reportNames) {
                    Output.file(path: (folder as NSString).appendingPathComponent(name))?
                        .line(SARIFReport.render(captures: [(outcome.file, outcome.sarifFindings)], version: RPCAnalyze.configuration.version))
                }
            } else {
                out?.line(SARIFReport.render(captures: outcomes.map { ($0.file, $0.sarifFindings) }, version: RPCAnalyze.configuration.version))
            }
        case .text:
            if let out {
                out.line()
                out.write(LineFitting.fit(BatchTotal(results: results, report: report).render(quiet: quiet), width: report.width))
            }
        default: break
        }
        out?.flush()
        var reported: [FindingPrint: Int] = [:]
        for outcome in outcomes {
            reported.merge(outcome.gate.reported) { max($0, $1) }
        }
        let failedToRead = outcomes.count < results.count
        return (reported, failedToRead ? 2 : outcomes.contains { report.fails($0.counts) } ? 1 : 0)
    }

    /// The width lines must fit: COLUMNS when set, else a terminal's size (80 when it has none);
    /// no limit for a pipe without COLUMNS, so that logs keep whole lines.
    static func terminalWidth(isTerminal: Bool) -> Int? {
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
        guard isTerminal else { return nil }
        var size = winsize()
        return ioctl(1, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
    }
}
