import AnalysisCore
import Pipeline
import RPC

/// `--format json` with memory bounded on any capture: the same bytes as `JSONReport.render`,
/// but each transaction, notification and finding is rendered as it comes and kept as bytes in
/// a `SpillSorter` (transactions by request order, findings by time), which goes to temporary
/// files past 8 MiB each (bytes and index). The object is written at the end, when the
/// capture's counts that head it are known.
public struct StreamedJSONReport: AnalysisSink {
    public private(set) var counts = ReportCounts()
    public var wants: SinkWants { [.values, .transactions] }
    private var transactions: SpillSorter
    private var notifications: SpillSorter
    private var findings: SpillSorter
    private var notificationCount: UInt64 = 0
    private var findingCount: UInt64 = 0

    /// - Parameters: memoryBytes and maximumRuns: each list's bytes in memory before a spill,
    ///   and the runs before they are merged into one (small in tests, to spill and merge often).
    public init(memoryBytes: Int = 8 << 20, maximumRuns: Int = 64) {
        transactions = SpillSorter(memoryBytes: memoryBytes, maximumRuns: maximumRuns)
        notifications = SpillSorter(memoryBytes: memoryBytes, maximumRuns: maximumRuns)
        findings = SpillSorter(memoryBytes: memoryBytes, maximumRuns: maximumRuns)
    }

    public mutating func transaction(_ transaction: Transaction) {
        var json = JSONWriter()
        json.transaction(transaction)
        json.withBytes { transactions.add($0, key: .init(major: 0, minor: transaction.sequence)) }
    }

    public mutating func notification(_ notification: Notification) {
        var json = JSONWriter()
        json.notification(notification)
        json.withBytes { notifications.add($0, key: .init(major: 0, minor: notificationCount)) }
        notificationCount += 1
    }

    public mutating func finding(_ finding: Finding) {
        counts.count(finding.rule)
        var json = JSONWriter()
        json.finding(finding)
        json.withBytes { findings.add($0, key: .init(major: finding.timeNs, minor: findingCount)) }
        findingCount += 1
    }

    public mutating func finish(totals: CallTotals) {
        counts.calls = totals
    }

    /// Writes the report; false when a temporary file could not be written (the report is then
    /// missing items, and the caller says so).
    public mutating func write(summary: CaptureSummary, statistics: [MethodStatistics], board: String?, to out: Output) -> Bool {
        var head = JSONWriter()
        head.beginObject()
        head.key("schema"); head.string(JSONWriter.schema)
        head.key("capture"); head.capture(summary)
        head.key("board"); head.optionalString(board)
        head.withBytes { out.write($0) }
        /// `,"name":` then a value rendered alone.
        func value(_ name: String, _ render: (inout JSONWriter) -> Void) {
            var json = JSONWriter()
            render(&json)
            out.write(",\"\(name)\":")
            json.withBytes { out.write($0) }
        }
        out.write(#","transactions":["#)
        Self.list(&transactions, to: out)
        out.write(#"],"notifications":["#)
        Self.list(&notifications, to: out)
        out.write("]")
        value("methods") { $0.methods(statistics) }
        out.write(#","findings":["#)
        Self.list(&findings, to: out)
        out.write("]")
        value("summary") { $0.summary(counts, capture: summary) }
        if let display = summary.display { value("display_filter") { $0.displayFilter(display.filter, display.counts) } }
        out.line("}")
        return !(transactions.failed || notifications.failed || findings.failed)
    }

    private static func list(_ sorter: inout SpillSorter, to out: Output) {
        var first = true
        sorter.drain { item in
            if !first { out.write(",") }
            first = false
            out.write(item)
        }
    }
}
