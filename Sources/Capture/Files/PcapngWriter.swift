import AnalysisCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes a pcapng file: one section, one interface with nanosecond timestamps, and an
/// enhanced packet block per record, flushed as it goes so that a stop keeps what was written.
public final class PcapngWriter {
    private let file: UnsafeMutablePointer<FILE>
    public let path: String

    public init(path: String, linkType: Int32, interfaceName: String? = nil) throws(CaptureError) {
        // `-` is standard output, as for libpcap's writer.
        guard let file = path == "-" ? fdopen(dup(STDOUT_FILENO), "wb") : fopen(path, "wb") else {
            throw .cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        self.file = file
        self.path = path
        block(0x0A0D_0D0A, UInt32(0x1A2B_3C4D).littleEndianBytes + [1, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8))
        _ = addInterface(linkType: linkType, name: interfaceName)
    }

    private var interfaces = 0

    /// Declares another interface (of any link type); returns its number for `write`.
    public func addInterface(linkType: Int32, name: String? = nil) -> Int {
        let interfaceName = name
        var options: [UInt8] = [9, 0, 1, 0, 9, 0, 0, 0]     // if_tsresol = 10^-9
        if let interfaceName {
            let name = Array(interfaceName.utf8)
            options += [2, 0] + UInt16(truncatingIfNeeded: name.count).littleEndianBytes + name
                + [UInt8](repeating: 0, count: (4 - name.count % 4) % 4)
        }
        options += [0, 0, 0, 0]
        block(1, UInt16(truncatingIfNeeded: Int(linkType)).littleEndianBytes + [0, 0] + UInt32(262_144).littleEndianBytes + options)
        interfaces += 1
        return interfaces - 1
    }

    deinit { fclose(file) }


    private func block(_ type: UInt32, _ body: [UInt8]) {
        let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
        let length = UInt32(12 + padded.count).littleEndianBytes
        let bytes = type.littleEndianBytes + length + padded + length
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    }

    public func write(_ record: RawRecord, interface: Int = 0) {
        let ticks = UInt64(bitPattern: record.timeNs)
        block(6, UInt32(interface).littleEndianBytes + UInt32(ticks >> 32).littleEndianBytes
            + UInt32(ticks & 0xFFFF_FFFF).littleEndianBytes + UInt32(record.bytes.count).littleEndianBytes
            + UInt32(record.originalLength).littleEndianBytes + Array(record.bytes))
        fflush(file)
    }
}
