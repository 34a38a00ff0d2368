import Capture
import Foundation
import MessagePack
import Pipeline
import Report

/// Builds IP traffic frame by frame for tests: Ethernet (optionally VLAN-tagged), Linux cooked
/// or BSD loopback around IPv4 or IPv6 around TCP or UDP.
struct PacketBuilder {
    enum Link { case ethernet, vlan, sll, null }

    var link: Link = .ethernet
    var v6 = false
    var frames: [(Int64, [UInt8])] = []
    var time: Int64 = 1_767_225_600_000_000_000

    var linkType: Int32 {
        switch link {
        case .ethernet, .vlan: 1
        case .sll: 113
        case .null: 0
        }
    }

    static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    func linkHeader() -> [UInt8] {
        let ethertype = v6 ? 0x86DD : 0x0800
        switch link {
        case .ethernet: return [UInt8](repeating: 2, count: 12) + Self.be16(ethertype)
        case .vlan: return [UInt8](repeating: 2, count: 12) + [0x81, 0x00, 0x00, 0x05] + Self.be16(ethertype)
        case .sll: return [0, 0, 0, 1, 0, 6] + [UInt8](repeating: 0, count: 8) + Self.be16(ethertype)
        case .null: return v6 ? [10, 0, 0, 0] : [2, 0, 0, 0]
        }
    }

    /// An IP packet; IPv4 may be a fragment (`offset` in bytes, `more` fragments follow).
    func ip(_ transport: UInt8, _ payload: [UInt8], from a: UInt8, to b: UInt8, id: Int = 1, offset: Int = 0,
            more: Bool = false, hopByHop: Bool = false) -> [UInt8] {
        if v6 {
            var body = payload
            var next = transport
            if offset > 0 || more {
                body = [transport, 0] + Self.be16(offset | (more ? 1 : 0)) + Self.be32(UInt32(id)) + payload
                next = 44
            }
            if hopByHop {
                body = [transport, 0, 0, 0, 0, 0, 0, 0] + payload
                next = 0
            }
            let address = { (last: UInt8) in [UInt8](repeating: 0, count: 15) + [last] }
            return [0x60, 0, 0, 0] + Self.be16(body.count) + [next, 64] + address(a) + address(b) + body
        }
        let flags = (more ? 0x2000 : 0) | (offset / 8)
        return [0x45, 0] + Self.be16(20 + payload.count) + Self.be16(id) + Self.be16(flags) + [64, transport, 0, 0]
            + [10, 0, 0, a] + [10, 0, 0, b] + payload
    }

    func tcp(_ payload: [UInt8], sport: Int, dport: Int, seq: UInt32, flags: UInt8 = 0x18) -> [UInt8] {
        Self.be16(sport) + Self.be16(dport) + Self.be32(seq) + Self.be32(0) + [0x50, flags] + Self.be16(65535) + [0, 0, 0, 0] + payload
    }

    func udp(_ payload: [UInt8], sport: Int, dport: Int) -> [UInt8] {
        Self.be16(sport) + Self.be16(dport) + Self.be16(8 + payload.count) + [0, 0] + payload
    }

    mutating func add(_ packet: [UInt8], after microseconds: Int64 = 10) {
        time += microseconds * 1000
        frames.append((time, linkHeader() + packet))
    }

    /// Client 1:40000 to server 2:7000.
    mutating func client(_ payload: [UInt8], seq: UInt32, flags: UInt8 = 0x18) {
        add(ip(6, tcp(payload, sport: 40000, dport: 7000, seq: seq, flags: flags), from: 1, to: 2))
    }

    mutating func server(_ payload: [UInt8], seq: UInt32, flags: UInt8 = 0x18) {
        add(ip(6, tcp(payload, sport: 7000, dport: 40000, seq: seq, flags: flags), from: 2, to: 1))
    }

    func write(_ name: String) throws -> String {
        let path = Paths.temporary(name)
        let writer = try CaptureWriter(path: path, linkType: linkType)
        for (time, bytes) in frames { writer.write(timeNs: time, bytes: bytes) }
        writer.close()
        return path
    }

    func analyse(_ name: String, options: AnalysisOptions = AnalysisOptions()) throws -> ReportCollector {
        try CaptureAnalysis.run(path: try write(name), options: options, sink: ReportCollector.complete).sink
    }
}

func request(_ msgid: UInt64, _ method: String, _ params: [MessagePackValue] = []) -> [UInt8] {
    MessagePackEncoder.encode(.array([.uint(0), .uint(msgid), .string(method), .array(params)]))
}

func response(_ msgid: UInt64, _ result: MessagePackValue = .nil) -> [UInt8] {
    MessagePackEncoder.encode(.array([.uint(1), .uint(msgid), .nil, result]))
}
