import AnalysisCore
import RPC

/// What a display filter let through: the calls' totals and per-method statistics computed over
/// the selection alone, and how much was offered and shown, for the report's line about it.
struct DisplaySelection {
    let filter: DisplayFilter
    private(set) var totals = CallTotals()
    private(set) var statistics: [MethodStatistics] = []
    private var methodIndex: [String: Int] = [:]
    private var exactSamplesLeft = MethodStatistics.exactSampleBudget
    let budgets: [String: Int64]
    var counts = DisplayFilterCounts()

    init(filter: DisplayFilter, budgets: [String: Int64]) {
        self.filter = filter
        self.budgets = budgets
    }

    mutating func admit(_ transaction: Transaction) -> Bool {
        counts.transactions.offered += 1
        guard filter.selects(transaction) else { return false }
        counts.transactions.shown += 1
        totals.transactions += 1
        if transaction.status == .error { totals.errors += 1 }
        if transaction.status == .unanswered { totals.unanswered += 1 }
        let index: Int
        if let known = methodIndex[transaction.method] {
            index = known
        } else {
            index = statistics.count
            methodIndex[transaction.method] = index
            statistics.append(MethodStatistics(method: transaction.method, budgetNs: budgets[transaction.method]))
        }
        statistics[index].add(transaction, budget: &exactSamplesLeft)
        return true
    }

    mutating func admit(_ notification: Notification) -> Bool {
        counts.notifications.offered += 1
        guard filter.selects(notification) else { return false }
        counts.notifications.shown += 1
        totals.notifications += 1
        return true
    }
}

/// How many items of each kind the display filter was offered and let through.
public struct DisplayFilterCounts: Sendable, Equatable {
    public struct Share: Sendable, Equatable {
        public var offered = 0
        public var shown = 0
    }

    public var transactions = Share()
    public var notifications = Share()
    public var findings = Share()

    public init() {}
}
