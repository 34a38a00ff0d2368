import AnalysisCore

/// How busy one direction of a serial line was, at its baud and framing. A record is taken as
/// its last byte arrives, so its bytes were on the wire just before its time (later, when the
/// bytes before them were still leaving); two stretches less than a byte's time apart are one
/// busy run. O(1) per record: the busiest second is counted in whole seconds from the
/// direction's first record.
public struct LineUse: Sendable, Equatable {
    public let baud: Int
    public let bitsPerByte: Int
    public let byteTimeNs: Int64
    public private(set) var bytes = 0
    public private(set) var busyNs: Int64 = 0
    public private(set) var longestBusyNs: Int64 = 0
    public private(set) var busiestSecondBytes = 0
    /// Where the busiest second starts, from the direction's first record.
    public private(set) var busiestSecondStartNs: Int64 = 0
    public private(set) var firstNs: Int64?
    public private(set) var lastEndNs: Int64 = .min
    private var runStartNs: Int64 = 0
    private var second: Int64 = 0
    private var secondBytes = 0

    public init(baud: Int, bitsPerByte: Int, byteTimeNs: Int64) {
        self.baud = baud
        self.bitsPerByte = bitsPerByte
        self.byteTimeNs = byteTimeNs
    }

    public mutating func carried(_ count: Int, at timeNs: Int64) {
        guard count > 0 else { return }
        let first = firstNs ?? timeNs
        firstNs = first
        let before = busyNs
        bytes += count
        busyNs = Self.wireTime(bytes: bytes, bitsPerByte: bitsPerByte, baud: baud)
        let wire = busyNs - before
        let end = lastEndNs == .min ? timeNs : max(timeNs, lastEndNs.saturatingAdding(wire))
        let start = end - wire
        if lastEndNs == .min || start > lastEndNs.saturatingAdding(byteTimeNs) { runStartNs = start }
        lastEndNs = end
        longestBusyNs = max(longestBusyNs, lastEndNs.saturatingSpan(since: runStartNs))
        let index = timeNs.saturatingSpan(since: first) / 1_000_000_000
        if index != second {
            second = index
            secondBytes = 0
        }
        secondBytes += count
        if secondBytes > busiestSecondBytes {
            busiestSecondBytes = secondBytes
            busiestSecondStartNs = index * 1_000_000_000
        }
    }

    /// Nanoseconds `bytes` take at `baud`, rounded once for the whole count.
    static func wireTime(bytes: Int, bitsPerByte: Int, baud: Int) -> Int64 {
        guard baud > 0 else { return 0 }
        let bits = Double(bytes) * Double(bitsPerByte)
        return Int64((bits * 1e9 / Double(baud)).rounded())
    }

    /// The share of `spanNs` the line was busy.
    public func busyFraction(over spanNs: Int64) -> Double {
        spanNs > 0 ? min(1, Double(busyNs) / Double(spanNs)) : 0
    }

    /// The share of its busiest second the line was busy.
    public var busiestSecondFraction: Double {
        min(1, Double(Int64(busiestSecondBytes) * byteTimeNs) / 1e9)
    }
}
