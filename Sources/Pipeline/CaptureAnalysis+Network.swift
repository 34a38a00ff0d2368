import AnalysisCore
import Capture
import RPC

/// The transport header of one IP datagram, as the listing shows it.
struct TransportSegment {
    var sourcePort: UInt16
    var destinationPort: UInt16
    var payloadLength: Int
    /// The TCP header, for its flags and sequence number; nil for UDP.
    var tcp: TCPHeader?
}

/// What the analysis keeps for IP traffic: the IP and TCP/UDP layers, and the RPC stream and
/// summary row of each network stream.
struct NetworkPath {
    var ip = IPLayer()
    var streams = NetworkStreams()
    var rpcStream: [Int] = []
    var summaryRow: [Int] = []
    var endpoints: [SocketAddress: Int] = [:]

    mutating func endpoint(_ address: SocketAddress) -> Int {
        if let known = endpoints[address] { return known }
        endpoints[address] = endpoints.count
        return endpoints.count - 1
    }
}

extension CaptureAnalysis {
    /// A record of an IP-carrying link type: link header, IP, then TCP or UDP.
    mutating func consumeNetwork(_ record: RawRecord) {
        switch LinkHeader.decode(record.bytes, linkType: record.linkType) {
        case .other:
            return
        case .malformed(let reason):
            malformedRecord(record, reason)
        case .ip(let version, let offset):
            let packet = UnsafeRawBufferPointer(rebasing: record.bytes[offset...])
            switch network.ip.decode(packet, version) {
            case .other, .fragmentHeld:
                return
            case .malformed(let reason):
                malformedRecord(record, reason)
            case .datagram(let datagram):
                transport(datagram, record)
            }
        }
    }

    private mutating func transport(_ datagram: IPDatagram, _ record: RawRecord) {
        // A connection or flow is two streams: the layer below refuses new ones past the cap.
        network.streams.acceptsNewStreams = summary.directions.count + 2 <= options.caps.streams
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
        if network.streams.refusedRecords > 0 { reportStreamCap(at: record) }
        if network.streams.reachedWaitingCap, capsReached.first(.tcpWaitingBytes) {
            rpc.sink.finding(options.caps.reached(
                .tcpWaitingBytes, at: record.timeNs, record: record.number,
                consequence: "a connection's out-of-order data is given up as lost when more would wait"))
        }
        handOn()
    }

    private mutating func listNetworkRecord(_ record: RawRecord, _ datagram: IPDatagram, _ segment: TransportSegment) {
        guard rpc.sink.wantsRecords else { return }
        let kind = segment.tcp == nil ? "udp" : "tcp"
        let names = DirectionNames(channel: kind, from: SocketAddress(address: datagram.source, port: segment.sourcePort).text,
                                   to: SocketAddress(address: datagram.destination, port: segment.destinationPort).text)
        rpc.sink.record(RecordInfo(stamp: record.stamp, length: record.bytes.count, kind: kind, names: names,
                                   payloadLength: segment.payloadLength, detail: segment.tcp.map { Self.describe($0) }))
    }

    static func describe(_ header: TCPHeader) -> String {
        let flags = [(header.isSYN, "SYN"), (header.isFIN, "FIN"), (header.isRST, "RST"), (header.isACK, "ACK")]
            .filter(\.0).map(\.1)
        return (flags + ["seq \(header.sequence)"]).joined(separator: " ")
    }

    /// Passes what the TCP/UDP layer delivered to the RPC stage.
    private mutating func handOn() {
        while network.rpcStream.count < network.streams.streams.count { register(network.streams.streams[network.rpcStream.count]) }
        for delivery in network.streams.deliveries {
            let stream = network.rpcStream[delivery.stream]
            guard stream >= 0, !rpc.isIgnored(stream: stream) else { continue }
            let info = network.streams.streams[delivery.stream]
            let row = network.summaryRow[delivery.stream]
            switch delivery.kind {
            case .data:
                let bytes = network.streams.bytes(of: delivery)
                summary.directions[row].records += 1
                summary.directions[row].payloadBytes += bytes.count
                bytes.withUnsafeBytes {
                    rpc.feed(stream: stream, $0, origin: delivery.stamp, endsMessage: info.transport == .udp)
                }
            case .loss(let count, let reason):
                let names = summary.directions[row].names
                let amount = count > 0 ? "\(count) byte\(count == 1 ? "" : "s") missing" : "bytes missing"
                rpc.finding(Finding(
                    .captureLoss, at: delivery.stamp.timeNs, record: delivery.stamp.number,
                    "\(info.transport.rawValue) stream \(names.from)→\(names.to): \(amount) (\(reason)); its analysis may be incomplete",
                    cores: [names.from, names.to], channel: names.channel, bytes: count > 0 ? count : nil
                ), stream: stream)
                rpc.discontinuity(stream: stream)
            }
        }
        network.streams.clearDeliveries()
    }

    private mutating func register(_ info: NetworkStreams.StreamInfo) {
        let names = DirectionNames(channel: info.transport.rawValue, from: info.source.text, to: info.destination.text)
        summary.directions.append(DirectionSummary(names: names, kind: info.transport.rawValue))
        network.summaryRow.append(summary.directions.count - 1)
        let onPort = options.port.map { info.source.port == $0 || info.destination.port == $0 }
        if onPort == false {
            network.rpcStream.append(-1)
            summary.directions[summary.directions.count - 1].isRPC = false
            return
        }
        let selected = onPort == true || options.filter != nil
        let direction = Direction(channel: 1 << 20 | info.conversation, from: network.endpoint(info.source),
                                  to: network.endpoint(info.destination))
        network.rpcStream.append(rpc.addStream(direction, names: names, probing: !selected))
    }

    /// The capture ended: TCP gaps still open are reported; streams never shown to be RPC are
    /// left out of the report.
    mutating func finishNetwork() {
        guard !network.streams.streams.isEmpty else { return }
        network.streams.finish(at: RecordStamp(number: summary.records, timeNs: summary.lastNs ?? 0))
        handOn()
        for (index, stream) in network.rpcStream.enumerated() where stream < 0 || !rpc.isConfirmed(stream: stream) {
            summary.directions[network.summaryRow[index]].isRPC = false
        }
    }
}
