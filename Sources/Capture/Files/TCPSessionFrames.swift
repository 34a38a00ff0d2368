import AnalysisCore

/// One TCP connection written as ordinary Ethernet/IPv4/TCP frames, the way `tcpdump -i lo`
/// shows loopback traffic: a handshake, each side's bytes as PSH/ACK segments with their
/// sequence and acknowledgement numbers, and a FIN per side. Checksums are computed, so
/// Wireshark's TCP view (and its checksum validation) takes the frames as real.
public struct TCPSessionFrames {
    public struct Endpoint: Sendable {
        public var address: (UInt8, UInt8, UInt8, UInt8)
        public var port: UInt16

        public init(address: (UInt8, UInt8, UInt8, UInt8), port: UInt16) {
            self.address = address
            self.port = port
        }

        /// A dotted IPv4 address, or nil.
        public init?(ipv4 text: String, port: UInt16) {
            let parts = text.split(separator: ".").compactMap { UInt8($0) }
            guard parts.count == 4, text.split(separator: ".").count == 4 else { return nil }
            self.init(address: (parts[0], parts[1], parts[2], parts[3]), port: port)
        }
    }

    /// Largest payload of one segment: an IPv4 datagram holds at most 65,535 bytes.
    public static let maxSegment = 65_495
    private let ends: [Endpoint]
    private var next: [UInt32]
    private var identification: UInt16 = 0

    /// `client` is side 0, `server` side 1.
    public init(client: Endpoint, server: Endpoint, initialSequences: (UInt32, UInt32) = (1_000, 50_000)) {
        ends = [client, server]
        next = [initialSequences.0, initialSequences.1]
    }

    private typealias Flag = TCPHeader.Flag

    /// The three frames of the handshake.
    public mutating func handshake() -> [[UInt8]] {
        let first = frame(from: 0, flags: Flag.syn, ack: 0, payload: [])
        next[0] &+= 1
        let second = frame(from: 1, flags: Flag.syn | Flag.ack, ack: next[0], payload: [])
        next[1] &+= 1
        let third = frame(from: 0, flags: Flag.ack, ack: next[1], payload: [])
        return [first, second, third]
    }

    /// Bytes sent by `side` (0 client, 1 server), in segments of at most `maxSegment`.
    public mutating func data(from side: Int, _ bytes: [UInt8]) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var offset = 0
        while offset < bytes.count {
            let chunk = Array(bytes[offset..<min(bytes.count, offset + Self.maxSegment)])
            frames.append(frame(from: side, flags: Flag.psh | Flag.ack, ack: next[1 - side], payload: chunk))
            next[side] &+= UInt32(chunk.count)
            offset += chunk.count
        }
        return frames
    }

    /// `side` closed its direction.
    public mutating func close(from side: Int) -> [UInt8] {
        let frame = frame(from: side, flags: Flag.fin | Flag.ack, ack: next[1 - side], payload: [])
        next[side] &+= 1
        return frame
    }

    private mutating func frame(from side: Int, flags: UInt8, ack: UInt32, payload: [UInt8]) -> [UInt8] {
        let source = ends[side], destination = ends[1 - side]
        identification &+= 1
        var tcp: [UInt8] = []
        tcp += source.port.bigEndianBytes
        tcp += destination.port.bigEndianBytes
        tcp += next[side].bigEndianBytes
        tcp += ack.bigEndianBytes
        tcp += [5 << 4, flags, 0xFF, 0xFF, 0, 0, 0, 0]
        tcp += payload
        let addresses = Self.bytes(source.address) + Self.bytes(destination.address)
        var pseudo = addresses + [0, 6]
        pseudo += UInt16(tcp.count).bigEndianBytes
        let tcpSum = Self.checksum(pseudo + tcp)
        tcp[16] = UInt8(tcpSum >> 8)
        tcp[17] = UInt8(tcpSum & 0xFF)
        var ip: [UInt8] = [0x45, 0]
        ip += UInt16(20 + tcp.count).bigEndianBytes
        ip += identification.bigEndianBytes
        ip += [0x40, 0, 64, 6, 0, 0] + addresses
        let ipSum = Self.checksum(ip)
        ip[10] = UInt8(ipSum >> 8)
        ip[11] = UInt8(ipSum & 0xFF)
        // Loopback's Ethernet header: zero addresses, IPv4.
        return [UInt8](repeating: 0, count: 12) + [0x08, 0x00] + ip + tcp
    }

    private static func bytes(_ address: (UInt8, UInt8, UInt8, UInt8)) -> [UInt8] {
        [address.0, address.1, address.2, address.3]
    }

    /// The Internet checksum: the one's complement of the one's complement sum of 16-bit words.
    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count {
            sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
            i += 2
        }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }
}
