import AnalysisCore
#if canImport(Glibc)
import Glibc
#endif

/// A pcapng reader of this project's own, for what libpcap refuses: sections whose interfaces
/// have different link types (what mergecap makes of an inter-core capture and a TCP capture).
/// Every packet keeps its interface's link type and timestamp resolution. Unknown block types
/// are skipped, as the format asks of readers.
final class PcapngReader {
    struct Interface {
        var linkType: Int32
        /// Timestamp units per second.
        var unitsPerSecond: UInt64 = 1_000_000
    }

    enum Next {
        case packet(timeNs: Int64, originalLength: Int, linkType: Int32, data: UnsafeRawBufferPointer)
        case end
        case broken(String)
        /// A packet whose time in nanoseconds does not fit in 64 bits.
        case timeOutOfRange(seconds: Int64)
        /// An interface was described (only when asked to stop there).
        case interface
    }

    private let file: UnsafeMutablePointer<FILE>
    private var bigEndian = false
    private(set) var interfaces: [Interface] = []
    private var block: [UInt8] = []
    private var offset: UInt64 = 0
    /// Bytes of the file read so far.
    public var bytesRead: UInt64 { offset }
    static let maxBlock = 64 << 20

    init?(path: String) {
        guard path != "-", let file = fopen(path, "rb") else { return nil }
        self.file = file
    }

    /// Reads `file` from its current position, and closes it.
    init(file: UnsafeMutablePointer<FILE>) {
        self.file = file
    }

    private func read(_ buffer: inout [UInt8], count: Int) -> Int {
        fread(&buffer, 1, count, file)
    }

    /// Reads the section and interface headers up to the first interface: its link type, or
    /// why the stream is not a pcapng file that can be read.
    func firstLinkType() -> Result<Int32, CaptureStreamProblem> {
        switch next(stoppingAtInterface: true) {
        case .interface: return .success(interfaces[0].linkType)
        case .broken(let reason): return .failure(CaptureStreamProblem(reason: reason))
        default: return .failure(CaptureStreamProblem(reason: "no interface is described before its first packet"))
        }
    }

