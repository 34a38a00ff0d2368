import AnalysisCore
import RPC

/// What the pipeline hands to a renderer, beyond what the RPC stage gives.
public protocol AnalysisSink: RPCSink {
    /// Whether every record should be passed to `record(_:)` (the detailed listing).
    var wantsRecords: Bool { get }
    mutating func record(_ record: RecordInfo)
    mutating func trace(_ event: TraceEvent)
    /// The capture is done: the RPC stage's call totals.
    mutating func finish(totals: CallTotals)
    /// Non-nil when the sink may take its calls on another thread (in the order they were made)
    /// while the analysis reads on: what it wants is then fixed from the start, and it keeps this
    /// many findings in full before it only counts them (`Int.max`: all of them).
    var offloadableFindingLimit: Int? { get }
}

extension AnalysisSink {
    public var offloadableFindingLimit: Int? { nil }
    public var wantsRecords: Bool { false }
    public mutating func record(_ record: RecordInfo) {}
    public mutating func trace(_ event: TraceEvent) {}
    public mutating func finish(totals: CallTotals) {}
}

/// One capture record as the detailed listing shows it.
public struct RecordInfo: Sendable {
    public var stamp: RecordStamp
    public var length: Int
    /// "message", "uart", "tcp", "usb", ...; nil for a malformed record.
    public var kind: String?
    public var names: DirectionNames?
    /// Bytes of payload the record carries for its stream.
    public var payloadLength: Int
    /// What else the link says: `seq 7`, `receiver side: delivery`, `SYN ACK seq 1000`.
    public var detail: String?
    /// Taken at the receiving side (inter-core records with the RX flag).
    public var isReceiverSide: Bool

    public init(stamp: RecordStamp, length: Int, kind: String?, names: DirectionNames?, payloadLength: Int,
                detail: String? = nil, isReceiverSide: Bool = false) {
        self.isReceiverSide = isReceiverSide
        self.stamp = stamp
        self.length = length
        self.kind = kind
        self.names = names
        self.payloadLength = payloadLength
        self.detail = detail
    }
}
