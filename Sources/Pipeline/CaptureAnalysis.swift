#if canImport(Glibc)
import Glibc
#endif
import AnalysisCore
import Capture
import MessagePack
import Replay
import RPC

/// How to read and decode a capture.
public struct AnalysisOptions: Sendable {
    /// tcpdump-style BPF filter expression, or nil.
    public var filter: String?
    /// Link type the records are read as (USER0 by default; USER1..USER15 with `--dlt`).
    public var linkType: Int32
    public var limits: FrameLimits
    /// The board the capture comes from; the generic two-core board when none is named.
    public var board: Board
    /// Whether to replay the capture into the board model and run its checks.
    public var replay: Bool
    /// TCP/UDP port whose streams are MessagePack-RPC; streams on other ports are ignored.
    /// Without it (and without a filter) streams are found by decoding them.
    public var port: UInt16?
    /// Caps on the state the analysis keeps.
    public var caps: AnalysisCaps
    /// Which findings are reported: rules selected, and a baseline of accepted ones.
    public var gate = FindingGate()
    /// Which transactions, notifications and findings are shown and counted (`-Y`).
    public var displayFilter: DisplayFilter?
    /// Told now and then (every 64 Ki records) how far the reading is: records, bytes read; and
    /// once more with `UInt64.max` records when the reading is over.
    public var progress: (@Sendable (UInt64, Int64?) -> Void)?
    /// Whether a renderer may write on a thread of its own where that changes nothing the output
    /// shows (`--format jsonl`): by default when the machine has more than one core.
    public var mayUseAnotherThread = AnalysisOptions.hasCoreToSpare

    static var hasCoreToSpare: Bool { sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1 }

    /// The same options, every stage on the caller's thread.
    public var onOneThread: AnalysisOptions {
        var options = self
        options.mayUseAnotherThread = false
        return options
    }

    public init(filter: String? = nil, linkType: Int32 = LinkType.user0, limits: FrameLimits = FrameLimits(),
                board: Board = .generic, replay: Bool = true, port: UInt16? = nil, caps: AnalysisCaps = AnalysisCaps()) {
        self.caps = caps
        self.filter = filter
        self.linkType = linkType
        self.limits = limits
        self.board = board
        self.replay = replay
        self.port = port
    }
}

/// The result of a whole analysis: the capture's summary, the per-method statistics and the
/// sink with whatever it gathered.
public struct AnalysisResult<Sink: AnalysisSink> {
    public var summary: CaptureSummary
    public var statistics: [MethodStatistics]
    public var sink: Sink
    /// What the gate held back and the prints of what it reported (for `--write-baseline`).
    public var gate = FindingGate()
}

/// Reads a capture record by record and hands each to its link family (one file a family in
/// Links/), which turns it into stream events for the stream registry; keeps the output (the
/// renderer's sink and the replay engine) that every stage reports to: the wiring of the pipeline.
public struct CaptureAnalysis<Sink: AnalysisSink> {
    /// The registry, the output and the summary, lent to the family of each record.
    var context: LinkContext<Sink>
    var interCore: InterCoreLink
    var nuttX: NuttXLink
    var network: NetworkLink
    var usb: USBLink
    /// Whether this USER0 capture is in NuttX's RPMsg layout: decided by its first record.
    var isNuttX: Bool?
    var options: AnalysisOptions { context.options }

    private init(file: CaptureFile, options: AnalysisOptions, sink: Sink) {
        self.init(name: file.path, linkType: file.linkType, options: options, sink: sink)
    }

    init(name: String, linkType: Int32, options: AnalysisOptions, sink: Sink) {
        let engine = ReplayEngine(board: options.board, caps: options.caps)
        let selection = options.displayFilter.map { DisplaySelection(filter: $0, budgets: options.board.methodBudgetsNs) }
        let output = AnalysisOutput(inner: sink, engine: engine, replays: options.replay, gate: options.gate,
                                    selection: selection)
        context = LinkContext(
            output: output, registry: StreamRegistry(limits: options.limits, caps: options.caps, wants: output.wants,
                                                     router: options.board.router.map { RouterSetup(program: $0.program, banner: $0.banner) }),
            summary: CaptureSummary(file: name, linkType: linkType, linkTypeName: CaptureFile.linkTypeName(linkType),
                                    board: options.board.isGeneric ? nil : options.board.name),
            options: options)
        interCore = InterCoreLink(options: options)
        nuttX = NuttXLink(options: options)
        network = NetworkLink(options: options)
        usb = USBLink(options: options)
    }

    /// Link types this analysis reads: the families'.
    static func reads(_ linkType: Int32, options: AnalysisOptions) -> Bool {
        InterCoreLink.reads(linkType, options: options) || NetworkLink.reads(linkType, options: options)
            || USBLink.reads(linkType, options: options)
    }

