import AnalysisCore
import Replay
import RPC

/// What the pipeline hands to a renderer, beyond what the RPC stage gives.
public protocol AnalysisSink: RPCSink {
    /// Every record, when the sink wants `.records` (the detailed listing).
    mutating func record(_ record: RecordInfo)
    mutating func trace(_ event: TraceEvent)
    /// The capture is done: the RPC stage's call totals.
    mutating func finish(totals: CallTotals)
}

extension AnalysisSink {
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