    /// The current packet's bytes, owned here and valid until the next read.
    private var packetBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)

    deinit {
        fclose(file)
        packetBuffer.deallocate()
    }

    private func u32(_ at: Int) -> UInt32 {
        let raw = UInt32(block[at]) | UInt32(block[at + 1]) << 8 | UInt32(block[at + 2]) << 16 | UInt32(block[at + 3]) << 24
        return bigEndian ? raw.byteSwapped : raw
    }

    private func u16(_ at: Int) -> UInt16 {
        let raw = UInt16(block[at]) | UInt16(block[at + 1]) << 8
        return bigEndian ? raw.byteSwapped : raw
    }

    /// Reads blocks until the next packet.
    func next(stoppingAtInterface: Bool = false) -> Next {
        while true {
            var head = [UInt8](repeating: 0, count: 8)
            let got = read(&head, count: 8)
            if got == 0 { return .end }
            guard got == 8 else { return .broken("the file ends inside a block header at byte \(offset)") }
            let type = UInt32(head[0]) | UInt32(head[1]) << 8 | UInt32(head[2]) << 16 | UInt32(head[3]) << 24
            if type == 0x0A0D_0D0A {
                // Section header: its byte-order magic follows the length.
                var magic = [UInt8](repeating: 0, count: 4)
                guard read(&magic, count: 4) == 4 else { return .broken("section header cut short at byte \(offset)") }
                bigEndian = magic == [0x1A, 0x2B, 0x3C, 0x4D]
                block = head + magic
                interfaces = []
                guard let rest = readRest(length: Int(u32(4)), have: 12) else { return .broken(lengthProblem) }
                offset += UInt64(rest)
                continue
            }
            block = head
            let length = Int(u32(4))
            let blockType = bigEndian ? type.byteSwapped : type
            guard let total = readRest(length: length, have: 8) else { return .broken(lengthProblem) }
            let start = offset
            offset += UInt64(total)
            switch blockType {
            case 1:
                guard block.count >= 20 else { return .broken("interface block at byte \(start) is too short") }
                interfaces.append(Interface(linkType: Int32(u16(8)), unitsPerSecond: resolution(options: 16)))
                if stoppingAtInterface { return .interface }
            case 6:
                // Enhanced packet block: a 32-bit interface number.
                return packetBlock(start: start, interface: Int(u32(8)))
            case 3:
                guard !interfaces.isEmpty, block.count >= 16 else { return .broken("simple packet block at byte \(start) before any interface") }
                let original = Int(u32(8))
                let captured = min(original, block.count - 16)
                return packet(ticks: 0, interface: 0, originalLength: original, range: 12..<(12 + captured))
            case 2:
                // The obsolete packet block: a 16-bit interface number, then the same layout.
                return packetBlock(start: start, interface: Int(u16(8)))
            default:
                continue
            }
        }
    }

    /// Interface, 64-bit timestamp at 12, captured and original lengths at 20 and 24, data at 28.
    private func packetBlock(start: UInt64, interface: Int) -> Next {
        guard block.count >= 32 else { return .broken("packet block at byte \(start) is too short") }
        guard interface < interfaces.count else {
            return .broken("packet block at byte \(start) names interface \(interface), which is not declared")
        }
        let captured = Int(u32(20))
        guard 28 + captured <= block.count - 4 else {
            return .broken("packet block at byte \(start) says \(captured) bytes, more than it holds")
        }
        let ticks = UInt64(u32(12)) << 32 | UInt64(u32(16))
        return packet(ticks: ticks, interface: interface, originalLength: Int(u32(24)), range: 28..<(28 + captured))
    }

    /// Why the last `readRest` failed.
    private var lengthProblem = ""

    /// Reads the rest of a block of `length` bytes of which `have` are in `block`; checks the
    /// trailing copy of the length. Returns the block's length, or nil when it is broken.
    private func readRest(length: Int, have: Int) -> Int? {
        guard length >= 12, length % 4 == 0, length <= Self.maxBlock, length >= have + 4 else {
            lengthProblem = "the block at byte \(offset) has an impossible length (\(length))"
            return nil
        }
        var rest = [UInt8](repeating: 0, count: length - have)
        guard read(&rest, count: rest.count) == rest.count else {
            lengthProblem = "the file ends inside the block at byte \(offset)"
            return nil
        }
        block += rest
        guard Int(u32(length - 4)) == length else {
            lengthProblem = "the block at byte \(offset) ends with a length that does not match its start"
            return nil
        }
        return length
    }

    /// if_tsresol (option 9): 10^-n, or 2^-n with the top bit set. Microseconds by default.
    private func resolution(options start: Int) -> UInt64 {
        var at = start
        while at + 4 <= block.count - 4 {
            let code = u16(at), length = Int(u16(at + 2))
            if code == 0 { break }
            if code == 9, length >= 1, at + 4 < block.count {
                let value = block[at + 4]
                if value & 0x80 != 0 { return 1 << UInt64(min(63, value & 0x7F)) }
                var units: UInt64 = 1
                for _ in 0..<min(19, Int(value)) { units *= 10 }
                return units
            }
            at += 4 + (length + 3) / 4 * 4
        }
        return 1_000_000
    }

    private func packet(ticks: UInt64, interface: Int, originalLength: Int, range: Range<Int>) -> Next {
        let units = interfaces[interface].unitsPerSecond
        let seconds = ticks / units
        let fraction = ticks % units
        guard seconds <= UInt64(Int64.max), let whole = Int64(seconds).multipliedExactly(by: 1_000_000_000) else {
            return .timeOutOfRange(seconds: Int64(clamping: seconds))
        }
        // fraction × 10^9 may pass 64 bits; the quotient is under 10^9.
        let (part, _) = units.dividingFullWidth(fraction.multipliedFullWidth(by: 1_000_000_000))
        let ns = whole.saturatingAdding(Int64(part))
        if packetBuffer.count < range.count {
            packetBuffer.deallocate()
            packetBuffer = .allocate(byteCount: range.count, alignment: 8)
        }
        block.withUnsafeBytes { source in
            packetBuffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[range]))
        }
        let data = UnsafeRawBufferPointer(rebasing: packetBuffer[..<range.count])
        return .packet(timeNs: ns, originalLength: originalLength, linkType: interfaces[interface].linkType, data: data)
    }
}

/// Why a stream could not be read as a capture.
struct CaptureStreamProblem: Error {
    var reason: String
}
