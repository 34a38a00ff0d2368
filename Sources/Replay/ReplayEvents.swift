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

    public init(kind: Board.ChannelKind, channel: Int, from: Int, to: Int, isReceiverSide: Bool, byteCount: Int,
                stamp: RecordStamp) {
        self.kind = kind
        self.channel = channel
        self.from = from
        self.to = to
        self.isReceiverSide = isReceiverSide
        self.byteCount = byteCount
        self.stamp = stamp
    }
}
