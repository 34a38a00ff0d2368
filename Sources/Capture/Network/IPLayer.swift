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

    private var fragments = FragmentReassembly()
    /// Datagrams waiting for fragments, at most (each holds up to 64 KiB); past that the one
    /// that has waited longest is given up.
    public var maxPendingDatagrams: Int {
        get { fragments.maxPendingDatagrams }
        set { fragments.maxPendingDatagrams = newValue }
    }
    /// Datagrams given up at `maxPendingDatagrams`.
    public var droppedFragmentedDatagrams: Int { fragments.droppedDatagrams }
    // What reassembly holds and what it has cost, for the tests.
    var pendingFragmentedDatagrams: Int { fragments.pendingDatagrams }
    var heldFragmentBytes: Int { fragments.heldBytes }
    var reassemblyWork: Int { fragments.work }

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
        let key = FragmentReassembly.Key(source: source, destination: destination,
                                         id: UInt32(bytes.bigEndianUInt16(at: 4)), transport: transport)
        return addFragment(key, offset: fragmentOffset, bytes: payload, last: !moreFragments)
    }

    private mutating func addFragment(_ key: FragmentReassembly.Key, offset: Int, bytes: UnsafeRawBufferPointer,
                                      last: Bool) -> Outcome {
        guard offset + bytes.count <= FragmentReassembly.maxLength else { return .malformed("IP fragment past 64 KiB") }
        return fragments.add(key, offset: offset, bytes: bytes, last: last) { whole in
            .datagram(IPDatagram(source: key.source, destination: key.destination, transport: key.transport,
                                 payload: whole, truncated: false))
        } ?? .fragmentHeld
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
                    let key = FragmentReassembly.Key(source: source, destination: destination, id: id, transport: next)
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
