import AnalysisCore
import MessagePack
import Pipeline
import RPC

/// `--detail`: every record, decoded message, trace event and finding as it comes, the way
/// `tshark -V` lists packets, followed by the summary report.
public struct DetailedListing: AnalysisSink {
    public private(set) var collector: ReportCollector
    private let output: Output
    private var start: Nanoseconds?

    public init(output: Output) {
        self.output = output
        self.collector = .summary
    }

    public var wantsValues: Bool { true }
    static let valueWidth = 160
    public var wantsMessages: Bool { true }
    public var wantsRecords: Bool { true }

    private mutating func time(_ ns: Nanoseconds) -> String {
        if start == nil { start = ns }
        return Formatting.relative(ns, from: start)
    }

    public mutating func record(_ record: RecordInfo) {
        let when = time(record.stamp.timeNs)
        guard let kind = record.kind, let names = record.names else {
            output.line("#\(record.stamp.number)  \(when)  \(record.length) bytes  (malformed)")
            return
        }
        let channel = names.channel == kind ? kind : "\(kind) \(names.channel)"
        var line = "#\(record.stamp.number)  \(when)  \(channel)  \(names.from) → \(names.to)  \(record.payloadLength) bytes"
        if let detail = record.detail { line += "  (\(detail))" }
        output.line(line)
    }

    public mutating func message(_ message: DecodedMessage) {
        // Values are cut for reading (a 30 kB API description is one line); JSON keeps them whole.
        let first = message.first.preview(limit: Self.valueWidth)
        let second = message.second.preview(limit: Self.valueWidth)
        let text = switch message.kind {
        case .request: "request  msgid \(message.msgid)  \(message.method)\(first)"
        case .response:
            if case .nil = message.first {
                "response msgid \(message.msgid)  result \(second)"
            } else {
                "response msgid \(message.msgid)  error \(first)  result \(second)"
            }
        case .notification: "notify   \(message.method)\(first)"
        }
        output.line("    \(text)  [\(message.byteCount) bytes from #\(message.origin.number)]")
    }

    public mutating func transaction(_ transaction: Transaction) {
        if let latency = transaction.latencyNs {
            output.line("    ↳ \(transaction.method) msgid \(transaction.msgid) \(transaction.status.rawValue) after "
                + Formatting.duration(latency) + " (request #\(transaction.request.number))")
        }
    }

    public mutating func notification(_ notification: Notification) {}

    public mutating func finish(totals: CallTotals) {
        collector.finish(totals: totals)
    }

    public mutating func finding(_ finding: Finding) {
        output.line("    ! \(finding.severity.name) \(finding.rule.rawValue): \(finding.message)")
        collector.finding(finding)
    }

    public mutating func trace(_ event: TraceEvent) {
        let args = event.args.map { $0.preview(limit: Self.valueWidth) }.joined(separator: ", ")
        output.line("    trace core\(event.core)  \(event.name)(\(args))\(event.isKnown ? "" : "  (unknown event)")")
    }
}
