import AnalysisCore

/// Link types with an IP payload that the network decoder reads.
public enum NetworkLinkType {
    public static let null: Int32 = 0          // BSD loopback: 4-byte address family, host order
    public static let ethernet: Int32 = 1
    public static let rawIP: Int32 = 101
    public static let rawIPAlternate: Int32 = 12 // DLT_RAW on some systems
    public static let loop: Int32 = 108        // OpenBSD loopback: family in network order
    public static let linuxSLL: Int32 = 113
    public static let ipv4: Int32 = 228
    public static let ipv6: Int32 = 229
    public static let linuxSLL2: Int32 = 276

    public static let all: Set<Int32> = [null, ethernet, rawIP, rawIPAlternate, loop, linuxSLL, ipv4, ipv6, linuxSLL2]
}

/// Where the IP packet starts in a link-layer frame, and which version it is: the wire views
/// of Ethernet (with any number of VLAN tags), Linux cooked capture v1 and v2, BSD loopback and
/// raw IP.
public enum LinkHeader {
    public enum Network: Sendable, Equatable {
        case ipv4, ipv6
    }

    public enum Outcome: Equatable {
        case ip(Network, payloadOffset: Int)
        /// Not IP (ARP, LLDP, ...): ignored, not malformed.
        case other
        case malformed(String)
    }

    @inline(__always)
    public static func decode(_ bytes: UnsafeRawBufferPointer, linkType: Int32) -> Outcome {
        switch linkType {
        case NetworkLinkType.ethernet:
            guard bytes.count >= 14 else { return .malformed("Ethernet header cut short (\(bytes.count) bytes)") }
            var offset = 12
            var type = bytes.bigEndianUInt16(at: offset)
            while type == 0x8100 || type == 0x88A8 || type == 0x9100 {
                offset += 4
                guard bytes.count >= offset + 2 else { return .malformed("VLAN tag cut short") }
                type = bytes.bigEndianUInt16(at: offset)
            }
            return ethertype(type, payloadOffset: offset + 2)
        case NetworkLinkType.linuxSLL:
            guard bytes.count >= 16 else { return .malformed("Linux cooked header cut short (\(bytes.count) bytes)") }
            return ethertype(bytes.bigEndianUInt16(at: 14), payloadOffset: 16)
        case NetworkLinkType.linuxSLL2:
            guard bytes.count >= 20 else { return .malformed("Linux cooked v2 header cut short (\(bytes.count) bytes)") }
            return ethertype(bytes.bigEndianUInt16(at: 0), payloadOffset: 20)
        case NetworkLinkType.null, NetworkLinkType.loop:
            guard bytes.count >= 4 else { return .malformed("loopback header cut short (\(bytes.count) bytes)") }
            let big = bytes.bigEndianUInt32(at: 0)
            let little = big.byteSwapped
            for family in [big, little] {
                switch family {
                case 2: return .ip(.ipv4, payloadOffset: 4)
                case 10, 24, 28, 30: return .ip(.ipv6, payloadOffset: 4)
                default: continue
                }
            }
            return .other
        default:
            guard let first = bytes.first else { return .malformed("empty record") }
            switch first >> 4 {
            case 4: return .ip(.ipv4, payloadOffset: 0)
            case 6: return .ip(.ipv6, payloadOffset: 0)
            default: return .malformed("raw IP record of version \(first >> 4)")
            }
        }
    }

    private static func ethertype(_ type: UInt16, payloadOffset: Int) -> Outcome {
        switch type {
        case 0x0800: .ip(.ipv4, payloadOffset: payloadOffset)
        case 0x86DD: .ip(.ipv6, payloadOffset: payloadOffset)
        default: .other
        }
    }
}
