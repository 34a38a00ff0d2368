import Histogram

/// Calls, outcomes and latency of one method.
///
/// Percentiles are exact (nearest rank, as a query over the JSON Lines computes them) while a
/// method has at most `exactSampleLimit` answered calls and the capture's methods together keep
/// at most `exactSampleBudget` latencies (8 MiB); past that a method's come from an HDR histogram
/// with three significant digits, so memory stays fixed on any capture.
public struct MethodStatistics: Sendable {
    public static let exactSampleLimit = 65_536
    public static let exactSampleBudget = 1 << 20

    public let method: String
    public internal(set) var calls = 0
    public internal(set) var errors = 0
    public internal(set) var unanswered = 0
    public internal(set) var answered = 0
    public internal(set) var minLatencyNs: Int64 = .max
    public internal(set) var maxLatencyNs: Int64 = 0
    public internal(set) var totalLatencyNs: Double = 0
    /// The board's latency budget for the method (ns), and how many calls were answered later.
    public internal(set) var budgetNs: Int64?
    public internal(set) var overBudget = 0
    /// Calls that crossed a router and were answered on both legs, and the time of each part:
    /// the router passing the call on, the leg behind it, and the router passing the answer back.
    public internal(set) var routed = RoutedTimes()
    private var samples: [Int64] = []
    /// Made when the exact samples are given up, from them: while they last, no call pays for
    /// it, and it starts wide enough for what was seen instead of growing a step at a time.
    private var histogram: Histogram<UInt64>?
    /// Whether `histogram` is made, asked instead of it: comparing the optional with nil copies
    /// the histogram (a retain and a release of its counts on every answered call).
    private var keepsHistogram = false

    public init(method: String, budgetNs: Int64? = nil) {
        self.method = method
        self.budgetNs = budgetNs
    }

    /// Counts a finished call as the RPC stage does, for statistics over a selection of calls.
    public mutating func add(_ transaction: Transaction, budget: inout Int) {
        calls += 1
        switch transaction.status {
        case .unanswered: unanswered += 1
        case .ok, .error:
            let latency = transaction.latencyNs ?? 0
            recordAnswer(latencyNs: latency, isError: transaction.status == .error, budget: &budget)
            if let budgetNs, latency > budgetNs { overBudget += 1 }
        }
    }

    /// - Parameter budget: latencies the capture's methods may still keep exactly; spent here.
    mutating func recordAnswer(latencyNs: Int64, isError: Bool, budget: inout Int) {
        answered += 1
        if isError { errors += 1 }
        let latency = max(0, latencyNs)
        minLatencyNs = min(minLatencyNs, latency)
        maxLatencyNs = max(maxLatencyNs, latency)
        totalLatencyNs += Double(latency)
        if !keepsHistogram {
            if answered <= Self.exactSampleLimit, budget > 0 {
                samples.append(latency)
                budget -= 1
                return
            }
            startHistogram(budget: &budget)
        }
        _ = histogram!.record(UInt64(latency))
    }

    /// Past the exact samples: the histogram takes them in, and their budget goes back.
    private mutating func startHistogram(budget: inout Int) {
        var made = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: UInt64(Swift.max(1024, maxLatencyNs)) * 2,
                                     numberOfSignificantValueDigits: .three)
        made.autoResize = true
        for sample in samples { _ = made.record(UInt64(sample)) }
        budget += samples.count
        samples = []
        histogram = made
        keepsHistogram = true
    }

    mutating func recordRoute(forwardNs: Int64, legNs: Int64, backNs: Int64, wireOutNs: Int64, wireBackNs: Int64) {
        routed.calls += 1
        routed.wireOutTotalNs += Double(max(0, wireOutNs))
        routed.wireBackTotalNs += Double(max(0, wireBackNs))
        routed.forwardTotalNs += Double(max(0, forwardNs))
        routed.legTotalNs += Double(max(0, legNs))
        routed.backTotalNs += Double(max(0, backNs))
    }

    /// Sums over a method's routed calls, for the mean of each part.
    public struct RoutedTimes: Sendable, Equatable {
        public var calls = 0
        public var forwardTotalNs: Double = 0
        public var legTotalNs: Double = 0
        public var backTotalNs: Double = 0
        /// The leg's request on a serial wire (within the leg: a message's time is its first
        /// byte's), and its answer (within the way back).
        public var wireOutTotalNs: Double = 0
        public var wireBackTotalNs: Double = 0
        /// Of them, the calls whose leg waited for the serial wire behind other messages.
        public var waitedForWire = 0

        public func mean(_ total: Double) -> Int64 { calls == 0 ? 0 : (total / Double(calls)).rounded().clampedToInt64 }
    }

    public struct Latency: Sendable, Equatable {
        public var min, p50, p90, p99, max, mean: Int64
    }

    /// Nil when no call was answered.
    public var latency: Latency? {
        guard answered > 0 else { return nil }
        let sorted = keepsHistogram ? [] : samples.sorted()
        func percentile(_ p: Double) -> Int64 {
            guard let histogram else {
                let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
                return sorted[Swift.max(0, Swift.min(sorted.count - 1, rank - 1))]
            }
            return Swift.min(Swift.max(Int64(clamping: histogram.valueAtPercentile(p)), minLatencyNs), maxLatencyNs)
        }
        return Latency(
            min: minLatencyNs, p50: percentile(50), p90: percentile(90), p99: percentile(99),
            max: maxLatencyNs, mean: (totalLatencyNs / Double(answered)).rounded().clampedToInt64
        )
    }
}
