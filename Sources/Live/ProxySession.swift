import Capture
#if canImport(Glibc)
import Glibc
#endif

/// One client's session through the proxy: its two sockets, where the connect to the target
/// stands, and each direction's state. Direction 0 goes from the client to the server, 1 back.
struct ProxySession {
    enum Phase {
        /// The connect to the target is under way and given up at this monotonic time.
        case connecting(deadlineNs: Int64)
        case open
        /// Its sockets are closed (the session ended, or its connect failed): it goes.
        case closed
    }

    let client: Int32
    let server: Int32
    var phase: Phase
    /// The message channel of its records, given when the connect succeeds.
    var channel: UInt8 = 0
    /// The cores its client and server are in the records, given with the channel.
    var cores: (client: UInt8, server: UInt8) = (0, 1)
    var directions = [Direction(), Direction()]
    /// The TCP frames of the session, when recording as TCP.
    var tcp: TCPSessionFrames?
    /// A send failed: the peer is gone, and so is the session.
    var broken = false

    init(client: Int32, server: Int32, phase: Phase) {
        self.client = client
        self.server = server
        self.phase = phase
    }

    /// The socket direction `side` reads from, and the one it writes to.
    func source(_ side: Int) -> Int32 { side == 0 ? client : server }
    func sink(_ side: Int) -> Int32 { side == 0 ? server : client }

    var isOpen: Bool {
        if case .open = phase { return true }
        return false
    }

    /// Both directions closed and delivered, or the session broke.
    var isFinished: Bool { broken || directions.allSatisfy(\.isFinished) }
}

/// One direction of a session: the bytes read and not yet delivered (while any wait, the
/// source is not read: its sender waits, and only this connection does), and how its bytes are
/// cut into records.
struct Direction {
    /// The source has not closed its side.
    var reading = true
    /// The sink was told that no more bytes come (after the source closed and all were delivered).
    var shutDown = false
    /// Bytes read that the sink has not taken yet, from `pendingStart` on.
    private(set) var pending: [UInt8] = []
    private var pendingStart = 0
    var cutter = MessageCutter()
    /// The sequence numbers of the next record of this stream.
    var sequences = StreamSequences()

    var hasPending: Bool { pendingStart < pending.count }
    var isFinished: Bool { !reading && !hasPending }

    /// Keeps the bytes a send left over; they are all that waits (reading stops until they go).
    mutating func keep(_ rest: UnsafeRawBufferPointer) {
        pending.removeAll(keepingCapacity: true)
        pending.append(contentsOf: rest)
        pendingStart = 0
    }

    /// The bytes waiting for the sink.
    func withPending<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        pending.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[pendingStart...])) }
    }

    /// The sink took `count` more of the waiting bytes.
    mutating func delivered(_ count: Int) {
        pendingStart += count
        guard pendingStart == pending.count else { return }
        // A stalled peer's buffer goes once it is delivered: idle connections hold none.
        pending = []
        pendingStart = 0
    }

    /// The session ends with bytes undelivered.
    mutating func drop() {
        pending = []
        pendingStart = 0
    }
}

extension ProxySession {
    /// What poll should watch on the client: its requests while none wait for the server, and
    /// room for the answers that wait for it.
    var clientEvents: Int16 {
        guard isOpen, !broken else { return 0 }
        return events(reading: 0, writing: 1)
    }

    /// The server: its connect while under way, then as the client.
    var serverEvents: Int16 {
        if case .connecting = phase { return Int16(POLLOUT) }
        guard isOpen, !broken else { return 0 }
        return events(reading: 1, writing: 0)
    }

    private func events(reading: Int, writing: Int) -> Int16 {
        var events: Int16 = 0
        if directions[reading].reading, !directions[reading].hasPending { events |= Int16(POLLIN) }
        if directions[writing].hasPending { events |= Int16(POLLOUT) }
        return events
    }
}
