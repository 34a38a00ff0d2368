import AnalysisCore
import MessagePack
import Pipeline
import Replay
import RPC

/// `--detail`: every record, decoded message, trace event and finding, the way `tshark -V`
/// lists packets, followed by the summary report.
///
/// A finding is listed under its own record, though it may be made before that record is listed
/// (a loss found as the record is read) or after later ones (junk is reported when its run ends).
/// The last `window` records are held back for that; a finding about an older record is listed
/// where it comes, naming its record.
public struct DetailedListing: AnalysisSink {
    public private(set) var collector: ReportCollector
    private let output: Output
    private var start: Nanoseconds?
    private var blocks: [Block] = []
    static let window = 64

    private struct Block {
        var number: UInt64
        var header: String?
        var lines: [String] = []
    }

    public init(output: Output) {
        self.output = output
        self.collector = .summary
    }

    public var wants: SinkWants { [.values, .messages, .transactions, .records] }
    static let valueWidth = 160

    private mutating func time(_ ns: Nanoseconds) -> String {
        if start == nil { start = ns }
        return Formatting.relative(ns, from: start)
    }

    public mutating func record(_ record: RecordInfo) {
        let when = time(record.stamp.timeNs)
        let header: String
        if let kind = record.kind, let names = record.names {
            let channel = names.channel == kind ? kind : "\(kind) \(names.channel)"
            var line = "#\(record.stamp.number)  \(when)  \(channel)  \(names.from) → \(names.to)  \(record.payloadLength) bytes"
            if let detail = record.detail { line += "  (\(detail))" }
            header = line
        } else {
            header = "#\(record.stamp.number)  \(when)  \(record.length) bytes  (malformed)"
        }
        let number = record.stamp.number
        if let index = blocks.lastIndex(where: { $0.number == number }) {
            blocks[index].header = header
        } else {
            blocks.append(Block(number: number, header: header))
        }
        while blocks.count > Self.window { emit(blocks.removeFirst()) }
    }

    /// A line about the record being read.
    private mutating func line(_ text: String) {
        if blocks.isEmpty {
            output.line(text)
        } else {
            blocks[blocks.count - 1].lines.append(text)
        }
    }

    private func emit(_ block: Block) {
        if let header = block.header { output.line(header) }
        for line in block.lines { output.line(line) }
    }

    private mutating func flush() {
        for block in blocks { emit(block) }
        blocks.removeAll()
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
        line("    \(text)  [\(message.byteCount) bytes from #\(message.origin.number)]")
    }

    public mutating func transaction(_ transaction: Transaction) {
        if let latency = transaction.latencyNs {
            line("    ↳ \(transaction.method) msgid \(transaction.msgid) \(transaction.status.rawValue) after "
                + Formatting.duration(latency) + " (request #\(transaction.request.number))")
        }
    }

    public mutating func notification(_ notification: Notification) {}

    public mutating func finish(totals: CallTotals) {
        flush()
        collector.finish(totals: totals)
    }

    public mutating func finding(_ finding: Finding) {
        let text = "    ! \(finding.severity.name) \(finding.rule.rawValue): \(finding.message)"
        collector.finding(finding)
        guard let number = finding.record, let newest = blocks.last?.number else {
            line(text)
            return
        }
        if number > newest {
            // Made while its record is read, before the record is listed.
            blocks.append(Block(number: number))
            blocks[blocks.count - 1].lines.append(text)
        } else if let index = blocks.lastIndex(where: { $0.number == number }) {
            blocks[index].lines.append(text)
        } else {
            line(text + " (record #\(number))")
        }
    }

    public mutating func trace(_ event: TraceEvent) {
        let args = event.args.map { $0.preview(limit: Self.valueWidth) }.joined(separator: ", ")
        line("    trace core\(event.core)  \(event.name)(\(args))\(event.isKnown ? "" : "  (unknown event)")")
    }
}
