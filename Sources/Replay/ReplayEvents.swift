import AnalysisCore

/// One record of a mailbox, message or UART channel, as the replay sees it: who, where, how
/// many bytes, when. (UART writes also hand over their bytes, to show what the wire carried.)
public struct ChannelEvent: Sendable {
    public var kind: Board.ChannelKind
    public var channel: Int
    public var from: Int
    public var to: Int
    public var isReceiverSide: Bool
    public var byteCount: Int
    public var stamp: RecordStamp
    /// A small number the caller gives every record of one direction (kind, channel, from, to)
    /// and no other, when it has one (the stream table's): the replay then finds the
    /// direction's state by it instead of by hashing the four. -1 when there is none.
    public var direction: Int

    public init(kind: Board.ChannelKind, channel: Int, from: Int, to: Int, isReceiverSide: Bool, byteCount: Int,
                stamp: RecordStamp, direction: Int = -1) {
        self.direction = direction
        self.kind = kind
        self.channel = channel
        self.from = from
        self.to = to
        self.isReceiverSide = isReceiverSide
        self.byteCount = byteCount
        self.stamp = stamp
    }
}
