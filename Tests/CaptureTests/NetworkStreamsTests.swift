import AnalysisCore
import Testing
@testable import Capture

/// TCP connections and UDP flows as `NetworkStreams` makes them streams: each direction its
/// own stream in order of first appearance, both directions one conversation, TCP bytes handed
/// on in sequence order once each, and a hole that never fills handed on as a loss.
struct NetworkStreamsTests {
    static let client: [UInt8] = [10, 0, 0, 1]
    static let server: [UInt8] = [10, 0, 0, 2]

    /// What the layer handed on: a stream's bytes, or a count of bytes it lost.
    enum Handed: Equatable {
        case data(stream: Int, String)
        case loss(stream: Int, count: Int)
    }

    struct Peer {
        var streams = NetworkStreams()
        var record: UInt64 = 0

        /// One TCP segment from `from` to `to` (ports 40000 and 7000 for client and server).
        mutating func tcp(from: [UInt8], to: [UInt8], seq: UInt32, flags: UInt8 = 0x10, _ text: String = "") {
            let ports = Self.ports(from: from)
            let segment = ports.0.bigEndianBytes + ports.1.bigEndianBytes + seq.bigEndianBytes + [0, 0, 0, 0, 0x50, flags]
                + [0xFF, 0xFF, 0, 0, 0, 0] + Array(text.utf8)
            send(segment, transport: 6, from: from, to: to)
        }

        mutating func udp(from: [UInt8], to: [UInt8], _ text: String) {
            let ports = Self.ports(from: from)
            let payload = Array(text.utf8)
            send(ports.0.bigEndianBytes + ports.1.bigEndianBytes + UInt16(8 + payload.count).bigEndianBytes + [0, 0] + payload,
                 transport: 17, from: from, to: to)
        }

        static func ports(from: [UInt8]) -> (UInt16, UInt16) {
            from == NetworkStreamsTests.client ? (40_000, 7000) : (7000, 40_000)
        }

        /// One IPv4 datagram's transport bytes, parsed and handed to the layer as a record.
        private mutating func send(_ transport: [UInt8], transport protocolNumber: UInt8, from: [UInt8], to: [UInt8]) {
            record += 1
            let stamp = RecordStamp(number: record, timeNs: Int64(record))
            from.withUnsafeBytes { source in
                to.withUnsafeBytes { destination in
                    transport.withUnsafeBytes { bytes in
                        let datagram = IPDatagram(source: IPAddress(v4: source, at: 0), destination: IPAddress(v4: destination, at: 0),
                                                  transport: protocolNumber, payload: bytes, truncated: false)
                        switch (protocolNumber, TCPHeader.parse(bytes), UDPHeader.parse(bytes)) {
                        case (6, .success(let header), _): streams.tcp(datagram, header, stamp: stamp)
                        case (17, _, .success(let header)): streams.udp(datagram, header, stamp: stamp)
                        default: Issue.record("a bad test datagram")
                        }
                    }
                }
            }
        }

        /// What was handed on since the last call.
        mutating func take() -> [Handed] {
            defer { streams.clearDeliveries() }
            return streams.deliveries.map { delivery in
                switch delivery.kind {
                case .data: .data(stream: delivery.stream, String(decoding: streams.bytes(of: delivery), as: UTF8.self))
                case .loss(let count, _): .loss(stream: delivery.stream, count: count)
                }
            }
        }

        /// Segments from the client to the server, (sequence number, bytes) each.
        mutating func clientSends(_ segments: [(UInt32, String)]) {
            for (seq, text) in segments { tcp(from: NetworkStreamsTests.client, to: NetworkStreamsTests.server, seq: seq, text) }
        }

        /// A connection opened both ways: client's first byte at 101, server's at 501.
        mutating func handshake() {
            tcp(from: client, to: server, seq: 100, flags: 0x02)
            tcp(from: server, to: client, seq: 500, flags: 0x12)
            #expect(take().isEmpty)
        }
    }

    @Test func eachDirectionIsAStreamAndBothOneConversation() {
        var peer = Peer()
        peer.handshake()
        peer.tcp(from: Self.client, to: Self.server, seq: 101, "ab")
        peer.tcp(from: Self.server, to: Self.client, seq: 501, "x")
        peer.tcp(from: Self.client, to: Self.server, seq: 103, "cd")
        #expect(peer.take() == [.data(stream: 0, "ab"), .data(stream: 1, "x"), .data(stream: 0, "cd")])
        #expect(peer.streams.streams.map(\.transport) == [.tcp, .tcp])
        #expect(peer.streams.streams[0].conversation == peer.streams.streams[1].conversation)
        #expect(peer.streams.streams[0].source.text == "10.0.0.1:40000" && peer.streams.streams[0].destination.text == "10.0.0.2:7000")
    }

    @Test func segmentsOutOfOrderWaitForTheHole() {
        var peer = Peer()
        peer.handshake()
        peer.clientSends([(105, "ef"), (103, "cd")])
        #expect(peer.take().isEmpty)
        peer.clientSends([(101, "ab")])
        #expect(peer.take() == [.data(stream: 0, "ab"), .data(stream: 0, "cd"), .data(stream: 0, "ef")])
    }

    @Test func retransmittedBytesAreHandedOnOnce() {
        var peer = Peer()
        peer.handshake()
        peer.clientSends([(101, "ab"), (101, "ab"), (102, "bcd")])
        #expect(peer.take() == [.data(stream: 0, "ab"), .data(stream: 0, "cd")])
    }

    @Test func aHoleThatNeverFillsIsALossAtTheEnd() {
        var peer = Peer()
        peer.handshake()
        peer.tcp(from: Self.client, to: Self.server, seq: 104, "def")
        #expect(peer.take().isEmpty)
        peer.streams.finish(at: RecordStamp(number: 99, timeNs: 99))
        #expect(peer.take() == [.loss(stream: 0, count: 3), .data(stream: 0, "def")])
    }

    @Test func aDirectionWaitsForAtMostItsCap() {
        var peer = Peer()
        peer.streams = NetworkStreams(maxPendingBytes: 4)
        peer.handshake()
        peer.tcp(from: Self.client, to: Self.server, seq: 103, "cdefgh")
        // Six bytes wait behind a hole of two, past the cap of four: the hole is given up.
        #expect(peer.take() == [.loss(stream: 0, count: 2), .data(stream: 0, "cdefgh")])
    }

    @Test func udpFlowsAreStreamsOfWholeDatagrams() {
        var peer = Peer()
        peer.udp(from: Self.client, to: Self.server, "ping")
        peer.udp(from: Self.server, to: Self.client, "pong")
        peer.udp(from: Self.client, to: Self.server, "again")
        #expect(peer.take() == [.data(stream: 0, "ping"), .data(stream: 1, "pong"), .data(stream: 0, "again")])
        #expect(peer.streams.streams.map(\.transport) == [.udp, .udp])
        #expect(peer.streams.streams[0].conversation == peer.streams.streams[1].conversation)
    }

    @Test func newStreamsAreRefusedWhileTheCapHolds() {
        var peer = Peer()
        peer.streams.acceptsNewStreams = false
        peer.udp(from: Self.client, to: Self.server, "ping")
        peer.tcp(from: Self.client, to: Self.server, seq: 100, flags: 0x02)
        #expect(peer.take().isEmpty && peer.streams.streams.isEmpty && peer.streams.refusedRecords == 2)
    }
}
