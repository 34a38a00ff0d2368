import AnalysisCore
import Pipeline
import RPC

/// `--format jsonl`: one object per line, written as the analysis goes. Each line has a
/// `type` (`transaction`, `notification`, `finding`, and a closing `summary`) and otherwise the
/// fields of the JSON report's object of that kind. Transactions come in completion order.
/// With several captures in one stream, every line also names its capture's `file`.
public struct JSONLinesSink: AnalysisSink {
    public let output: Output
    /// The capture's file, written on every line when several captures share the stream.
    public var file: String?
    /// One line's bytes, reused for the next so that a line costs no allocation of its own.
    private var line = JSONWriter(capacity: 4096)
    public private(set) var counts = ReportCounts()
    public var wants: SinkWants { [.values, .transactions] }

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
        counts.count(finding.rule)
        emit("finding") { $0.findingFields(finding) }
    }

    /// The closing line: capture, methods and summary counts.
    public func finish(summary: CaptureSummary, statistics: [MethodStatistics], board: String?) {
        var json = JSONWriter()
        json.beginObject()
        json.key("type"); json.string("summary")
        if let file { json.key("file"); json.string(file) }
        json.key("schema"); json.string(JSONWriter.schema)
        json.key("capture"); json.capture(summary)
        json.key("board"); json.optionalString(board)
        json.key("methods"); json.methods(statistics)
        json.key("summary"); json.summary(counts, capture: summary)
        if let display = summary.display { json.key("display_filter"); json.displayFilter(display.filter, display.counts) }
        json.endObject()
        output.line(json.text)
        output.flush()
    }

    /// Writes `{"type": type, ...fields}` on one line.
    private mutating func emit(_ type: StaticString, _ fields: (inout JSONWriter) -> Void) {
        line.reset()
        line.beginObject()
        line.key("type")
        line.string(type)
        if let file { line.key("file"); line.string(file) }
        fields(&line)
        line.endObject()
        line.newline()
        line.withBytes { output.write($0) }
    }

    /// The two `schema` lines a stream begins with: every field any later line may carry, with
    /// a value of its type, so that engines that guess columns from the first lines (DuckDB's
    /// read_json reads 20,480) know the summary's and the findings' fields however late they
    /// come. `params`, `result` and `error` hold any MessagePack value: the two lines give them
    /// an object and a number, which such engines read as "any JSON".
    public static func schemaLines(namesFile: Bool) -> String {
        let fields = (namesFile ? [("file", "\"\"")] : []) + exampleFields
        let first = fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",")
        let anyValue = ["params", "result", "error"].map { "\"\($0)\":0" }.joined(separator: ",")
        return "{\"type\":\"schema\",\(first)}\n{\"type\":\"schema\",\(anyValue)}\n"
    }

    /// Every field of every line type after `type`, with an example value of its JSON type.
    static let exampleFields: [(String, String)] = [
        ("schema", "\"\(JSONWriter.schema)\""),
        // transaction
        ("method", "\"\""), ("msgid", "0"), ("caller", "\"\""), ("callee", "\"\""), ("channel", "\"\""),
        ("request_ns", "0"), ("response_ns", "0"), ("latency_ns", "0"), ("status", "\"\""),
        ("params", "{}"), ("result", "{}"), ("error", "{}"), ("request_record", "0"), ("response_record", "0"),
        ("hops", #"[{"from":"","to":"","channel":"","msgid":0,"request_ns":0,"response_ns":0,"latency_ns":0,"status":"","#
            + #""request_record":0,"response_record":0,"wire_ns":{"request":0,"response":0},"wire_wait_ns":0}]"#),
        ("via", "\"\""), ("error_origin", "\"\""), ("wire_ns", #"{"request":0,"response":0}"#),
        // notification
        ("from", "\"\""), ("to", "\"\""), ("time_ns", "0"), ("record", "0"),
        // finding
        ("rule", "\"\""), ("severity", "\"\""), ("message", "\"\""), ("cores", "[\"\"]"), ("bytes", "0"), ("end_ns", "0"),
        ("device", "\"\""), ("lock", "\"\""), ("procedure", "\"\""), ("region", "\"\""),
        ("calls", #"[{"method":"","msgid":0,"caller":"","callee":"","request_ns":0,"record":0}]"#),
        ("accesses", #"[{"core":"","time_ns":0,"record":0,"action":"","locks_held":[""]}]"#),
        ("wire", #"[{"core":"","hex":"","text":""}]"#),
        // summary
        ("capture", #"{"file":"","linktype":0,"linktypes":[0],"records":0,"bytes":0,"first_ns":0,"last_ns":0}"#),
        ("board", "\"\""),
        ("methods", #"[{"method":"","calls":0,"errors":0,"unanswered":0,"#
            + #""latency_ns":{"min":0,"p50":0,"p90":0,"p99":0,"max":0,"mean":0},"budget_ns":0,"over_budget":0,"#
            + #""routed":{"calls":0,"forward_ns":0,"leg_ns":0,"back_ns":0,"wire_out_ns":0,"wire_back_ns":0,"waited_for_wire":0}}]"#),
        ("summary", #"{"transactions":0,"notifications":0,"errors":0,"unanswered":0,"findings":{"error":0,"warning":0,"note":0},"#
            + #""utilisation":[{"channel":"","from":"","to":"","baud":0,"bits_per_byte":0,"bytes":0,"busy_ns":0,"#
            + #""busy_fraction":0.5,"longest_busy_ns":0,"busiest_second":{"start_ns":0,"bytes":0,"busy_fraction":0.5}}]}"#),
        ("display_filter", #"{"filter":"","transactions":{"offered":0,"shown":0},"notifications":{"offered":0,"shown":0},"#
            + #""findings":{"offered":0,"shown":0}}"#),
    ]
}
