#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the plain records of a classic pcap file straight from the file through one 1 MiB
/// buffer: libpcap's reader makes two `fread` calls per record, which cost more than the rest of
/// reading. Only what libpcap reads plainly is read here (a record that fits the snapshot
/// length, wholly in the file); at anything else the reader says `unusual` and the caller lets
/// libpcap take over from that record, so errors and their wording stay libpcap's.
///
/// A value, so that reading a record takes no reference count; its owner calls `close()`.
struct ClassicPcapReader {
    /// One record's fields as the file gives them, in host order.
    struct Header {
        // libpcap 1.10 reads both as signed 32-bit in a file of the host's byte order and as
        // unsigned in a swapped one (its byte swap yields an unsigned value); so does this reader.
        var seconds: Int64
        var fraction: Int64
        var capturedLength: Int
        var originalLength: Int
    }

    /// A record's time in nanoseconds since 1970, from its header in this file's precision.
    @inline(__always)
    func timeNs(of header: Header) -> Int64 {
        header.seconds * 1_000_000_000 + (isNanosecond ? header.fraction : header.fraction * 1000)
    }

    enum Next {
        case record(Header, UnsafeRawBufferPointer)
        case end
        case unusual
    }

    static let fileHeaderLength = 24
    static let recordHeaderLength = 16
    /// libpcap's largest snapshot length for ordinary link types (MAXIMUM_SNAPLEN).
    static let largestRecord = 262_144

    private let descriptor: Int32
    private let swapped: Bool
    /// Whether timestamps are in nanoseconds (else microseconds).
    let isNanosecond: Bool
    private let largestPlainRecord: Int
    private let fileLinkType: UInt32
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var atEndOfFile = false
    /// Bytes of the file taken from it so far.
    private(set) var bytesRead: Int64 = 0

    /// Nil unless `path` is a classic pcap file whose records this reader reads as libpcap does.
    init?(path: String) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        var header = [UInt8](repeating: 0, count: Self.fileHeaderLength)
        guard read(descriptor, &header, header.count) == header.count,
              let layout = Self.layout(header) else {
            closeFile(descriptor)
            return nil
        }
        self.descriptor = descriptor
        (swapped, isNanosecond, largestPlainRecord, fileLinkType) = layout
        bytesRead = Int64(Self.fileHeaderLength)
        buffer = .allocate(byteCount: 1 << 20, alignment: 8)
    }

    /// Frees the buffer and closes the file; the reader is not used again.
    func close() {
        buffer.deallocate()
        closeFile(descriptor)
    }

    /// The byte order, precision and largest plain record of a header libpcap reads without
    /// surprises: version 2.4, an ordinary link type with no flags in its upper bits.
    private static func layout(_ header: [UInt8]) -> (swapped: Bool, nanosecond: Bool, largest: Int, linkType: UInt32)? {
        let magic = UInt32(header[0]) | UInt32(header[1]) << 8 | UInt32(header[2]) << 16 | UInt32(header[3]) << 24
        let (swapped, nanosecond): (Bool, Bool)
        switch magic {
        case 0xA1B2_C3D4: (swapped, nanosecond) = (false, false)
        case 0xA1B2_3C4D: (swapped, nanosecond) = (false, true)
        case 0xD4C3_B2A1: (swapped, nanosecond) = (true, false)
        case 0x4D3C_B2A1: (swapped, nanosecond) = (true, true)
        default: return nil
        }
        func field16(_ offset: Int) -> UInt16 {
            let value = UInt16(header[offset]) | UInt16(header[offset + 1]) << 8
            return swapped ? value.byteSwapped : value
        }
        func field32(_ offset: Int) -> UInt32 {
            let value = UInt32(header[offset]) | UInt32(header[offset + 1]) << 8 | UInt32(header[offset + 2]) << 16
                | UInt32(header[offset + 3]) << 24
            return swapped ? value.byteSwapped : value
        }
        guard field16(4) == 2, field16(6) == 4 else { return nil }
        let linkType = field32(20)
        // Link types whose largest snapshot differs in libpcap (D-Bus, EBHSCR, USBPcap), and
        // flag bits above the type: libpcap's own reader decides.
        guard linkType < 0x1_0000, ![231, 249, 279].contains(linkType) else { return nil }
        let snapshot = Int(field32(16))
        let largest = snapshot == 0 || snapshot > largestRecord ? largestRecord : snapshot
        return (swapped, nanosecond, largest, linkType)
    }

    /// Whether libpcap read the same link type from the header (it maps a few old numbers).
    func linkTypeMatches(_ linkType: Int32) -> Bool { UInt32(bitPattern: linkType) == fileLinkType }

    // Inlined into its two callers: the outcome is then taken apart where it is made.
    @inline(__always)
    mutating func next() -> Next {
        guard available(Self.recordHeaderLength) else { return start == end && atEndOfFile ? .end : .unusual }
        let raw = UnsafeRawBufferPointer(rebasing: buffer[start..<start + Self.recordHeaderLength])
        func field(_ offset: Int) -> UInt32 {
            let value = raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            return swapped ? value.byteSwapped : UInt32(littleEndian: value)
        }
        func time(_ offset: Int) -> Int64 {
            swapped ? Int64(field(offset)) : Int64(Int32(bitPattern: field(offset)))
        }
        let header = Header(seconds: time(0), fraction: time(4),
                            capturedLength: Int(field(8)), originalLength: Int(field(12)))
        guard header.capturedLength <= largestPlainRecord,
              available(Self.recordHeaderLength + header.capturedLength) else { return .unusual }
        let bodyStart = start + Self.recordHeaderLength
        start = bodyStart + header.capturedLength
        bytesRead += Int64(Self.recordHeaderLength + header.capturedLength)
        return .record(header, UnsafeRawBufferPointer(rebasing: buffer[bodyStart..<start]))
    }

    /// Makes `count` bytes from `start` available; false when the file ends first.
    @inline(__always)
    private mutating func available(_ count: Int) -> Bool {
        end - start >= count || refill(count)
    }

    /// `available` once the buffer runs short: what is left moves to the front, and reads follow.
    private mutating func refill(_ count: Int) -> Bool {
        if atEndOfFile { return false }
        if start > 0 {
            if end > start { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: end - start) }
            end -= start
            start = 0
        }
        while end < count {
            let got = read(descriptor, buffer.baseAddress! + end, buffer.count - end)
            if got < 0, errno == EINTR { continue }
            if got <= 0 {
                atEndOfFile = true
                return false
            }
            end += got
        }
        return true
    }
}

/// The C library's close, under a name the reader's own `close()` does not hide.
private func closeFile(_ descriptor: Int32) {
    _ = close(descriptor)
}
