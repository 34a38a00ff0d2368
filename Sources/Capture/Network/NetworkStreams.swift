import AnalysisCore
import HeapModule

/// TCP and UDP traffic turned into byte streams, one per connection and direction.
///
/// TCP is put back in order per direction: segments ahead of the expected sequence number wait
/// (up to `maxPendingBytes`), retransmitted and overlapping bytes are delivered once, a
/// connection whose start was not captured starts at its first segment, and a gap that can no
/// longer be filled (the wait grew too large, or the direction closed or the capture ended)
/// is delivered as loss. UDP datagrams are delivered whole, one message each.
///
/// After each record, `deliveries` says what to hand on; their bytes are in `bytes(of:)` until
/// the next call.
public struct NetworkStreams {
    public enum Transport: String, Sendable {
        case tcp, udp
    }

    public struct StreamInfo: Sendable {
        public var transport: Transport
        public var source: SocketAddress
        public var destination: SocketAddress
        /// Both directions of a connection (or UDP address pair) share it.
        public var conversation: Int
    }

    public struct Delivery {
        public enum Kind {
            case data
            /// `count` bytes of the stream were never captured.
            case loss(count: Int, reason: StaticString)
        }

        public var stream: Int
        public var kind: Kind
        public var stamp: RecordStamp
        var range: Range<Int>
    }

    private struct Direction {
        var stream: Int
        var nextSequence: UInt32?
        /// `nextSequence` unwrapped: its distance from the direction's first byte.
        var nextPosition: Int64 = 0
        /// Segments ahead of `nextSequence`, earliest first: a heap, so that any arrival order
        /// costs a logarithm per segment.
        var pending = Heap<WaitingSegment>()
        var pendingBytes = 0
        var closed = false

        mutating func advance(to sequence: UInt32) {
            if let next = nextSequence { nextPosition += Int64(Int32(bitPattern: sequence &- next)) }
            nextSequence = sequence
        }
    }

    private struct WaitingSegment: Comparable {
        var position: Int64
        var sequence: UInt32
        var bytes: [UInt8]
        var stamp: RecordStamp

        static func < (a: Self, b: Self) -> Bool { a.position < b.position }
        static func == (a: Self, b: Self) -> Bool { a.position == b.position && a.bytes.count == b.bytes.count }
    }

    private struct ConnectionKey: Hashable {
        var a: SocketAddress
        var b: SocketAddress
    }

    public private(set) var streams: [StreamInfo] = []
    public private(set) var deliveries: [Delivery] = []
    private var buffer: [UInt8] = []
    private var tcp: [ConnectionKey: (conversation: Int, forward: Direction, backward: Direction)] = [:]
    private var udp: [ConnectionKey: Int] = [:]
    private var conversations = 0
    public let maxPendingBytes: Int
    /// Out-of-order bytes waiting across all connections at most.
    public var maxTotalPendingBytes = 64 << 20
    private var totalPendingBytes = 0
    /// Set when a direction's waiting bytes were given up for `maxTotalPendingBytes`.
    public private(set) var reachedWaitingCap = false
    /// Whether a record may start a new stream; the pipeline clears it at its cap on streams.
    public var acceptsNewStreams = true
    /// Records not analysed because they would have started a stream past the cap.
    public private(set) var refusedRecords = 0

    public init(maxPendingBytes: Int = 1 << 20) {
        self.maxPendingBytes = maxPendingBytes
    }

    public func bytes(of delivery: Delivery) -> ArraySlice<UInt8> { buffer[delivery.range] }

    public mutating func clearDeliveries() {
        deliveries.removeAll(keepingCapacity: true)
        buffer.removeAll(keepingCapacity: true)
    }

    private mutating func deliver(_ stream: Int, _ bytes: some Collection<UInt8>, _ stamp: RecordStamp) {
        guard !bytes.isEmpty else { return }
        let start = buffer.count
        buffer.append(contentsOf: bytes)
        deliveries.append(Delivery(stream: stream, kind: .data, stamp: stamp, range: start..<buffer.count))
    }

    private mutating func newStream(_ transport: Transport, _ source: SocketAddress, _ destination: SocketAddress,
                                    conversation: Int) -> Int {
        streams.append(StreamInfo(transport: transport, source: source, destination: destination, conversation: conversation))
        return streams.count - 1
    }

    // MARK: UDP

    public mutating func udp(_ datagram: IPDatagram, _ header: UDPHeader, stamp: RecordStamp) {
        let source = SocketAddress(address: datagram.source, port: header.sourcePort)
        let destination = SocketAddress(address: datagram.destination, port: header.destinationPort)
        let key = ConnectionKey(a: source, b: destination)
        let stream: Int
        if let known = udp[key] {
            stream = known
        } else {
            guard acceptsNewStreams else {
                refusedRecords += 1
                return
            }
            let reverse = udp[ConnectionKey(a: destination, b: source)]
            let conversation = reverse.map { streams[$0].conversation } ?? nextConversation()
            stream = newStream(.udp, source, destination, conversation: conversation)
            udp[key] = stream
        }
        deliver(stream, header.payload, stamp)
        if datagram.truncated {
            deliveries.append(Delivery(stream: stream, kind: .loss(count: 0, reason: "the datagram was cut by the snap length"),
                                       stamp: stamp, range: buffer.count..<buffer.count))
        }
    }

    // MARK: TCP

