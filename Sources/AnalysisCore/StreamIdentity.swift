/// One stream of a capture: one direction of a channel, connection or address pair. The stream
/// registry mints it the first time the stream's key is seen, numbering streams in order of
/// first appearance, and every stage keeps its state for the stream at `index`: the summary
/// row, the RPC stage's framing and correlation, the replay's message ordering.
public struct StreamID: Hashable, Sendable {
    private let raw: UInt32
    public var index: Int { Int(raw) }

    /// `index`: the stream's place in order of first appearance (under the cap on streams).
    public init(_ index: Int) { raw = UInt32(index) }
}

/// The requests one end of a channel, connection or address pair sends the other, and the
/// answers that come back the other way: a response's msgid is looked up among the requests of
/// its conversation. Minted by the stream registry beside the streams, two for each pair of
/// ends (one each way).
public struct ConversationID: Hashable, Sendable {
    private let raw: UInt32
    public var index: Int { Int(raw) }

    public init(_ index: Int) { raw = UInt32(index) }
}
