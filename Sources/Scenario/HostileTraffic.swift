import AnalysisCore
import Capture
import MessagePack

/// Captures shaped to make an analyzer grow state or repeat work: many streams, connections,
/// flows, names, locks or devices, data that waits for ever, junk that keeps starting values.
/// Tests analyse them small; `rpc-analyze bench --hostile` analyses them large and reports time
/// per byte and peak memory against an ordinary capture.
public enum HostileTraffic: String, CaseIterable, Sendable {
    case ordinary = "ordinary-calls"
    case lossyRecorder = "lossy-recorder"
    case tcpConnections = "tcp-connections"
    case udpFlows = "udp-flows"
    case udpJunk = "udp-junk"
    case nuttxAddresses = "nuttx-addresses"
    case interCoreStreams = "intercore-streams"
    case ipv4Fragments = "ipv4-fragments"
    case ipv6Fragments = "ipv6-fragments"
    case fragmentRepeatV4 = "fragment-repeat-v4"
    case fragmentRepeatV6 = "fragment-repeat-v6"
    case tcpReversed = "tcp-reversed"
    case tcpHoles = "tcp-holes"
    case traceDevices = "trace-devices"
    case lockReacquired = "lock-reacquired"
    case locksHeld = "locks-held"
    case methodNames = "method-names"
    case longMethodNames = "long-method-names"
    case unanswered = "unanswered-requests"
    case unpoppedMailbox = "unpopped-mailbox"
    case unfinishedValues = "unfinished-values"
    case arrayJunk = "array-junk"
    case siblingRunJunk = "sibling-run-junk"
    case longMethodName = "long-method-name"
    case traceBlobs = "trace-blobs"
    case uartFlood = "uart-flood"

    /// What the capture is, for the benchmark's table.
    public var summary: String {
        switch self {
        case .ordinary: "ordinary calls and answers on one message channel"
        case .lossyRecorder: "ordinary calls from a recorder that loses one record in four (a capture-loss finding each)"
        case .tcpConnections: "one call on each of many TCP connections"
        case .udpFlows: "one call on each of many UDP flows"
        case .udpJunk: "non-RPC datagrams on many UDP flows"
        case .nuttxAddresses: "NuttX RPMsg calls between many address pairs"
        case .interCoreStreams: "one call on each of many inter-core streams"
        case .ipv4Fragments: "IPv4 fragments, each sent twice, of datagrams never completed"
        case .ipv6Fragments: "IPv6 fragments, each sent twice, of datagrams never completed"
        case .fragmentRepeatV4: "one IPv4 datagram's last fragment, then one middle fragment again and again, then a call"
        case .fragmentRepeatV6: "one IPv6 datagram's last fragment, then one middle fragment again and again, then a call"
        case .tcpReversed: "one TCP connection whose segments arrive in reverse order"
        case .tcpHoles: "many TCP connections each waiting on a hole"
        case .traceDevices: "dev.begin/dev.end on many devices"
        case .lockReacquired: "one lock acquired and released again and again"
        case .locksHeld: "locks acquired and never released"
        case .methodNames: "calls to many distinct methods"
        case .longMethodNames: "calls to many distinct methods with 64 kB names"
        case .unanswered: "requests never answered"
        case .unpoppedMailbox: "mailbox pushes never popped, receiver side recorded"
        case .unfinishedValues: "a value started on each of many message channels, never finished"
        case .arrayJunk: "junk that keeps starting arrays, then calls"
        case .siblingRunJunk: "junk in which every eighth offset opens an array over all the junk after it, then calls"
        case .longMethodName: "calls whose 200 kB method names span 64 KiB mailbox records"
        case .traceBlobs: "trace events of an unknown kind carrying 60 kB each"
        case .uartFlood: "64 kB UART writes, far faster than the line's baud rate carries them"
        }
    }