    /// Opens and analyses the capture at `path` (`-` is standard input).
    public static func run(path: String, options: AnalysisOptions = AnalysisOptions(), sink: Sink)
        throws(CaptureError) -> AnalysisResult<Sink>
    {
        let file = try CaptureFile(path: path, filter: options.filter)
        guard reads(file.linkType, options: options) else {
            throw .unsupportedLinkType(path: path, linkType: file.linkType, name: file.linkTypeName)
        }
        var analysis = CaptureAnalysis(file: file, options: options, sink: sink)
        analysis.readAll(file)
        return analysis.finish()
    }

    /// Ends the analysis: streams are flushed, unanswered calls and replay findings reported.
    mutating func finish() -> AnalysisResult<Sink> {
        interCore.finish(into: &context)
        nuttX.finish(into: &context)
        network.finish(into: &context)
        usb.finish(into: &context)
        context.registry.finish(into: &context.output)
        context.output.replay(.finish)
        context.summary.directions = context.registry.rows
        context.output.finish(totals: context.registry.rpc.totals)
        var summary = context.summary
        let output = context.output
        var statistics = context.registry.rpc.statistics(budgets: options.board.methodBudgetsNs,
                                                         overBudget: output.replays ? output.engine.overBudget : [:])
        if let selection = output.selection {
            statistics = selection.statistics
            var counts = selection.counts
            counts.findings = output.gated.displayed
            summary.display = (selection.filter.description, counts)
        }
        summary.findingsIgnored = output.gated.gate.ignored
        summary.findingsBaselined = output.gated.gate.baselined
        return AnalysisResult(summary: summary, statistics: statistics, sink: output.inner, gate: output.gated.gate)
    }

    private mutating func readAll(_ file: CaptureFile) {
        defer { options.progress?(.max, nil) }
        var plain = RawRecord(number: 0, timeNs: 0, originalLength: 0, bytes: UnsafeRawBufferPointer(start: nil, count: 0),
                              linkType: 0)
        while true {
            if file.nextPlain(into: &plain) {
                // Taken field by field: a copy of the whole record reads across the fields the
                // reader has just stored one by one, which the processor cannot forward (perf).
                let record = RawRecord(number: plain.number, timeNs: plain.timeNs, originalLength: plain.originalLength,
                                       bytes: UnsafeRawBufferPointer(start: plain.bytes.baseAddress, count: plain.bytes.count),
                                       linkType: plain.linkType)
                consume(record)
                if record.number & 0xFFFF == 0, let progress = options.progress { progress(record.number, file.bytesRead) }
                continue
            }
            switch file.next() {
            case .record(let record):
                consume(record)
                if record.number & 0xFFFF == 0, let progress = options.progress { progress(record.number, file.bytesRead) }
            case .end:
                return
            case .truncated(let number, let reason):
                let time = context.summary.lastNs ?? 0
                context.output.finding(Finding(
                    .truncatedCapture, at: time, record: number,
                    "the capture ends inside record \(number) (\(reason)); records before it were analysed"
                ))
                context.summary.malformedRecords += 1
                return
            case .unreadableRecord(let number, let reason):
                context.summary.records += 1
                context.summary.malformedRecords += 1
                context.output.finding(Finding(.malformedRecord, at: context.summary.lastNs ?? 0, record: number,
                                         "record \(number): \(reason); skipped"))
            }
        }
    }

    /// Hands a record to its link family.
    @inline(__always)
    mutating func consume(_ record: RawRecord) {
        context.summary.records += 1
        context.summary.bytes += UInt64(record.bytes.count)
        if context.summary.firstNs == nil { context.summary.firstNs = record.timeNs }
        context.summary.lastNs = record.timeNs
        if record.linkType != context.summary.linkTypes.last, !context.summary.linkTypes.contains(record.linkType) {
            context.summary.linkTypes.append(record.linkType)
            context.summary.linkTypeNames.append(CaptureFile.linkTypeName(record.linkType))
        }
        guard record.linkType == options.linkType else {
            if USBLink.reads(record.linkType, options: options) {
                usb.consume(record, into: &context)
            } else if NetworkLink.reads(record.linkType, options: options) {
                network.consume(record, into: &context)
            } else {
                context.malformedRecord(record, "link type \(record.linkType) (\(CaptureFile.linkTypeName(record.linkType))) is not one this analyzer reads")
            }
            return
        }
        if isNuttX == nil { isNuttX = NuttXRPMsgRecord.looksLikeNuttX(firstRecord: record.bytes) }
        if isNuttX == true {
            nuttX.consume(record, into: &context)
        } else {
            interCore.consume(record, into: &context)
        }
    }
}
