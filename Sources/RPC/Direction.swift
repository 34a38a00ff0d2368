/// What the RPC stage knows of one direction of a byte stream: who talks to whom, on which
/// channel. The stage below assigns the numbers; the names are only for reports.
public struct Direction: Sendable, Hashable {
    /// Identifies the channel (transport and its number) both directions of a conversation share.
    public var channel: Int
    public var from: Int
    public var to: Int

    public init(channel: Int, from: Int, to: Int) {
        self.channel = channel
        self.from = from
        self.to = to
    }

    public var reversed: Direction { Direction(channel: channel, from: to, to: from) }
}

/// The names a report uses for a direction's channel and endpoints.
public struct DirectionNames: Sendable, Hashable {
    public var channel: String
    public var from: String
    public var to: String

    public init(channel: String, from: String, to: String) {
        self.channel = channel
        self.from = from
        self.to = to
    }
}

/// The two cores at the ends of an inter-core stream: the sender and the receiver.
public struct CorePair: Sendable, Equatable {
    /// Cores are below 0xFE (capture format v1).
    public var from: UInt8
    public var to: UInt8

    public init(from: UInt8, to: UInt8) {
        self.from = from
        self.to = to
    }
}
