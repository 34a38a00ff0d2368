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
        block(0x0A0D_0D0A, Self.le32(0x1A2B_3C4D) + [1, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8))
        _ = addInterface(linkType: linkType, name: interfaceName)
    }

    private var interfaces = 0

    /// Declares another interface (of any link type); returns its number for `write`.
    public func addInterface(linkType: Int32, name: String? = nil) -> Int {
        let interfaceName = name
        var options: [UInt8] = [9, 0, 1, 0, 9, 0, 0, 0]     // if_tsresol = 10^-9
        if let interfaceName {
            let name = Array(interfaceName.utf8)
            options += [2, 0] + Self.le16(name.count) + name + [UInt8](repeating: 0, count: (4 - name.count % 4) % 4)
        }
        options += [0, 0, 0, 0]
        block(1, Self.le16(Int(linkType)) + [0, 0] + Self.le32(262_144) + options)
        interfaces += 1
        return interfaces - 1
    }

    deinit { fclose(file) }

    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }

    private func block(_ type: UInt32, _ body: [UInt8]) {
        let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
        let length = Self.le32(UInt32(12 + padded.count))
        let bytes = Self.le32(type) + length + padded + length
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    }

    public func write(_ record: RawRecord, interface: Int = 0) {
        let ticks = UInt64(bitPattern: record.timeNs)
        block(6, Self.le32(UInt32(interface)) + Self.le32(UInt32(ticks >> 32)) + Self.le32(UInt32(ticks & 0xFFFF_FFFF))
            + Self.le32(UInt32(record.bytes.count)) + Self.le32(UInt32(record.originalLength)) + Array(record.bytes))
        fflush(file)
    }
}
