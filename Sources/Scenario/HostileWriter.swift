import AnalysisCore
import Capture
import MessagePack

/// Writes the records `HostileTraffic` is made of: inter-core records with their sequence
/// numbers, trace events, NuttX RPMsg records, and raw IP packets (TCP, UDP, fragments) between
/// a client per `host` and one server. Checksums are left zero: the analyzer does not check them.
struct HostileWriter {
    private let writer: CaptureWriter
    private(set) var bytes = 24
    private var time: Nanoseconds = 1_767_225_600_000_000_000
    private var sequences: [UInt32: UInt32] = [:]
    private var record: [UInt8] = []

    init(path: String, linkType: Int32) throws(CaptureError) {
        writer = try CaptureWriter(path: path, linkType: linkType)
    }

    private mutating func emit(_ data: [UInt8]) {
        time += 1_000
        data.withUnsafeBytes { writer.write(timeNs: time, bytes: $0) }
        bytes += 16 + data.count
    }

    mutating func interCore(_ kind: ChannelKind, channel: UInt8, from: UInt8, to: UInt8, _ payload: [UInt8],
                            receiverSide: Bool = false) {
        let key = Self.direction(kind, channel: channel, from: from, to: to, receiverSide: receiverSide)
        let sequence = sequences[key, default: 0]
        sequences[key] = sequence &+ 1
        var header = InterCoreHeader(kind: kind, channel: channel, source: from, destination: to, sequence: sequence)
        header.isReceiverSide = receiverSide
        emit(header.encoded + payload)
    }

    /// A record the recorder lost: its direction's sequence number is used up, nothing written.
    mutating func loseRecord(_ kind: ChannelKind, channel: UInt8, from: UInt8, to: UInt8) {
        sequences[Self.direction(kind, channel: channel, from: from, to: to, receiverSide: false), default: 0] &+= 1
    }

    private static func direction(_ kind: ChannelKind, channel: UInt8, from: UInt8, to: UInt8, receiverSide: Bool) -> UInt32 {
        UInt32(kind.rawValue) << 25 | UInt32(channel) << 17 | UInt32(from) << 9 | UInt32(to) << 1 | (receiverSide ? 1 : 0)
    }

    mutating func trace(core: UInt8, _ event: String, _ args: [MessagePackValue]) {
        interCore(.trace, channel: 0, from: core, to: 0xFF, MessagePackEncoder.encode(.array([.string(event), .array(args)])))
    }

    mutating func nuttx(source: UInt32, destination: UInt32, _ payload: [UInt8]) {
        emit(UInt32(1).littleEndianBytes + UInt32(source).littleEndianBytes + UInt32(destination).littleEndianBytes + [0, 0, 0, 0]
            + [UInt8(payload.count & 0xFF), UInt8(payload.count >> 8), 0, 0] + payload)
    }

    mutating func tcp(host: UInt32, clientPort: UInt16, seq: UInt32, _ payload: [UInt8], toServer: Bool, flags: UInt8 = 0x18) {
        let (source, destination) = toServer ? (clientPort, UInt16(7000)) : (UInt16(7000), clientPort)
        let segment = UInt16(source).bigEndianBytes + UInt16(destination).bigEndianBytes + UInt32(seq).bigEndianBytes + UInt32(0).bigEndianBytes
            + [0x50, flags] + UInt16(65_535).bigEndianBytes + [0, 0, 0, 0] + payload
        emit(Self.ipv4(protocol: 6, segment, host: host, toServer: toServer))
    }

    mutating func udp(host: UInt32, clientPort: UInt16, _ payload: [UInt8]) {
        emit(Self.ipv4(protocol: 17, UInt16(clientPort).bigEndianBytes + UInt16(7000).bigEndianBytes + UInt16(8 + payload.count).bigEndianBytes
            + [0, 0] + payload, host: host, toServer: true))
    }

    /// The first fragment (more to come) of datagram `id`: a UDP header for twice `payload`, and `payload`.
    mutating func fragment(version6: Bool, id: UInt32, _ payload: [UInt8]) {
        let udp = UInt16(5000).bigEndianBytes + UInt16(7000).bigEndianBytes + UInt16(8 + payload.count * 2).bigEndianBytes + [0, 0] + payload
        fragment(version6: version6, id: id, offset: 0, more: true, udp)
    }

    /// A fragment of UDP datagram `id`: `bytes` at `offset` (a multiple of 8) of its payload,
    /// `more` if fragments follow it.
    mutating func fragment(version6: Bool, id: UInt32, offset: Int, more: Bool, _ bytes: [UInt8]) {
        if version6 {
            // Offset in 8-byte units in the top 13 bits, the more-fragments flag in the lowest.
            let fragmentHeader: [UInt8] = [17, 0] + UInt16(offset | (more ? 1 : 0)).bigEndianBytes + UInt32(id).bigEndianBytes
            let body = fragmentHeader + bytes
            emit([0x60, 0, 0, 0] + UInt16(body.count).bigEndianBytes + [44, 64]
                + [UInt8](repeating: 0, count: 15) + [1] + [UInt8](repeating: 0, count: 15) + [2] + body)
        } else {
            var packet = Self.ipv4(protocol: 17, bytes, host: id >> 16, toServer: true, id: UInt16(id & 0xFFFF))
            let flags = UInt16(offset / 8) | (more ? 0x2000 : 0)
            packet[6] = UInt8(flags >> 8)
            packet[7] = UInt8(flags & 0xFF)
            emit(packet)
        }
    }

    mutating func close() { writer.close() }

    static func ipv4(protocol number: UInt8, _ payload: [UInt8], host: UInt32, toServer: Bool, id: UInt16 = 1) -> [UInt8] {
        let client: [UInt8] = [10, UInt8(host >> 16 & 0xFF), UInt8(host >> 8 & 0xFF), UInt8(host & 0xFF) | 2]
        let server: [UInt8] = [10, 255, 255, 1]
        return [0x45, 0] + UInt16(20 + payload.count).bigEndianBytes + UInt16(id).bigEndianBytes + [0, 0, 64, number, 0, 0]
            + (toServer ? client + server : server + client) + payload
    }
}
