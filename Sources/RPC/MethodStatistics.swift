import Histogram

/// Calls, outcomes and latency of one method.
public struct MethodStatistics: Sendable {
    public let method: String
    public internal(set) var calls = 0
    public internal(set) var errors = 0
    public internal(set) var unanswered = 0
    public internal(set) var answered = 0
    public internal(set) var minLatencyNs: Int64 = .max
    public internal(set) var maxLatencyNs: Int64 = 0
    public internal(set) var totalLatencyNs: Double = 0
    /// Three significant digits: percentiles are within 0.1% of the exact value.
    var histogram = Histogram<UInt64>(numberOfSignificantValueDigits: .three)

    init(method: String) {
        self.method = method
    }

    mutating func recordAnswer(latencyNs: Int64, isError: Bool) {
        answered += 1
        if isError { errors += 1 }
        let latency = max(0, latencyNs)
        minLatencyNs = min(minLatencyNs, latency)
        maxLatencyNs = max(maxLatencyNs, latency)
        totalLatencyNs += Double(latency)
        _ = histogram.record(UInt64(latency))
    }

    public struct Latency: Sendable, Equatable {
        public var min, p50, p90, p99, max, mean: Int64
    }

    /// Nil when no call was answered.
    public var latency: Latency? {
        guard answered > 0 else { return nil }
        func percentile(_ p: Double) -> Int64 {
            Swift.min(Swift.max(Int64(histogram.valueAtPercentile(p)), minLatencyNs), maxLatencyNs)
        }
        return Latency(
            min: minLatencyNs, p50: percentile(50), p90: percentile(90), p99: percentile(99),
            max: maxLatencyNs, mean: Int64((totalLatencyNs / Double(answered)).rounded())
        )
    }
}
