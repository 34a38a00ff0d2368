import AnalysisCore
import RPC

/// What the replay engine is fed, in capture order, through its one entry point
/// (`ReplayEngine.consume`). Plain numbers where the capture has them: methods go by number,
/// named once, so that a call costs no name.
public enum ReplayInput {
    /// One record of a mailbox, message or UART channel. `wire`: the bytes of a UART write
    /// (the engine shows what the line carried); empty for the other kinds.
    case channel(ChannelEvent, wire: UnsafeRawBufferPointer)
    case trace(TraceEvent)
    /// The name of method `number`, before its first call.
    case method(UInt32, name: String)
    /// A request between cores was sent.
    case callStarted(CallEvent)
    /// A call between cores ended: answered, or given up unanswered.
    case callEnded(CallEvent)
    /// The capture is over.
    case finish
}

/// One record of a mailbox, message or UART channel, as the replay sees it: who, where, how
/// many bytes, when, in the widths capture format v1 gives them (a byte for channel and cores).
public struct ChannelEvent: Sendable, Equatable {
    public var stamp: RecordStamp
    public var byteCount: UInt32
    /// A small number the caller gives every record of one direction (kind, channel, from, to)
    /// and no other, when it has one (the stream's): the replay then finds the direction's
    /// state by it instead of by hashing the four. -1 when there is none.
    public var direction: Int32
    public var kind: Board.ChannelKind
    public var isReceiverSide: Bool
    public var channel: UInt8
    public var from: UInt8
    public var to: UInt8

    public init(kind: Board.ChannelKind, channel: UInt8, from: UInt8, to: UInt8, isReceiverSide: Bool, byteCount: UInt32,
                stamp: RecordStamp, direction: Int32 = -1) {
        self.stamp = stamp
        self.byteCount = byteCount
        self.direction = direction
        self.kind = kind
        self.isReceiverSide = isReceiverSide
        self.channel = channel
        self.from = from
        self.to = to
    }
}
