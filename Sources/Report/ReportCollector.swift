import AnalysisCore
import Pipeline
import RPC

/// Counts of a report's summary section.
public struct ReportCounts: Sendable, Equatable {
    public var calls = CallTotals()
    public var transactions: Int { calls.transactions }
    public var notifications: Int { calls.notifications }
    public var errors: Int { calls.errors }
    public var unanswered: Int { calls.unanswered }
    // Counted in arrays (by severity, by rule ordinal): a capture may make millions of findings.
    private var bySeverity = [Int](repeating: 0, count: Severity.allCases.count)
    private var byRule = [Int](repeating: 0, count: Rule.allCases.count)

    public init() {}

    /// One more finding of `rule`.
    @inline(__always)
    public mutating func count(_ rule: Rule) {
        bySeverity[rule.severity.rawValue] += 1
        byRule[rule.ordinal] += 1
    }

    /// Findings by severity, the severities with none left out.
    public var findings: [Severity: Int] {
        Dictionary(uniqueKeysWithValues: Severity.allCases.compactMap { bySeverity[$0.rawValue] > 0 ? ($0, bySeverity[$0.rawValue]) : nil })
    }

    /// Findings by rule, the rules with none left out.
    public var findingsByRule: [Rule: Int] {
        Dictionary(uniqueKeysWithValues: Rule.allCases.compactMap { byRule[$0.ordinal] > 0 ? ($0, byRule[$0.ordinal]) : nil })
    }

    public func findings(_ severity: Severity) -> Int { bySeverity[severity.rawValue] }

    /// Adds another report's finding counts (a total over several captures).
    public mutating func addFindings(of other: ReportCounts) {
        for i in bySeverity.indices { bySeverity[i] += other.bySeverity[i] }
        for i in byRule.indices { byRule[i] += other.byRule[i] }
    }

    /// The most severe finding, nil when there is none.
    public var worstSeverity: Severity? {
        Severity.allCases.reversed().first { findings($0) > 0 }
    }
}

/// Gathers what the analysis delivers for a report written at the end. With `keepsTransactions`
/// off it only counts, so that memory stays flat however long the capture is.
public struct ReportCollector: AnalysisSink {
    public let wantsValues: Bool
    public let keepsTransactions: Bool
    /// Findings kept in full; past this many only their counts are.
    public let findingLimit: Int
    public private(set) var counts = ReportCounts()
    public private(set) var transactions: [Transaction] = []
    public private(set) var notifications: [Notification] = []
    public private(set) var findings: [Finding] = []

    public init(wantsValues: Bool, keepsTransactions: Bool, findingLimit: Int = .max) {
        self.wantsValues = wantsValues
        self.keepsTransactions = keepsTransactions
        self.findingLimit = findingLimit
    }

    /// Everything, for `--format json`.
    public static var complete: ReportCollector { ReportCollector(wantsValues: true, keepsTransactions: true) }
    /// Counts and the first findings, for the text summary.
    public static var summary: ReportCollector {
        ReportCollector(wantsValues: false, keepsTransactions: false, findingLimit: 2000)
    }

    public var wants: SinkWants {
        var wants: SinkWants = keepsTransactions ? [.transactions] : []
        if wantsValues { wants.insert(.values) }
        return wants
    }
    public var countsFindingsOnly: Bool { findings.count >= findingLimit }

    public mutating func countFinding(_ rule: Rule) { counts.count(rule) }

    public mutating func transaction(_ transaction: Transaction) {
        transactions.append(transaction)
    }

    public mutating func notification(_ notification: Notification) {
        notifications.append(notification)
    }

    public mutating func finish(totals: CallTotals) {
        counts.calls = totals
    }

    public mutating func finding(_ finding: Finding) {
        counts.count(finding.rule)
        if findings.count < findingLimit { findings.append(finding) }
    }

    /// Transactions in request order, as the report contract lists them.
    public var transactionsInRequestOrder: [Transaction] {
        transactions.sorted { $0.sequence < $1.sequence }
    }

    /// Findings in time order (stable for equal times).
    public var findingsInTimeOrder: [Finding] {
        findings.enumerated().sorted { ($0.element.timeNs, $0.offset) < ($1.element.timeNs, $1.offset) }.map(\.element)
    }
}
