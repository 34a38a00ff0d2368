import AnalysisCore

/// An IP datagram's addresses, transport protocol and payload.
public struct IPDatagram {
    public var source: IPAddress
    public var destination: IPAddress
    public var transport: UInt8
    public var payload: UnsafeRawBufferPointer
    /// The datagram was longer on the wire than in the record (snap length).
    public var truncated: Bool
}

/// Reads IPv4 and IPv6 headers, skipping IPv6 extension headers and putting fragments of
/// either version back together. A reassembled datagram's payload lives in this decoder until the next call.
public struct IPLayer {
    public enum Outcome {
        case datagram(IPDatagram)
        /// A fragment was kept until the rest arrive.
        case fragmentHeld
        /// A protocol this analyzer does not follow (ICMP, ESP, ...).
        case other
        case malformed(String)
    }

    private struct FragmentKey: Hashable {
        var source: IPAddress
        var destination: IPAddress
        var id: UInt32
        var transport: UInt8
    }

    private struct Fragments {
        var pieces: [(offset: Int, bytes: [UInt8])] = []
        var totalLength: Int?
        var order: Int
    }

    private var fragments: [FragmentKey: Fragments] = [:]
    private var fragmentCounter = 0
    private var reassembled: [UInt8] = []
    /// Datagrams waiting for fragments, at most; past that the oldest is dropped.
    public static let maxPendingDatagrams = 64
    public private(set) var droppedFragmentedDatagrams = 0

    public init() {}

    public mutating func decode(_ bytes: UnsafeRawBufferPointer, _ network: LinkHeader.Network) -> Outcome {
        network == .ipv4 ? decodeV4(bytes) : decodeV6(bytes)
    }

    private mutating func decodeV4(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        guard bytes.count >= 20, bytes[0] >> 4 == 4 else { return .malformed("IPv4 header cut short or wrong version") }
        let headerLength = Int(bytes[0] & 0x0F) * 4
        let totalLength = Int(bytes.bigEndianUInt16(at: 2))
        guard headerLength >= 20, bytes.count >= headerLength, totalLength >= headerLength else {
            return .malformed("IPv4 header length \(headerLength) or total length \(totalLength) is impossible")
        }
        let source = IPAddress(v4: bytes, at: 12)
        let destination = IPAddress(v4: bytes, at: 16)
        let transport = bytes[9]
        let end = min(totalLength, bytes.count)
        let payload = UnsafeRawBufferPointer(rebasing: bytes[headerLength..<end])
        let flags = bytes[6] >> 5
        let fragmentOffset = (Int(bytes[6] & 0x1F) << 8 | Int(bytes[7])) * 8
        let moreFragments = flags & 1 == 1
        guard moreFragments || fragmentOffset > 0 else {
            return .datagram(IPDatagram(source: source, destination: destination, transport: transport, payload: payload,
                                        truncated: totalLength > bytes.count))
        }
        let key = FragmentKey(source: source, destination: destination, id: UInt32(bytes.bigEndianUInt16(at: 4)),
                              transport: transport)
        return addFragment(key, offset: fragmentOffset, bytes: payload, last: !moreFragments)
    }

    private mutating func addFragment(_ key: FragmentKey, offset: Int, bytes: UnsafeRawBufferPointer, last: Bool) -> Outcome {
        guard offset + bytes.count <= 65_535 else { return .malformed("IP fragment past 64 KiB") }
        if fragments[key] == nil {
            if fragments.count >= Self.maxPendingDatagrams,
               let oldest = fragments.min(by: { $0.value.order < $1.value.order })?.key {
                fragments.removeValue(forKey: oldest)
                droppedFragmentedDatagrams += 1
            }
            fragmentCounter += 1
            fragments[key] = Fragments(order: fragmentCounter)
        }
        fragments[key]!.pieces.append((offset, Array(bytes)))
        if last { fragments[key]!.totalLength = offset + bytes.count }
        guard let total = fragments[key]!.totalLength else { return .fragmentHeld }
        let pieces = fragments[key]!.pieces.sorted { $0.offset < $1.offset }
        var covered = 0
        for piece in pieces where piece.offset <= covered { covered = max(covered, piece.offset + piece.bytes.count) }
        guard covered >= total else { return .fragmentHeld }
        reassembled = [UInt8](repeating: 0, count: total)
        for piece in pieces {
            let end = min(total, piece.offset + piece.bytes.count)
            guard end > piece.offset else { continue }
            reassembled.replaceSubrange(piece.offset..<end, with: piece.bytes.prefix(end - piece.offset))
        }
        fragments.removeValue(forKey: key)
        return reassembled.withUnsafeBytes { whole in
            .datagram(IPDatagram(source: key.source, destination: key.destination, transport: key.transport,
                                 payload: whole, truncated: false))
        }
    }

    private mutating func decodeV6(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        guard bytes.count >= 40, bytes[0] >> 4 == 6 else { return .malformed("IPv6 header cut short or wrong version") }
        let payloadLength = Int(bytes.bigEndianUInt16(at: 4))
        let source = IPAddress(v6: bytes, at: 8)
        let destination = IPAddress(v6: bytes, at: 24)
        var next = bytes[6]
        var offset = 40
        let end = min(40 + payloadLength, bytes.count)
        while true {
            switch next {
            case 0, 43, 60:
                guard offset + 2 <= end else { return .malformed("IPv6 extension header cut short") }
                let length = (Int(bytes[offset + 1]) + 1) * 8
                next = bytes[offset]
                offset += length
            case 51:
                guard offset + 2 <= end else { return .malformed("IPv6 authentication header cut short") }
                let length = (Int(bytes[offset + 1]) + 2) * 4
                next = bytes[offset]
                offset += length
            case 44:
                guard offset + 8 <= end else { return .malformed("IPv6 fragment header cut short") }
                let fragmentOffset = (Int(bytes[offset + 2]) << 5 | Int(bytes[offset + 3] >> 3)) * 8
                let more = bytes[offset + 3] & 1 == 1
                next = bytes[offset]
                offset += 8
                if fragmentOffset != 0 || more {
                    let id = bytes.bigEndianUInt32(at: offset - 4)
                    let key = FragmentKey(source: source, destination: destination, id: id, transport: next)
                    return addFragment(key, offset: fragmentOffset,
                                       bytes: UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), last: !more)
                }
            default:
                guard offset <= end else { return .malformed("IPv6 extension headers run past the packet") }
                return .datagram(IPDatagram(source: source, destination: destination, transport: next,
                                            payload: UnsafeRawBufferPointer(rebasing: bytes[offset..<end]),
                                            truncated: 40 + payloadLength > bytes.count))
            }
        }
    }
}
