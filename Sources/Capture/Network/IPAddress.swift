#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address, kept as 16 bytes (IPv4 in the last four).
public struct IPAddress: Hashable, Sendable, Comparable {
    public var high: UInt64
    public var low: UInt64
    public var isV6: Bool

    public init(v4 bytes: UnsafeRawBufferPointer, at offset: Int) {
        high = 0
        low = UInt64(bytes[offset]) << 24 | UInt64(bytes[offset + 1]) << 16 | UInt64(bytes[offset + 2]) << 8
            | UInt64(bytes[offset + 3])
        isV6 = false
    }

    public init(v6 bytes: UnsafeRawBufferPointer, at offset: Int) {
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<8 { h = h << 8 | UInt64(bytes[offset + i]) }
        for i in 8..<16 { l = l << 8 | UInt64(bytes[offset + i]) }
        high = h
        low = l
        isV6 = true
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        (a.isV6 ? 1 : 0, a.high, a.low) < (b.isV6 ? 1 : 0, b.high, b.low)
    }

    /// Dotted quad, or RFC 5952 text for IPv6 (through inet_ntop).
    public var text: String {
        if !isV6 {
            return [24, 16, 8, 0].map { String((low >> UInt64($0)) & 0xFF) }.joined(separator: ".")
        }
        var raw = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            raw[i] = UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * i))
            raw[8 + i] = UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * i))
        }
        var buffer = [CChar](repeating: 0, count: 64)
        guard inet_ntop(AF_INET6, raw, &buffer, 64) != nil else { return raw.map { String($0, radix: 16) }.joined(separator: ":") }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// An IP address and port: named `ip:port`, or `[v6]:port`.
public struct SocketAddress: Hashable, Sendable, Comparable {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    public static func < (a: SocketAddress, b: SocketAddress) -> Bool { (a.address, a.port) < (b.address, b.port) }

    public var text: String { address.isV6 ? "[\(address.text)]:\(port)" : "\(address.text):\(port)" }
}
