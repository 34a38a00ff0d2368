import AnalysisCore

/// What the C recorder's drain sends (recorder/src/icrec_drain.c, docs/recorder.md): frames
/// COBS-encoded, each ending in 0x00, each decoded frame ending in the CRC-32 of the rest.
public enum RecorderFrame: Equatable, Sendable {
    /// The stream header: clock frequency and cores.
    case header(version: UInt8, clockHz: UInt64, coreNames: [String])
    /// One v1 record (12-byte header and payload) recorded by `core` at `ticks` of the clock.
    case record(core: UInt8, ticks: UInt64, bytes: [UInt8])
    /// How far a stream's sequence numbers went and how many of its records were dropped so far.
    /// `key` is kind << 24 | channel << 16 | src << 8 | dst; all ones for records of no stream.
    case drops(core: UInt8, key: UInt32, rx: UInt8, nextSequence: UInt32, dropped: UInt32)
}

/// Cuts a byte stream into frames at each 0x00 and checks them. A frame that does not decode,
/// fails its CRC or is longer than any the recorder writes is counted as corrupt, and the next
/// 0x00 starts afresh: nothing read twice, nothing held past one frame.
public struct RecorderFrameReader {
    /// Longest encoded frame the recorder writes (a record of 64 KiB and its framing), with room.
    public static let maxFrameBytes = 70_000
    private var pending: [UInt8] = []
    private var overlong = false
    public private(set) var corruptFrames = 0
    public private(set) var corruptBytes = 0
    public private(set) var frames = 0

    public init() {}

    /// Feeds bytes as they come; hands each whole, checked frame to `body`.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ body: (RecorderFrame) -> Void) {
        for byte in bytes {
            guard byte == 0 else {
                if pending.count < Self.maxFrameBytes { pending.append(byte) } else { overlong = true; corruptBytes += 1 }
                continue
            }
            defer { pending.removeAll(keepingCapacity: true); overlong = false }
            if pending.isEmpty && !overlong { continue }
            if !overlong, let decoded = Self.unstuff(pending), let frame = Self.parse(decoded) {
                frames += 1
                body(frame)
            } else {
                corruptFrames += 1
                corruptBytes += pending.count + 1
            }
        }
    }

    /// The stream ended: bytes after the last 0x00 are a cut frame.
    public mutating func finish() {
        if !pending.isEmpty || overlong {
            corruptFrames += 1
            corruptBytes += pending.count
        }
        pending.removeAll()
        overlong = false
    }

    /// COBS decoding; nil when a code byte points past the end.
    static func unstuff(_ encoded: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(encoded.count)
        var i = 0
        while i < encoded.count {
            let code = Int(encoded[i])
            guard code != 0, i + code <= encoded.count else { return nil }
            out.append(contentsOf: encoded[(i + 1)..<(i + code)])
            i += code
            if code != 0xFF && i < encoded.count { out.append(0) }
        }
        return out
    }

    /// The frame without its CRC, if the CRC matches and the frame is one the format defines.
    static func parse(_ decoded: [UInt8]) -> RecorderFrame? {
        decoded.withUnsafeBytes { parse($0) }
    }

    private static func parse(_ decoded: UnsafeRawBufferPointer) -> RecorderFrame? {
        guard decoded.count >= 5 else { return nil }
        let b = UnsafeRawBufferPointer(rebasing: decoded[..<(decoded.count - 4)])
        guard decoded.littleEndianUInt32(at: decoded.count - 4) == CRC32.checksum(b) else { return nil }
        switch b[0] {
        case UInt8(ascii: "H"):
            guard b.count >= 11 else { return nil }
            let clock = UInt64(b.littleEndianUInt32(at: 3)) | UInt64(b.littleEndianUInt32(at: 7)) << 32
            var names: [String] = []
            var at = 11
            for _ in 0..<Int(b[2]) {
                guard at < b.count, at + 1 + Int(b[at]) <= b.count else { return nil }
                names.append(String(decoding: b[(at + 1)..<(at + 1 + Int(b[at]))], as: UTF8.self))
                at += 1 + Int(b[at])
            }
            return .header(version: b[1], clockHz: clock, coreNames: names)
        case UInt8(ascii: "R"):
            guard b.count >= 10 + 12 else { return nil }
            let ticks = UInt64(b.littleEndianUInt32(at: 2)) | UInt64(b.littleEndianUInt32(at: 6)) << 32
            return .record(core: b[1], ticks: ticks, bytes: Array(b[10...]))
        case UInt8(ascii: "D"):
            guard b.count == 15 else { return nil }
            return .drops(core: b[1], key: b.littleEndianUInt32(at: 2), rx: b[6],
                          nextSequence: b.littleEndianUInt32(at: 7), dropped: b.littleEndianUInt32(at: 11))
        default:
            return nil
        }
    }
}

/// CRC-32 (IEEE 802.3, reflected), as the recorder computes it.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var crc = UInt32(n)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        return crc
    }

    static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = (crc >> 8) ^ table[Int((crc ^ UInt32(byte)) & 0xFF)] }
        return ~crc
    }
}
