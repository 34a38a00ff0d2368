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

/// The network family's state: the IP and TCP/UDP layers, and the stream of each of theirs.
struct NetworkLink: LinkFamily {
    var ip = IPLayer()
    var streams = NetworkStreams()
    /// The registry's stream of each stream of the TCP/UDP layer (nil: refused at the cap), in
    /// the layer's own numbering, so that a delivery needs no lookup by key.
    var streamIDs: [StreamID?] = []

    init(options: AnalysisOptions) {
        streams.maxTotalPendingBytes = options.caps.tcpWaitingBytes
        ip.maxPendingDatagrams = options.caps.fragmentedDatagrams
    }

    static func reads(_ linkType: Int32, options: AnalysisOptions) -> Bool { NetworkLinkType.all.contains(linkType) }

    /// A record of an IP-carrying link type: link header, IP, then TCP or UDP.
    mutating func consume<Sink: AnalysisSink>(_ record: RawRecord, into context: inout LinkContext<Sink>) {
        switch LinkHeader.parse(record.bytes, linkType: record.linkType) {
        case .failure(let problem):
            context.malformedRecord(record, problem.description)
        case .success(let link):
            // Not IP (ARP, LLDP, ...): ignored, not malformed.
            guard let version = link.network else { return }
            let packet = UnsafeRawBufferPointer(rebasing: record.bytes[link.payloadOffset...])
            switch ip.decode(packet, version) {
            case .other:
                return
            case .fragmentHeld:
                // A datagram is given up only for a new one, whose first fragment is always held.
                if ip.droppedFragmentedDatagrams > 0, context.capsReached.first(.fragmentedDatagrams) {
                    context.output.finding(context.options.caps.reached(
                        .fragmentedDatagrams, at: record.timeNs, record: record.number,
                        consequence: "the datagram that has waited longest for its fragments is given up"))
                }
            case .malformed(let reason):
                context.malformedRecord(record, reason)
            case .datagram(let datagram):
                transport(datagram, record, into: &context)
            }
        }
    }

    private mutating func transport<Sink: AnalysisSink>(_ datagram: IPDatagram, _ record: RawRecord,
                                                       into context: inout LinkContext<Sink>) {
        // A connection or flow is two streams: the layer below refuses new ones past the cap.
        streams.acceptsNewStreams = context.registry.hasRoom(for: 2)
        let parsed: Result<TransportSegment, RecordProblem>
        switch datagram.transport {
        case 6:
            parsed = TCPHeader.parse(datagram.payload).map { header in
                streams.tcp(datagram, header, stamp: record.stamp)
                return TransportSegment(sourcePort: header.sourcePort, destinationPort: header.destinationPort,
                                        payloadLength: header.payload.count, tcp: header)
            }
        case 17:
            parsed = UDPHeader.parse(datagram.payload).map { header in
                streams.udp(datagram, header, stamp: record.stamp)
                return TransportSegment(sourcePort: header.sourcePort, destinationPort: header.destinationPort,
                                        payloadLength: header.payload.count, tcp: nil)
            }
        default:
            return
        }
        switch parsed {
        case .failure(let problem):
            return context.malformedRecord(record, problem.description)
        case .success(let segment):
            listNetworkRecord(record, datagram, segment, into: &context)
        }
        if streams.refusedRecords > 0 { context.registry.refused(at: record.stamp, into: &context.output) }
        if streams.reachedWaitingCap, context.capsReached.first(.tcpWaitingBytes) {
            context.output.finding(context.options.caps.reached(
                .tcpWaitingBytes, at: record.timeNs, record: record.number,
                consequence: "a connection's out-of-order data is given up as lost when more would wait"))
        }
        handOn(at: record.stamp, into: &context)
    }

    private func listNetworkRecord<Sink: AnalysisSink>(_ record: RawRecord, _ datagram: IPDatagram, _ segment: TransportSegment,
                                                    into context: inout LinkContext<Sink>) {
        guard context.output.wants.contains(.records) else { return }
        let kind = segment.tcp == nil ? "udp" : "tcp"
        let names = DirectionNames(channel: kind, from: SocketAddress(address: datagram.source, port: segment.sourcePort).text,
                                   to: SocketAddress(address: datagram.destination, port: segment.destinationPort).text)
        context.output.record(RecordInfo(stamp: record.stamp, length: record.bytes.count, kind: kind, names: names,
                                   payloadLength: segment.payloadLength, detail: segment.tcp.map { Self.describe($0) }))
    }

    static func describe(_ header: TCPHeader) -> String {
        let flags = [(header.isSYN, "SYN"), (header.isFIN, "FIN"), (header.isRST, "RST"), (header.isACK, "ACK")]
            .filter(\.0).map(\.1)
        return (flags + ["seq \(header.sequence)"]).joined(separator: " ")
    }

    /// Hands what the TCP/UDP layer delivered to the stream registry, as stream events.
    private mutating func handOn<Sink: AnalysisSink>(at stamp: RecordStamp, into context: inout LinkContext<Sink>) {
        let port = context.options.port, filtered = context.options.filter != nil
        while streamIDs.count < streams.streams.count {
            let index = streamIDs.count
            let info = streams.streams[index]
            streamIDs.append(context.registry.stream(Self.key(info, index), at: stamp, into: &context.output,
                                                   describe: { Self.describe(info, port: port, filtered: filtered) }))
        }
        for delivery in streams.deliveries {
            guard let stream = streamIDs[delivery.stream] else { continue }
            switch delivery.kind {
            case .data:
                let boundary: RecordBoundary = streams.streams[delivery.stream].transport == .udp ? .endsMessage : .none
                streams.bytes(of: delivery).withUnsafeBytes {
                    context.registry.deliver(StreamEvent(.bytes($0, boundary: boundary), at: delivery.stamp), to: stream, into: &context.output)
                }
            case .loss(let count, let reason):
                context.registry.deliver(StreamEvent(.loss(.bytes(count: count, reason: reason), interruptsDecoding: true),
                                             at: delivery.stamp), to: stream, into: &context.output)
            }
        }
        streams.clearDeliveries()
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
    mutating func finish<Sink: AnalysisSink>(into context: inout LinkContext<Sink>) {
        guard !streams.streams.isEmpty else { return }
        let end = RecordStamp(number: context.summary.records, timeNs: context.summary.lastNs ?? 0)
        streams.finish(at: end)
        handOn(at: end, into: &context)
    }
}