    public mutating func tcp(_ datagram: IPDatagram, _ header: TCPHeader, stamp: RecordStamp) {
        let source = SocketAddress(address: datagram.source, port: header.sourcePort)
        let destination = SocketAddress(address: datagram.destination, port: header.destinationPort)
        let forward = source < destination
        let key = forward ? ConnectionKey(a: source, b: destination) : ConnectionKey(a: destination, b: source)
        // Taken out while it is worked on: a copy left in the table would make every append to
        // a waiting queue copy the whole queue.
        guard let existing = tcp.removeValue(forKey: key) ?? (acceptsNewStreams ? newConnection(key) : nil) else {
            refusedRecords += 1
            return
        }
        var connection = existing
        // A SYN on a connection with a closed side starts a new connection on the same ports.
        if header.isSYN, !header.isACK, connection.forward.closed || connection.backward.closed {
            connection = newConnection(key)
        }
        if forward {
            segment(header, into: &connection.forward, stamp: stamp, truncated: datagram.truncated)
        } else {
            segment(header, into: &connection.backward, stamp: stamp, truncated: datagram.truncated)
        }
        tcp[key] = connection
    }

    private mutating func newConnection(_ key: ConnectionKey) -> (conversation: Int, forward: Direction, backward: Direction) {
        let conversation = nextConversation()
        let a = newStream(.tcp, key.a, key.b, conversation: conversation)
        let b = newStream(.tcp, key.b, key.a, conversation: conversation)
        return (conversation, Direction(stream: a), Direction(stream: b))
    }

    private mutating func nextConversation() -> Int {
        conversations += 1
        return conversations - 1
    }

    private mutating func segment(_ header: TCPHeader, into direction: inout Direction, stamp: RecordStamp, truncated: Bool) {
        var sequence = header.sequence
        if header.isSYN {
            direction.nextSequence = sequence &+ 1
            direction.nextPosition = 0
            sequence &+= 1
        }
        let payload = header.payload
        if !payload.isEmpty {
            if direction.nextSequence == nil { direction.nextSequence = sequence }
            accept(sequence: sequence, payload: payload, into: &direction, stamp: stamp)
            if truncated {
                // The rest of this segment is gone: what follows cannot be put in order.
                deliveries.append(Delivery(stream: direction.stream,
                                           kind: .loss(count: 0, reason: "a segment was cut by the snap length"),
                                           stamp: stamp, range: buffer.count..<buffer.count))
            }
        }
        if header.isFIN || header.isRST {
            if header.isFIN, let next = direction.nextSequence, sequence &+ UInt32(payload.count) == next {
                direction.advance(to: next &+ 1)
            }
            flushGap(&direction, stamp: stamp, reason: header.isRST ? "the connection was reset" : "the direction closed")
            direction.closed = true
        }
    }

    private mutating func accept(sequence: UInt32, payload: UnsafeRawBufferPointer, into direction: inout Direction,
                                 stamp: RecordStamp) {
        let next = direction.nextSequence!
        let ahead = Int(Int32(bitPattern: sequence &- next))
        if ahead <= 0 {
            // In order, or a retransmission whose new part (if any) starts past the old bytes.
            let skip = -ahead
            guard skip < payload.count else { return }
            deliver(direction.stream, payload[skip...], stamp)
            direction.advance(to: next &+ UInt32(payload.count - skip))
            drainPending(&direction)
            return
        }
        // A copy of a waiting segment is delivered once anyway: the drain skips bytes already given.
        direction.pending.insert(WaitingSegment(position: direction.nextPosition + Int64(ahead), sequence: sequence,
                                                bytes: Array(payload), stamp: stamp))
        direction.pendingBytes += payload.count
        totalPendingBytes += payload.count
        while direction.pendingBytes > maxPendingBytes {
            flushGap(&direction, stamp: stamp, reason: "the bytes before them never arrived")
        }
        if totalPendingBytes > maxTotalPendingBytes {
            reachedWaitingCap = true
            while !direction.pending.isEmpty {
                flushGap(&direction, stamp: stamp, reason: "too much out-of-order data waited across connections")
            }
        }
    }

    private mutating func drainPending(_ direction: inout Direction) {
        while let waiting = direction.pending.min, let next = direction.nextSequence,
              waiting.position <= direction.nextPosition {
            _ = direction.pending.removeMin()
            direction.pendingBytes -= waiting.bytes.count
            totalPendingBytes -= waiting.bytes.count
            let skip = Int(Int32(bitPattern: next &- waiting.sequence))
            if skip < waiting.bytes.count {
                deliver(direction.stream, waiting.bytes[skip...], waiting.stamp)
                direction.advance(to: next &+ UInt32(waiting.bytes.count - skip))
            }
        }
    }

    /// Gives up on the bytes before the first waiting segment: reports them lost and goes on.
    private mutating func flushGap(_ direction: inout Direction, stamp: RecordStamp, reason: StaticString) {
        guard let first = direction.pending.min, direction.nextSequence != nil else { return }
        let missing = Int(first.position - direction.nextPosition)
        deliveries.append(Delivery(stream: direction.stream, kind: .loss(count: max(0, missing), reason: reason),
                                   stamp: first.stamp, range: buffer.count..<buffer.count))
        direction.advance(to: first.sequence)
        drainPending(&direction)
    }

    /// The capture ended: gaps still open are reported and what waited behind them delivered.
    public mutating func finish(at stamp: RecordStamp) {
        for key in tcp.keys.sorted(by: { (tcp[$0]!.conversation) < (tcp[$1]!.conversation) }) {
            var connection = tcp[key]!
            while !connection.forward.pending.isEmpty {
                flushGap(&connection.forward, stamp: stamp, reason: "the capture ended before they arrived")
            }
            while !connection.backward.pending.isEmpty {
                flushGap(&connection.backward, stamp: stamp, reason: "the capture ended before they arrived")
            }
            tcp[key] = connection
        }
    }
}
