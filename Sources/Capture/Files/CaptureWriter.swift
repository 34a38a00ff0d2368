import AnalysisCore
import CPcap

/// Writes a classic pcap file through libpcap, with nanosecond timestamps by default.
public final class CaptureWriter {
    private let handle: OpaquePointer
    private let dumper: OpaquePointer
    public let path: String
    public private(set) var recordCount = 0

    public init(path: String, linkType: Int32 = LinkType.user0, nanosecond: Bool = true, snapLength: Int32 = 262_144)
        throws(CaptureError)
    {
        let precision = nanosecond ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO
        guard let handle = pcap_open_dead_with_tstamp_precision(linkType, snapLength, UInt32(precision)) else {
            throw .cannotWrite(path: path, reason: "libpcap could not open a writer")
        }
        guard let dumper = pcap_dump_open(handle, path) else {
            let reason = String(cString: pcap_geterr(handle))
            pcap_close(handle)
            throw .cannotWrite(path: path, reason: reason)
        }
        self.handle = handle
        self.dumper = dumper
        self.path = path
        self.nanosecond = nanosecond
    }

    private let nanosecond: Bool

    public func write(timeNs: Nanoseconds, bytes: UnsafeRawBufferPointer, originalLength: Int? = nil) {
        var header = pcap_pkthdr()
        header.ts.tv_sec = Int(timeNs / 1_000_000_000)
        let fraction = Int(timeNs % 1_000_000_000)
        header.ts.tv_usec = nanosecond ? fraction : fraction / 1000
        header.caplen = UInt32(bytes.count)
        header.len = UInt32(originalLength ?? bytes.count)
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        withUnsafePointer(to: &header) { headerPointer in
            pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), headerPointer, base)
        }
        recordCount += 1
    }

    public func write(timeNs: Nanoseconds, bytes: [UInt8]) {
        bytes.withUnsafeBytes { write(timeNs: timeNs, bytes: $0) }
    }

    public func close() {
        pcap_dump_flush(dumper)
    }

    deinit {
        pcap_dump_close(dumper)
        pcap_close(handle)
    }
}
