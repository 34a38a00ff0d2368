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
