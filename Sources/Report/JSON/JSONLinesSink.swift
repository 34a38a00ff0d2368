import AnalysisCore
import Pipeline
import RPC

/// `--format jsonl`: one object per line, written as the analysis goes. Each line has a
/// `type` (`transaction`, `notification`, `finding`, and a closing `summary`) and otherwise the
/// fields of the JSON report's object of that kind. Transactions come in completion order.
public struct JSONLinesSink: AnalysisSink {
    public let output: Output
    public private(set) var counts = ReportCounts()
    public var wantsValues: Bool { true }

    public init(output: Output) {
        self.output = output
    }

    public mutating func finish(totals: CallTotals) {
        counts.calls = totals
    }

    public mutating func transaction(_ transaction: Transaction) {
        emit("transaction") { $0.transactionFields(transaction) }
    }

    public mutating func notification(_ notification: Notification) {
        emit("notification") { $0.notificationFields(notification) }
    }

    public mutating func finding(_ finding: Finding) {
        counts.findings[finding.severity, default: 0] += 1
        counts.findingsByRule[finding.rule, default: 0] += 1
        emit("finding") { $0.findingFields(finding) }
    }

    /// The closing line: capture, methods and summary counts.
    public func finish(summary: CaptureSummary, statistics: [MethodStatistics], board: String?) {
        var json = JSONWriter()
        json.beginObject()
        json.key("type"); json.string("summary")
        json.key("schema"); json.string(JSONWriter.schema)
        json.key("capture"); json.capture(summary)
        json.key("board"); json.optionalString(board)
        json.key("methods"); json.methods(statistics)
        json.key("summary"); json.summary(counts)
        json.endObject()
        output.line(json.text)
        output.flush()
    }

    /// Writes `{"type": type, ...fields}` on one line.
    private func emit(_ type: String, _ fields: (inout JSONWriter) -> Void) {
        var json = JSONWriter()
        json.beginObject()
        json.key("type")
        json.string(type)
        fields(&json)
        json.endObject()
        output.write(json.bytes)
        output.line()
    }
}
