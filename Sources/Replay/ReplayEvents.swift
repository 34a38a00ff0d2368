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

/// A completed call whose method uses devices on its callee.
public struct CallEvent: Sendable {
    public var method: String
    public var caller: Int
    public var callee: Int
    public var request: RecordStamp
    public var response: RecordStamp?

    public init(method: String, caller: Int, callee: Int, request: RecordStamp, response: RecordStamp?) {
        self.method = method
        self.caller = caller
        self.callee = callee
        self.request = request
        self.response = response
    }
}
