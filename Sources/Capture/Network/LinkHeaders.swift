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
public struct LinkHeader: Equatable {
    public enum Network: Sendable, Equatable {
        case ipv4, ipv6
    }

    /// The IP version carried, nil for a frame that is not IP (ARP, LLDP, ...): ignored, not malformed.
    public var network: Network?
    /// Where the IP packet starts.
    public var payloadOffset: Int

    public init(network: Network?, payloadOffset: Int) {
        self.network = network
        self.payloadOffset = payloadOffset
    }

    /// Field offsets of each link layer.
    public enum Ethernet {
        public static let etherType = 12
        public static let size = 14
        /// An 802.1Q/802.1ad tag before the EtherType: its TPID is where the EtherType would be.
        public static let vlanTagSize = 4
        /// The TPIDs of 802.1Q, 802.1ad and the older QinQ.
        @inline(__always)
        public static func isVLANTag(_ type: UInt16) -> Bool { type == 0x8100 || type == 0x88A8 || type == 0x9100 }
    }

    public enum LinuxCooked {
        public static let protocolType = 14
        public static let size = 16
    }

    public enum LinuxCookedV2 {
        public static let protocolType = 0
        public static let size = 20
    }

    public enum Loopback {
        /// The address family, in the writer's byte order (BSD null) or network order (OpenBSD loop).
        public static let family = 0
        public static let size = 4
        /// AF_INET everywhere; AF_INET6 on Linux (10), the BSDs (24, 28) and macOS (30).
        @inline(__always)
        static func network(ofFamily family: UInt32) -> Network? {
            switch family {
            case 2: .ipv4
            case 10, 24, 28, 30: .ipv6
            default: nil
            }
        }
    }

    public enum EtherType {
        public static let ipv4: UInt16 = 0x0800
        public static let ipv6: UInt16 = 0x86DD
    }

    /// The link header of a record of `linkType`, or why it is cut short.
    @inline(__always)
    public static func parse(_ bytes: UnsafeRawBufferPointer, linkType: Int32) -> Result<LinkHeader, RecordProblem> {
        switch linkType {
        case NetworkLinkType.ethernet:
            guard bytes.count >= Ethernet.size else { return .failure(cutShort("Ethernet", bytes.count)) }
            var offset = Ethernet.etherType
            var type = bytes.bigEndianUInt16(at: offset)
            while Ethernet.isVLANTag(type) {
                offset += Ethernet.vlanTagSize
                guard bytes.count >= offset + 2 else { return .failure(RecordProblem("VLAN tag cut short")) }
                type = bytes.bigEndianUInt16(at: offset)
            }
            return .success(ethertype(type, payloadOffset: offset + 2))
        case NetworkLinkType.linuxSLL:
            guard bytes.count >= LinuxCooked.size else { return .failure(cutShort("Linux cooked", bytes.count)) }
            return .success(ethertype(bytes.bigEndianUInt16(at: LinuxCooked.protocolType), payloadOffset: LinuxCooked.size))
        case NetworkLinkType.linuxSLL2:
            guard bytes.count >= LinuxCookedV2.size else { return .failure(cutShort("Linux cooked v2", bytes.count)) }
            return .success(ethertype(bytes.bigEndianUInt16(at: LinuxCookedV2.protocolType), payloadOffset: LinuxCookedV2.size))
        case NetworkLinkType.null, NetworkLinkType.loop:
            guard bytes.count >= Loopback.size else { return .failure(cutShort("loopback", bytes.count)) }
            let big = bytes.bigEndianUInt32(at: Loopback.family)
            let network = Loopback.network(ofFamily: big) ?? Loopback.network(ofFamily: big.byteSwapped)
            return .success(LinkHeader(network: network, payloadOffset: Loopback.size))
        default:
            guard let first = bytes.first else { return .failure(RecordProblem("empty record")) }
            switch first >> 4 {
            case 4: return .success(LinkHeader(network: .ipv4, payloadOffset: 0))
            case 6: return .success(LinkHeader(network: .ipv6, payloadOffset: 0))
            default: return .failure(RecordProblem("raw IP record of version \(first >> 4)"))
            }
        }
    }

    private static func cutShort(_ name: String, _ count: Int) -> RecordProblem {
        RecordProblem("\(name) header cut short (\(count) bytes)")
    }

    private static func ethertype(_ type: UInt16, payloadOffset: Int) -> LinkHeader {
        switch type {
        case EtherType.ipv4: LinkHeader(network: .ipv4, payloadOffset: payloadOffset)
        case EtherType.ipv6: LinkHeader(network: .ipv6, payloadOffset: payloadOffset)
        default: LinkHeader(network: nil, payloadOffset: payloadOffset)
        }
    }
}
