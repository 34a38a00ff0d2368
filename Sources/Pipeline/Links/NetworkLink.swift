import AnalysisCore
import Capture
import RPC

// The network link family: Ethernet, Linux cooked, loopback and raw IP records, then IP
// (fragments put back together) and TCP or UDP, each connection's directions a stream.

/// The transport header of one IP datagram, as the listing shows it.
struct TransportSegment {
    var sourcePort: UInt16
    var destinationPort: UInt16
    var payloadLength: Int
    /// The TCP header, for its flags and sequence number; nil for UDP.
    var tcp: TCPHeader?
}

/// What the analysis keeps for IP traffic: the IP and TCP/UDP layers.
struct NetworkPath {
    var ip = IPLayer()
    var streams = NetworkStreams()
    /// The registry's stream of each stream of the TCP/UDP layer (nil: refused at the cap), in
    /// the layer's own numbering, so that a delivery needs no lookup by key.
    var streamIDs: [StreamID?] = []
}

extension CaptureAnalysis {
    /// A record of an IP-carrying link type: link header, IP, then TCP or UDP.
    mutating func consumeNetwork(_ record: RawRecord) {
        switch LinkHeader.parse(record.bytes, linkType: record.linkType) {
        case .failure(let problem):
            malformedRecord(record, problem.description)
        case .success(let link):
            // Not IP (ARP, LLDP, ...): ignored, not malformed.
            guard let version = link.network else { return }
            let packet = UnsafeRawBufferPointer(rebasing: record.bytes[link.payloadOffset...])
            switch network.ip.decode(packet, version) {
            case .other:
                return
            case .fragmentHeld:
                // A datagram is given up only for a new one, whose first fragment is always held.
                if network.ip.droppedFragmentedDatagrams > 0, capsReached.first(.fragmentedDatagrams) {
                    output.finding(options.caps.reached(
                        .fragmentedDatagrams, at: record.timeNs, record: record.number,
                        consequence: "the datagram that has waited longest for its fragments is given up"))
                }
            case .malformed(let reason):
                malformedRecord(record, reason)
            case .datagram(let datagram):
                transport(datagram, record)
            }
        }
    }

    private mutating func transport(_ datagram: IPDatagram, _ record: RawRecord) {
        // A connection or flow is two streams: the layer below refuses new ones past the cap.
        network.streams.acceptsNewStreams = registry.hasRoom(for: 2)
        let parsed: Result<TransportSegment, RecordProblem>
        switch datagram.transport {
        case 6:
            parsed = TCPHeader.parse(datagram.payload).map { header in
                network.streams.tcp(datagram, header, stamp: record.stamp)
                return TransportSegment(sourcePort: header.sourcePort, destinationPort: header.destinationPort,
                                        payloadLength: header.payload.count, tcp: header)
            }
        case 17:
            parsed = UDPHeader.parse(datagram.payload).map { header in
                network.streams.udp(datagram, header, stamp: record.stamp)
                return TransportSegment(sourcePort: header.sourcePort, destinationPort: header.destinationPort,
                                        payloadLength: header.payload.count, tcp: nil)
            }
        default:
            return
        }
        switch parsed {
        case .failure(let problem):
            return malformedRecord(record, problem.description)
        case .success(let segment):
            listNetworkRecord(record, datagram, segment)
        }
        if network.streams.refusedRecords > 0 { registry.refused(at: record.stamp, into: &output) }
        if network.streams.reachedWaitingCap, capsReached.first(.tcpWaitingBytes) {
            output.finding(options.caps.reached(
                .tcpWaitingBytes, at: record.timeNs, record: record.number,
                consequence: "a connection's out-of-order data is given up as lost when more would wait"))
        }
        handOn(at: record.stamp)
    }

    private mutating func listNetworkRecord(_ record: RawRecord, _ datagram: IPDatagram, _ segment: TransportSegment) {
        guard output.wants.contains(.records) else { return }
        let kind = segment.tcp == nil ? "udp" : "tcp"
        let names = DirectionNames(channel: kind, from: SocketAddress(address: datagram.source, port: segment.sourcePort).text,
                                   to: SocketAddress(address: datagram.destination, port: segment.destinationPort).text)
        output.record(RecordInfo(stamp: record.stamp, length: record.bytes.count, kind: kind, names: names,
                                   payloadLength: segment.payloadLength, detail: segment.tcp.map { Self.describe($0) }))
    }

    static func describe(_ header: TCPHeader) -> String {
        let flags = [(header.isSYN, "SYN"), (header.isFIN, "FIN"), (header.isRST, "RST"), (header.isACK, "ACK")]
            .filter(\.0).map(\.1)
        return (flags + ["seq \(header.sequence)"]).joined(separator: " ")
    }

    /// Hands what the TCP/UDP layer delivered to the stream registry, as stream events.
    private mutating func handOn(at stamp: RecordStamp) {
        let port = options.port, filtered = options.filter != nil
        while network.streamIDs.count < network.streams.streams.count {
            let index = network.streamIDs.count
            let info = network.streams.streams[index]
            network.streamIDs.append(registry.stream(Self.key(info, index), at: stamp, into: &output,
                                                   describe: { Self.describe(info, port: port, filtered: filtered) }))
        }
        for delivery in network.streams.deliveries {
            guard let stream = network.streamIDs[delivery.stream] else { continue }
            switch delivery.kind {
            case .data:
                let endsMessage = network.streams.streams[delivery.stream].transport == .udp
                network.streams.bytes(of: delivery).withUnsafeBytes {
                    registry.deliver(StreamEvent(.bytes($0, endsMessage: endsMessage), at: delivery.stamp), to: stream, into: &output)
                }
            case .loss(let count, let reason):
                registry.deliver(StreamEvent(.loss(.bytes(count: count, reason: reason), interruptsDecoding: true),
                                             at: delivery.stamp), to: stream, into: &output)
            }
        }
        network.streams.clearDeliveries()
    }

    private static func key(_ info: NetworkStreams.StreamInfo, _ index: Int) -> StreamKey {
        StreamKey(info.transport == .tcp ? .tcp : .udp, UInt64(index))
    }

    /// A TCP or UDP direction: RPC when on the port given (or picked by a filter), else probed.
    private static func describe(_ info: NetworkStreams.StreamInfo, port: UInt16?, filtered: Bool) -> StreamDescription {
        let onPort = port.map { info.source.port == $0 || info.destination.port == $0 }
        let decoding: StreamDecoding = onPort == false ? .ignored : onPort == true || filtered ? .rpc : .probing
        let forward = info.source < info.destination
        return StreamDescription(
            names: DirectionNames(channel: info.transport.rawValue, from: info.source.text, to: info.destination.text),
            kind: info.transport.rawValue,
            conversation: StreamKey(info.transport == .tcp ? .tcp : .udp, UInt64(info.conversation)),
            from: forward ? 0 : 1, to: forward ? 1 : 0, decoding: decoding
        )
    }

    /// The capture ended: TCP gaps still open are handed on as losses.
    mutating func finishNetwork() {
        guard !network.streams.streams.isEmpty else { return }
        let end = RecordStamp(number: summary.records, timeNs: summary.lastNs ?? 0)
        network.streams.finish(at: end)
        handOn(at: end)
    }
}
