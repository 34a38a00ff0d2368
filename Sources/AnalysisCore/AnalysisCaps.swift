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
    /// IP datagrams waiting for their fragments, each up to 64 KiB; past it the one that has
    /// waited longest is given up.
    public var fragmentedDatagrams = 64
    /// Messages the replay holds until their delivery is recorded.
    public var replayMessages = 65_536
    /// Locks, devices, procedures and regions the replay tracks.
    public var replayObjects = 4_096
    /// Bytes written to UARTs and still waiting for room in their transmit FIFO, across UARTs:
    /// writes faster than the line's baud rate pile up here.
    public var uartQueuedBytes = 16 << 20

    public init() {}

    public struct Cap: Sendable {
        public var name: CapName
        public var keyPath: WritableKeyPath<AnalysisCaps, Int> & Sendable
        public var what: String
    }

    public static let all: [Cap] = [
        Cap(name: .streams, keyPath: \.streams, what: "streams analysed at once"),
        Cap(name: .requests, keyPath: \.requestsInFlight, what: "requests in flight"),
        Cap(name: .methods, keyPath: \.methodNames, what: "distinct method names"),
        Cap(name: .methodBytes, keyPath: \.methodNameBytes, what: "bytes of method names"),
        Cap(name: .bufferedBytes, keyPath: \.bufferedBytes, what: "bytes of unfinished values across streams"),
        Cap(name: .tcpWaitingBytes, keyPath: \.tcpWaitingBytes, what: "bytes of out-of-order TCP data waiting"),
        Cap(name: .fragmentedDatagrams, keyPath: \.fragmentedDatagrams, what: "IP datagrams waiting for fragments"),
        Cap(name: .replayMessages, keyPath: \.replayMessages, what: "messages awaiting their recorded delivery"),
        Cap(name: .replayObjects, keyPath: \.replayObjects, what: "locks, devices, procedures and regions in the replay"),
        Cap(name: .uartQueuedBytes, keyPath: \.uartQueuedBytes, what: "bytes queued for UART lines in the replay"),
    ]

    public static func cap(named name: CapName) -> Cap { all.first { $0.name == name }! }

    /// Applies `NAME=N`; the reason it cannot otherwise.
    public mutating func apply(_ setting: String) -> String? {
        let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let name = CapName(rawValue: parts[0]) else {
            return "expected NAME=N with NAME one of \(CapName.allCases.map(\.rawValue).joined(separator: ", "))"
        }
        let cap = Self.cap(named: name)
        guard let value = Int(parts[1]), value > 0 else { return "\(parts[0]): expected a positive whole number" }
        self[keyPath: cap.keyPath] = value
        return nil
    }

    /// The finding for reaching `name`'s cap, worded the same everywhere.
    public func reached(_ name: CapName, at timeNs: Nanoseconds, record: UInt64?, consequence: String) -> Finding {
        let cap = Self.cap(named: name)
        return Finding(
            .analysisLimit, at: timeNs, record: record,
            "the analysis reached its cap of \(self[keyPath: cap.keyPath]) \(cap.what): \(consequence); "
                + "raise it with --limit \(name.rawValue)=N"
        )
    }
}

/// The caps by the name `--limit` takes.
public enum CapName: String, CaseIterable, Sendable {
    case streams
    case requests
    case methods
    case methodBytes = "method-bytes"
    case bufferedBytes = "buffered-bytes"
    case tcpWaitingBytes = "tcp-waiting-bytes"
    case fragmentedDatagrams = "fragmented-datagrams"
    case replayMessages = "replay-messages"
    case replayObjects = "replay-objects"
    case uartQueuedBytes = "uart-queued-bytes"
}

/// Which caps have been reported, so that each is reported once. A bit per cap: it is asked on
/// every record once a cap is reached.
public struct CapsReached: Sendable {
    private var reported: UInt32 = 0

    public init() {}

    /// True the first time `name` is reached.
    @inline(__always)
    public mutating func first(_ name: CapName) -> Bool {
        let bit = UInt32(1) << UInt32(CapName.allCases.firstIndex(of: name)!)
        defer { reported |= bit }
        return reported & bit == 0
    }
}
