import AnalysisCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes a pcapng file of one section and any number of interfaces (of any link types), an
/// enhanced packet block per record, flushed as it goes: for captures made in one go (tests,
/// merged captures). A recording uses `RecordingWriter`, which also checks every write.
public final class PcapngWriter {
    private let file: UnsafeMutablePointer<FILE>
    public let path: String
    private var encoded: [UInt8] = []

    public init(path: String, linkType: Int32, interfaceName: String? = nil) throws(CaptureError) {
        // `-` is standard output, as for libpcap's writer.
        guard let file = path == "-" ? fdopen(dup(STDOUT_FILENO), "wb") : fopen(path, "wb") else {
            throw .cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        self.file = file
        self.path = path
        CaptureEncoding.section(into: &encoded)
        emit()
        _ = addInterface(linkType: linkType, name: interfaceName)
    }

    private var interfaces = 0

    /// Declares another interface (of any link type); returns its number for `write`.
    public func addInterface(linkType: Int32, name: String? = nil) -> Int {
        CaptureEncoding.interface(linkType: linkType, name: name, into: &encoded)
        emit()
        interfaces += 1
        return interfaces - 1
    }

    deinit { fclose(file) }

    public func write(_ record: RawRecord, interface: Int = 0) {
        CaptureEncoding.record(.pcapng, interface: interface, timeNs: record.timeNs, bytes: record.bytes,
                               originalLength: record.originalLength, into: &encoded)
        emit()
        fflush(file)
    }

    private func emit() {
        _ = encoded.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        encoded.removeAll(keepingCapacity: true)
    }
}
