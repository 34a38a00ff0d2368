import Foundation

/// Builds capture files byte by byte, for the layouts libpcap reads but our writer does not
/// produce (the other byte order, microseconds, pcapng).
enum CaptureFileBytes {
    struct Record {
        var timeNs: Int64
        var bytes: [UInt8]
        var originalLength: Int? = nil
    }

    static func classic(_ records: [Record], bigEndian: Bool, nanosecond: Bool, linkType: UInt32 = 147) -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { out += bigEndian ? v.bigEndianBytes : v.littleEndianBytes }
        func u16(_ v: UInt16) { out += bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
        u32(nanosecond ? 0xA1B2_3C4D : 0xA1B2_C3D4)
        u16(2); u16(4)
        u32(0); u32(0)
        u32(262_144)
        u32(linkType)
        for r in records {
            u32(UInt32(r.timeNs / 1_000_000_000))
            let fraction = r.timeNs % 1_000_000_000
            u32(UInt32(nanosecond ? fraction : fraction / 1000))
            u32(UInt32(r.bytes.count))
            u32(UInt32(r.originalLength ?? r.bytes.count))
            out += r.bytes
        }
        return out
    }

    /// A little-endian pcapng section with one interface at nanosecond resolution.
    static func pcapng(_ records: [Record], linkType: UInt16 = 147) -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { out += v.littleEndianBytes }
        func u16(_ v: UInt16) { out += [UInt8(v & 0xFF), UInt8(v >> 8)] }
        // Section header block.
        u32(0x0A0D_0D0A); u32(28); u32(0x1A2B_3C4D); u16(1); u16(0); u32(0xFFFF_FFFF); u32(0xFFFF_FFFF); u32(28)
        // Interface description block with if_tsresol = 9 (nanoseconds).
        u32(1); u32(32); u16(linkType); u16(0); u32(262_144)
        u16(9); u16(1); out += [9, 0, 0, 0]
        u16(0); u16(0)
        u32(32)
        for r in records {
            let padded = (r.bytes.count + 3) & ~3
            let total = UInt32(32 + padded)
            u32(6); u32(total); u32(0)
            let ts = UInt64(r.timeNs)
            u32(UInt32(ts >> 32)); u32(UInt32(ts & 0xFFFF_FFFF))
            u32(UInt32(r.bytes.count)); u32(UInt32(r.originalLength ?? r.bytes.count))
            out += r.bytes + [UInt8](repeating: 0, count: padded - r.bytes.count)
            u32(total)
        }
        return out
    }

    static func write(_ bytes: [UInt8], name: String) throws -> String {
        let path = temporaryPath(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func temporaryPath(_ name: String) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rpc-analyze-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }
}

extension UInt32 {
    var bigEndianBytes: [UInt8] { [UInt8(self >> 24), UInt8((self >> 16) & 0xFF), UInt8((self >> 8) & 0xFF), UInt8(self & 0xFF)] }
    var littleEndianBytes: [UInt8] { Array(bigEndianBytes.reversed()) }
}
