import AnalysisCore
import DequeModule

/// Happens-before through channels: a message from a to b orders a's send before everything b
/// does from its delivery on. Delivery is when a receiver-side record pops the message's first
/// byte; a direction recorded only on the sending side delivers at the send.
struct MessageOrdering {
    private struct Sent {
        var clock: VectorClock
        /// Offset of the message's first byte in the direction's stream.
        var firstByte: Int
    }

    private struct DirectionState {
        var key: DirectionID
        var sent = Deque<Sent>()
        var bytesSent = 0
        var bytesReceived = 0
        var hasReceiverSide = false
    }

    struct DirectionID: Hashable {
        var kind: Board.ChannelKind
        var channel: UInt8
        var from: UInt8
        var to: UInt8
    }

    private var directions: [DirectionState] = []
    private var numbers = DirectionIndex()
    /// Messages waiting for their recorded delivery, across directions, at most; past it the
    /// oldest of a direction counts as delivered at once, which can only add ordering.
    var maxWaiting = 65_536
    private var waiting = 0
    /// Set when a message was delivered early for `maxWaiting`; the engine reports it.
    private(set) var reachedCap = false

    @inline(__always)
    private mutating func index(of key: DirectionID, number: Int) -> Int {
        let index = numbers.index(of: key, number: number)
        if index == directions.count { directions.append(DirectionState(key: key)) }
        return index
    }

    /// A sender-side record. Returns the clock to deliver now, when the direction has no
    /// receiver side to wait for.
    mutating func send(_ key: DirectionID, number: Int = -1, clock: VectorClock, byteCount: Int) -> VectorClock? {
        let i = index(of: key, number: number)
        defer { directions[i].bytesSent += byteCount }
        guard directions[i].hasReceiverSide else { return clock }
        directions[i].sent.append(Sent(clock: clock, firstByte: directions[i].bytesSent))
        waiting += 1
        guard waiting > maxWaiting, let oldest = directions[i].sent.popFirst() else { return nil }
        waiting -= 1
        reachedCap = true
        return oldest.clock
    }

    /// A receiver-side record: the clocks of every message whose first byte it pops, joined.
    mutating func receive(_ key: DirectionID, number: Int = -1, byteCount: Int) -> VectorClock? {
        let i = index(of: key, number: number)
        directions[i].hasReceiverSide = true
        directions[i].bytesReceived += byteCount
        var delivered: VectorClock?
        while let first = directions[i].sent.first, first.firstByte < directions[i].bytesReceived {
            directions[i].sent.removeFirst()
            waiting -= 1
            if delivered == nil { delivered = first.clock } else { delivered!.join(first.clock) }
        }
        return delivered
    }
}
