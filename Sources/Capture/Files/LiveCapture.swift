import AnalysisCore
import CPcap
#if canImport(Glibc)
import Glibc
#endif

/// Packets live from a network interface through libpcap, with nanosecond timestamps.
public final class LiveCapture {
    public let interface: String
    public let linkType: Int32
    private let handle: OpaquePointer
    private var number: UInt64 = 0

    public enum Next {
        case record(RawRecord)
        /// Nothing arrived within the read timeout: a chance to check for Ctrl-C.
        case idle
        case failed(String)
    }

    public init(interface: String, filter: String?) throws(CaptureError) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let handle = pcap_create(interface, &errorBuffer) else {
            throw .cannotCapture(interface: interface, reason: CaptureFile.string(errorBuffer))
        }
        pcap_set_snaplen(handle, 262_144)
        pcap_set_promisc(handle, 0)
        pcap_set_immediate_mode(handle, 1)
        pcap_set_timeout(handle, 100)
        // Room for bursts while the analysis of the status line catches up (libpcap's default is 2 MB).
        pcap_set_buffer_size(handle, 32 << 20)
        pcap_set_tstamp_precision(handle, Int32(PCAP_TSTAMP_PRECISION_NANO))
        let status = pcap_activate(handle)
        guard status >= 0 else {
            let reason = String(cString: pcap_geterr(handle))
            pcap_close(handle)
            throw .cannotCapture(interface: interface, reason: reason.isEmpty ? "libpcap status \(status)" : reason)
        }
        self.handle = handle
        self.interface = interface
        self.linkType = pcap_datalink(handle)
        if let filter, !filter.isEmpty {
            var program = bpf_program()
            guard pcap_compile(handle, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0,
                  pcap_setfilter(handle, &program) == 0 else {
                let reason = String(cString: pcap_geterr(handle))
                throw .badFilter(expression: filter, reason: reason)
            }
            pcap_freecode(&program)
        }
        // Reads never block: `next` waits on the descriptor itself, so a stop request is seen.
        pcap_setnonblock(handle, 1, &errorBuffer)
        selectable = pcap_get_selectable_fd(handle)
    }

    private var selectable: Int32 = -1

    deinit { pcap_close(handle) }

    /// Packets the kernel dropped for want of buffer space, and those the interface dropped, so far.
    public var dropped: (kernel: Int, interface: Int) {
        var stats = pcap_stat()
        guard pcap_stats(handle, &stats) == 0 else { return (0, 0) }
        return (Int(stats.ps_drop), Int(stats.ps_ifdrop))
    }

    /// The next packet, or `.idle` after about `waitMilliseconds` without one.
    public func next(waitMilliseconds: Int32 = 200) -> Next {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        var result = pcap_next_ex(handle, &header, &data)
        if result == 0, selectable >= 0 {
            var descriptor = pollfd(fd: selectable, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, waitMilliseconds) > 0 else { return .idle }
            result = pcap_next_ex(handle, &header, &data)
        }
        switch result {
        case 1:
            guard let header, let data else { return .idle }
            number += 1
            let h = header.pointee
            return .record(RawRecord(
                number: number, timeNs: Int64(h.ts.tv_sec) &* 1_000_000_000 &+ Int64(h.ts.tv_usec),
                originalLength: Int(h.len), bytes: UnsafeRawBufferPointer(start: data, count: Int(h.caplen)),
                linkType: linkType
            ))
        case 0:
            return .idle
        default:
            return .failed(String(cString: pcap_geterr(handle)))
        }
    }
}
