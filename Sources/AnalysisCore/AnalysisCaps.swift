/// Caps on the state an analysis keeps, whatever the capture: the defaults hold peak memory
/// under 256 MiB in summary and JSON Lines modes. Each can be raised with `--limit NAME=N`.
/// Reaching one is never silent: an `analysis-limit` finding names the cap and its option once.
public struct AnalysisCaps: Sendable, Equatable {
    /// Streams (directions of channels, connections, flows, address pairs) analysed at once;
    /// traffic of further streams is counted, not decoded.
    public var streams = 65_536
    /// Requests in flight; past it the oldest is closed as unanswered.
    public var requestsInFlight = 65_536
    /// Distinct method names; further names are counted under "(other methods)".
    public var methodNames = 4_096
    /// Bytes of all method names kept.
    public var methodNameBytes = 4 << 20
    /// Bytes of unfinished values buffered across all streams; past it a stream's unfinished
    /// value is dropped as lost.
    public var bufferedBytes = 64 << 20
    /// Bytes of out-of-order TCP data waiting across all connections.
    public var tcpWaitingBytes = 64 << 20
    /// Messages the replay holds until their delivery is recorded.
    public var replayMessages = 65_536
    /// Locks, devices, procedures and regions the replay tracks.
    public var replayObjects = 4_096

    public init() {}

    public struct Cap: Sendable {
        public var name: String
        public var keyPath: WritableKeyPath<AnalysisCaps, Int> & Sendable
        public var what: String
    }

    public static let all: [Cap] = [
        Cap(name: "streams", keyPath: \.streams, what: "streams analysed at once"),
        Cap(name: "requests", keyPath: \.requestsInFlight, what: "requests in flight"),
        Cap(name: "methods", keyPath: \.methodNames, what: "distinct method names"),
        Cap(name: "method-bytes", keyPath: \.methodNameBytes, what: "bytes of method names"),
        Cap(name: "buffered-bytes", keyPath: \.bufferedBytes, what: "bytes of unfinished values across streams"),
        Cap(name: "tcp-waiting-bytes", keyPath: \.tcpWaitingBytes, what: "bytes of out-of-order TCP data waiting"),
        Cap(name: "replay-messages", keyPath: \.replayMessages, what: "messages awaiting their recorded delivery"),
        Cap(name: "replay-objects", keyPath: \.replayObjects, what: "locks, devices, procedures and regions in the replay"),
    ]

    public static func cap(named name: String) -> Cap? { all.first { $0.name == name } }

    /// Applies `NAME=N`; the reason it cannot otherwise.
    public mutating func apply(_ setting: String) -> String? {
        let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let cap = Self.cap(named: parts[0]) else {
            return "expected NAME=N with NAME one of \(Self.all.map(\.name).joined(separator: ", "))"
        }
        guard let value = Int(parts[1]), value > 0 else { return "\(parts[0]): expected a positive whole number" }
        self[keyPath: cap.keyPath] = value
        return nil
    }

    /// The finding for reaching `name`'s cap, worded the same everywhere.
    public func reached(_ name: String, at timeNs: Nanoseconds, record: UInt64?, consequence: String) -> Finding {
        let cap = Self.cap(named: name)
        let value = cap.map { self[keyPath: $0.keyPath] } ?? 0
        return Finding(
            .analysisLimit, at: timeNs, record: record,
            "the analysis reached its cap of \(value) \(cap?.what ?? name): \(consequence); "
                + "raise it with --limit \(name)=N"
        )
    }
}

/// Which caps have been reported, so that each is reported once.
public struct CapsReached: Sendable {
    private var names: Set<String> = []

    public init() {}

    /// True the first time `name` is reached.
    public mutating func first(_ name: String) -> Bool { names.insert(name).inserted }
}