    /// Writes about `targetBytes` of this shape to `path`.
    public func write(to path: String, targetBytes: Int) throws(CaptureError) {
        var out = try HostileWriter(path: path, linkType: linkType)
        switch self {
        case .ordinary:
            var n = 0
            while out.bytes < targetBytes {
                out.interCore(.message, channel: 0, from: 0, to: 1, Self.request(UInt64(n & 0xFFFF), "servo_write"))
                out.interCore(.message, channel: 0, from: 1, to: 0, Self.response(UInt64(n & 0xFFFF)))
                n += 1
            }
        case .lossyRecorder:
            var n = 0
            while out.bytes < targetBytes {
                out.interCore(.message, channel: 0, from: 0, to: 1, Self.request(UInt64(n & 0xFFFF), "servo_write"))
                out.interCore(.message, channel: 0, from: 1, to: 0, Self.response(UInt64(n & 0xFFFF)))
                if n % 2 == 1 { out.loseRecord(.message, channel: 0, from: 0, to: 1) }
                n += 1
            }
        case .tcpConnections:
            var n = 0
            while out.bytes < targetBytes {
                let port = UInt16(1024 + n % 60_000), host = UInt32(n / 60_000)
                out.tcp(host: host, clientPort: port, seq: 1, Self.request(1, "ping"), toServer: true)
                out.tcp(host: host, clientPort: port, seq: 1, Self.response(1), toServer: false)
                n += 1
            }
        case .udpFlows, .udpJunk:
            var n = 0
            while out.bytes < targetBytes {
                let port = UInt16(1024 + n % 60_000), host = UInt32(n / 60_000)
                let payload = self == .udpJunk ? [UInt8](repeating: 0xC1, count: 64) : Self.request(1, "ping")
                out.udp(host: host, clientPort: port, payload)
                n += 1
            }
        case .nuttxAddresses:
            var n: UInt32 = 0
            while out.bytes < targetBytes {
                out.nuttx(source: 0x400 + n, destination: 0x10_0000 + n, Self.request(1, "ping"))
                out.nuttx(source: 0x10_0000 + n, destination: 0x400 + n, Self.response(1))
                n += 1
            }
        case .interCoreStreams:
            var n = 0
            while out.bytes < targetBytes {
                let kind = [ChannelKind.mailbox, .message, .uart][n % 3]
                out.interCore(kind, channel: UInt8(n / 3 % 256), from: UInt8(n / 768 % 254), to: UInt8((n / 768 + 1) % 254),
                              Self.request(1, "ping"))
                n += 1
            }
        case .ipv4Fragments, .ipv6Fragments:
            var n: UInt32 = 0
            while out.bytes < targetBytes {
                // The first fragment of each datagram, twice; its last never comes.
                for _ in 0..<2 { out.fragment(version6: self == .ipv6Fragments, id: n, [UInt8](repeating: 0x41, count: 64)) }
                n += 1
            }
        case .fragmentRepeatV4, .fragmentRepeatV6:
            // The last fragment tells the datagram's length; its first never comes, so every copy of
            // the same 8 bytes at offset 8 is checked against what the datagram already holds.
            let version6 = self == .fragmentRepeatV6
            out.fragment(version6: version6, id: 7, offset: 1_480, more: false, [UInt8](repeating: 0x42, count: 520))
            while out.bytes < targetBytes {
                out.fragment(version6: version6, id: 7, offset: 8, more: true, [UInt8](repeating: 0x41, count: 8))
            }
            // A legal call after them: nothing past the fragments may be lost.
            out.tcp(host: 0, clientPort: 4000, seq: 1, Self.request(1, "ping"), toServer: true)
            out.tcp(host: 0, clientPort: 4000, seq: 1, Self.response(1), toServer: false)
        case .tcpReversed:
            var segments: [(UInt32, [UInt8])] = []
            var seq: UInt32 = 1, size = 0
            while size < targetBytes {
                let message = Self.request(UInt64(segments.count & 0xFFFF), "ping")
                segments.append((seq, message))
                seq &+= UInt32(message.count)
                size += message.count + 40 + 16
            }
            // The SYN sets where the stream starts, so every later segment waits for the ones before it.
            out.tcp(host: 0, clientPort: 4000, seq: 0, [], toServer: true, flags: 0x02)
            for (seq, message) in segments.reversed() { out.tcp(host: 0, clientPort: 4000, seq: seq, message, toServer: true) }
        case .tcpHoles:
            var n = 0
            while out.bytes < targetBytes {
                let port = UInt16(1024 + n % 60_000), host = UInt32(n / 60_000)
                out.tcp(host: host, clientPort: port, seq: 1, Self.request(1, "ping"), toServer: true)
                // A hole of one byte, then data that must wait for it.
                out.tcp(host: host, clientPort: port, seq: 1 + 1 + UInt32(Self.request(1, "ping").count),
                        [UInt8](repeating: 0x90, count: 1200), toServer: true)
                n += 1
            }
        case .traceBlobs:
            let blob = MessagePackValue.string(String(repeating: "b", count: 60_000))
            var n = 0
            while out.bytes < targetBytes {
                out.trace(core: UInt8(n % 2), "vendor.blob", [blob, .uint(UInt64(n))])
                n += 1
            }
        case .uartFlood:
            let bytes = [UInt8](repeating: 0x2A, count: 65_536)
            while out.bytes < targetBytes {
                out.interCore(.uart, channel: 0, from: 0, to: 0xFE, bytes)
            }
        case .traceDevices:
            var n = 0
            while out.bytes < targetBytes {
                let device = MessagePackValue.string("DEV\(n)")
                out.trace(core: UInt8(n % 2), "dev.begin", [device])
                out.trace(core: UInt8(n % 2), "dev.end", [device])
                n += 1
            }
        case .lockReacquired:
            var n = 0
            while out.bytes < targetBytes {
                out.trace(core: UInt8(n % 2), "lock.acquire", [.uint(3)])
                out.trace(core: UInt8(n % 2), "lock.release", [.uint(3)])
                n += 1
            }
        case .locksHeld:
            var n: UInt64 = 0
            while out.bytes < targetBytes {
                out.trace(core: UInt8(n % 2), "lock.acquire", [.uint(n)])
                n += 1
            }
        case .methodNames, .longMethodNames:
            var n = 0
            let padding = self == .longMethodNames ? String(repeating: "x", count: 65_536) : ""
            while out.bytes < targetBytes {
                out.interCore(.message, channel: 0, from: 0, to: 1, Self.request(UInt64(n & 0xFFFF), "method_\(n)" + padding))
                out.interCore(.message, channel: 0, from: 1, to: 0, Self.response(UInt64(n & 0xFFFF)))
                n += 1
            }
        case .unanswered:
            var n: UInt64 = 0
            while out.bytes < targetBytes {
                out.interCore(.message, channel: 0, from: 0, to: 1, Self.request(n & 0xFFFF_FFFF, "servo_write"))
                n += 1
            }
        case .unpoppedMailbox:
            var n = 0
            out.interCore(.mailbox, channel: 0, from: 0, to: 1, [0x90, 0x90, 0x90, 0x90], receiverSide: true)
            while out.bytes < targetBytes {
                out.interCore(.mailbox, channel: 0, from: 0, to: 1, Self.request(UInt64(n & 0xFFFF), "servo_write"))
                n += 1
            }
        case .unfinishedValues:
            var n = 0
            while out.bytes < targetBytes {
                // A bin 32 header declaring 4 MiB, and a little of its body.
                out.interCore(.message, channel: UInt8(n % 256), from: UInt8(n / 256 % 254), to: 0xFF,
                              [0x93, 0x02, 0xC6, 0x00, 0x3F, 0xFF, 0x00] + [UInt8](repeating: 0x20, count: 1000))
                n += 1
            }
        case .arrayJunk:
            var generator = SplitMix64(seed: 1)
            let alphabet: [UInt8] = [0x90, 0x91, 0x93, 0x94, 0x9F, 0xDC, 0xDD, 0x00, 0x01, 0x02]
            while out.bytes < targetBytes {
                let junk = (0..<60_000).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
                out.interCore(.uart, channel: 0, from: 0, to: 0xFE, junk + [0xC1] + Self.request(1, "ping"))
            }
        case .siblingRunJunk:
            // Read from a unit's start, each unit is a str of 7 bytes; read one byte in, it is
            // [0, array 32 of 4,194,288 elements...] whose elements are the units after it, so
            // every such offset walks on to the value-size limit before it fails. Blocks of
            // 5 MiB, longer than that limit, each after an invalid byte and before the calls.
            let unit: [UInt8] = [0xA7, 0x94, 0x00, 0xDD, 0x00, 0x3F, 0xFF, 0xF0]
            let record = Array([[UInt8]](repeating: unit, count: 65_536 / unit.count).joined())
            var n = 0
            while out.bytes < targetBytes {
                out.interCore(.mailbox, channel: 0, from: 0, to: 1, [0xC1])
                for _ in 0..<(5 << 20) / record.count where out.bytes < targetBytes {
                    out.interCore(.mailbox, channel: 0, from: 0, to: 1, record)
                }
                out.interCore(.mailbox, channel: 0, from: 0, to: 1,
                              (0..<64).flatMap { i in Self.request(UInt64((n + i) & 0xFFFF), "ping") })
                n += 64
            }
        case .longMethodName:
            var n = 0
            while out.bytes < targetBytes {
                let name = String(repeating: "m", count: 200_000) + "\(n)"
                let message = Self.request(UInt64(n & 0xFFFF), name)
                var offset = 0
                while offset < message.count {
                    let end = min(message.count, offset + 65_536)
                    out.interCore(.mailbox, channel: 0, from: 0, to: 1, Array(message[offset..<end]))
                    offset = end
                }
                out.interCore(.mailbox, channel: 0, from: 1, to: 0, Self.response(UInt64(n & 0xFFFF)))
                n += 1
            }
        }
        out.close()
    }

    private var linkType: Int32 {
        switch self {
        case .tcpConnections, .udpFlows, .udpJunk, .ipv4Fragments, .ipv6Fragments, .fragmentRepeatV4, .fragmentRepeatV6,
             .tcpReversed, .tcpHoles:
            NetworkLinkType.rawIPAlternate // DLT_RAW; written to the file as LINKTYPE_RAW (101)
        default: LinkType.user0
        }
    }

    static func request(_ msgid: UInt64, _ method: String) -> [UInt8] {
        MessagePackEncoder.encode(.array([.uint(0), .uint(msgid), .string(method), .array([.uint(1), .uint(90)])]))
    }

    static func response(_ msgid: UInt64) -> [UInt8] {
        MessagePackEncoder.encode(.array([.uint(1), .uint(msgid), .nil, .uint(0)]))
    }
}
