import AnalysisCore
import CPcap
#if canImport(Glibc)
import Glibc
#endif

/// One record as libpcap hands it over. `bytes` is valid only until the next read.
public struct RawRecord {
    /// 1-based, as Wireshark and tshark number packets.
    public var number: UInt64
    public var timeNs: Nanoseconds
    /// Length on the wire; longer than `bytes` when the recorder cut the record (snaplen).
    public var originalLength: Int
    public var bytes: UnsafeRawBufferPointer
    /// The link type of the record's interface (pcapng files may mix them).
    public var linkType: Int32

    public init(number: UInt64, timeNs: Nanoseconds, originalLength: Int, bytes: UnsafeRawBufferPointer, linkType: Int32) {
        self.number = number
        self.timeNs = timeNs
        self.originalLength = originalLength
        self.bytes = bytes
        self.linkType = linkType
    }

    public var stamp: RecordStamp { RecordStamp(number: number, timeNs: timeNs) }
}

/// What reading the next record gave.
public enum ReadOutcome {
    case record(RawRecord)
    case end
    /// The file stops inside a record: `number` is the record that was cut.
    case truncated(number: UInt64, reason: String)
    /// A record that cannot be analysed (a time outside the range of nanoseconds since 1970
    /// that 64 bits hold); the records after it can.
    case unreadableRecord(number: UInt64, reason: String)
}

/// A pcap or pcapng file (or standard input, as `-`) read through libpcap with nanosecond timestamps.
public final class CaptureFile {
    public let path: String
    public let linkType: Int32
    public let linkTypeName: String
    private let handle: OpaquePointer
    private var lastNumber: UInt64 = 0
    private var filter: bpf_program?
    private let filterExpression: String?
    /// Takes over when libpcap refuses a pcapng file whose interfaces differ in link type.
    private var pcapng: PcapngReader?
    private var filtersByLinkType: [Int32: bpf_program] = [:]
    /// Reads a classic pcap file's plain records without libpcap's per-record `fread`s; gives
    /// way to libpcap at the first record it does not read plainly.
    private var classic: ClassicPcapReader?

    /// - Parameter directReading: read classic pcap records without libpcap where they are
    ///   plain (off only to compare the two readers in tests).
    public init(path: String, filter: String? = nil, directReading: Bool = true) throws(CaptureError) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        var opened: OpaquePointer?
        if UnseekableInput.isRegularFile(path) {
            opened = pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer)
        } else {
            switch UnseekableInput.open(path) {
            case .pcapng(let reader):
                switch reader.firstLinkType() {
                case .success(let linkType):
                    // libpcap only compiles filters here; the reader reads.
                    opened = pcap_open_dead_with_tstamp_precision(linkType, 262_144, UInt32(PCAP_TSTAMP_PRECISION_NANO))
                    pcapng = reader
                    isPcapngFile = true
                case .failure(let problem):
                    throw .cannotOpen(path: path, reason: problem.reason)
                }
            case .other(let stream):
                opened = pcap_fopen_offline_with_tstamp_precision(stream, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer)
                if opened == nil { fclose(stream) }
            case nil:
                throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
            }
        }
        guard let handle = opened else {
            var reason = Self.string(errorBuffer)
            if reason.hasPrefix(path + ": ") { reason.removeFirst(path.count + 2) }
            throw .cannotOpen(path: path, reason: reason)
        }
        self.handle = handle
        self.path = path
        self.linkType = pcap_datalink(handle)
        self.linkTypeName = Self.linkTypeName(linkType)
        self.filterExpression = filter?.isEmpty == false ? filter : nil
        if let filter, !filter.isEmpty {
            try apply(filter: filter)
        }
        if directReading, pcapng == nil, UnseekableInput.isRegularFile(path), let reader = ClassicPcapReader(path: path) {
            // A reader not taken closes here: its buffer and file are its owner's to free.
            if reader.linkTypeMatches(linkType) { classic = reader } else { reader.close() }
        }
    }

    deinit {
        classic?.close()
        if filter != nil { pcap_freecode(&filter!) }
        for key in filtersByLinkType.keys { pcap_freecode(&filtersByLinkType[key]!) }
        pcap_close(handle)
    }

    /// Compiles a tcpdump-style BPF filter expression. It is run on each record here rather
    /// than installed in libpcap, so that record numbers stay the file's own numbers.
    private func apply(filter: String) throws(CaptureError) {
        var program = bpf_program()
        guard pcap_compile(handle, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw .badFilter(expression: filter, reason: String(cString: pcap_geterr(handle)))
        }
        self.filter = program
    }

    /// Bytes of the file read so far, when the file says (for a progress line); nil for a pipe.
    public var bytesRead: Int64? {
        if let pcapng { return Int64(pcapng.bytesRead) }
        if let classic { return classic.bytesRead }
        guard let stream = pcap_file(handle) else { return nil }
        let position = ftello(stream)
        return position >= 0 ? Int64(position) : nil
    }

    /// Reads the next record that passes the filter.
    @inline(__always)
    public func next() -> ReadOutcome {
        if pcapng != nil { return nextFromOwnReader() }
        if classic != nil {
            if let outcome = nextDirect() { return outcome }
            giveWayToLibpcap()
        }
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while true {
            let status = pcap_next_ex(handle, &header, &data)
            switch status {
            case 1:
                guard let header, let data else { return .end }
                lastNumber += 1
                if filter != nil, pcap_offline_filter(&filter!, header, data) == 0 { continue }
                let h = header.pointee
                guard let seconds = Int64(h.ts.tv_sec).multipliedExactly(by: 1_000_000_000) else {
                    return .unreadableRecord(number: lastNumber, reason: Self.timeOutOfRange(seconds: Int64(h.ts.tv_sec)))
                }
                let time = seconds.saturatingAdding(Int64(h.ts.tv_usec))
                return .record(RawRecord(
                    number: lastNumber, timeNs: time, originalLength: Int(h.len),
                    bytes: UnsafeRawBufferPointer(start: data, count: Int(h.caplen)), linkType: linkType
                ))
            case -2:
                return .end
            default:
                // libpcap stops at what it does not support in pcapng (interfaces of different link
                // types, above all); the project's reader goes on, or names the byte where the file breaks.
                if isPcapng, switchToOwnReader() { return nextFromOwnReader() }
                return .truncated(number: lastNumber + 1, reason: String(cString: pcap_geterr(handle)))
            }
        }
    }

    /// The next record when it is a plain one that the direct reader has, written into `record`
    /// in place; false sends the caller to `next()`, which says what comes instead. Records go
    /// through here without an outcome enum to copy, the per-record path of every analysis.
    public func nextPlain(into record: inout RawRecord) -> Bool {
        guard filter == nil, classic != nil, case .record(let header, let bytes) = classic!.next() else { return false }
        lastNumber += 1
        record.number = lastNumber
        record.timeNs = classic!.timeNs(of: header)
        record.originalLength = header.originalLength
        record.bytes = bytes
        record.linkType = linkType
        return true
    }

    /// The next plain record read directly; nil when libpcap must read what comes next.
    @inline(__always)
    private func nextDirect() -> ReadOutcome? {
        while true {
            switch classic!.next() {
            case .end:
                return .end
            case .unusual:
                return nil
            case .record(let header, let bytes):
                lastNumber += 1
                if filter != nil {
                    var pcapHeader = pcap_pkthdr()
                    pcapHeader.caplen = UInt32(header.capturedLength)
                    pcapHeader.len = UInt32(truncatingIfNeeded: header.originalLength)
                    if pcap_offline_filter(&filter!, &pcapHeader, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)) == 0 {
                        continue
                    }
                }
                return .record(RawRecord(
                    number: lastNumber, timeNs: classic!.timeNs(of: header),
                    originalLength: header.originalLength, bytes: bytes, linkType: linkType
                ))
            }
        }
    }

    /// libpcap reads on from the record the direct reader stopped at: it skips what was read.
    private func giveWayToLibpcap() {
        classic?.close()
        classic = nil
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        for _ in 0..<lastNumber {
            guard pcap_next_ex(handle, &header, &data) == 1 else { break }
        }
    }

    /// Known without reopening the input when it cannot be reopened.
    private var isPcapngFile: Bool?

    /// Whether the file starts with a pcapng section header. Only regular files are reopened
    /// to look; an unseekable input was recognised when it was opened.
    private var isPcapng: Bool {
        if let isPcapngFile { return isPcapngFile }
        let answer = Self.startsWithPcapngHeader(path)
        isPcapngFile = answer
        return answer
    }

    private static func startsWithPcapngHeader(_ path: String) -> Bool {
        guard UnseekableInput.isRegularFile(path), let stream = fopen(path, "rb") else { return false }
        defer { fclose(stream) }
        var magic = [UInt8](repeating: 0, count: 4)
        return fread(&magic, 1, 4, stream) == 4 && magic == [0x0A, 0x0D, 0x0D, 0x0A]
    }

    /// Reopens the file with the project's pcapng reader and skips what libpcap delivered.
    private func switchToOwnReader() -> Bool {
        guard let reader = PcapngReader(path: path) else { return false }
        for _ in 0..<lastNumber {
            guard case .packet = reader.next() else { return false }
        }
        pcapng = reader
        return true
    }

    private func nextFromOwnReader() -> ReadOutcome {
        while true {
            switch pcapng!.next() {
            case .end:
                return .end
            case .interface:
                continue
            case .broken(let reason):
                return .truncated(number: lastNumber + 1, reason: reason)
            case .timeOutOfRange(let seconds):
                lastNumber += 1
                return .unreadableRecord(number: lastNumber, reason: Self.timeOutOfRange(seconds: seconds))
            case .packet(let timeNs, let originalLength, let recordLinkType, let data):
                lastNumber += 1
                if let filterExpression, !passes(data, originalLength: originalLength, linkType: recordLinkType, filterExpression) {
                    continue
                }
                return .record(RawRecord(number: lastNumber, timeNs: timeNs, originalLength: originalLength, bytes: data,
                                         linkType: recordLinkType))
            }
        }
    }

    /// The filter compiled for each link type the file mixes.
    private func passes(_ data: UnsafeRawBufferPointer, originalLength: Int, linkType: Int32, _ expression: String) -> Bool {
        if filtersByLinkType[linkType] == nil {
            guard let dead = pcap_open_dead(linkType, 262_144) else { return true }
            defer { pcap_close(dead) }
            var program = bpf_program()
            guard pcap_compile(dead, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else { return false }
            filtersByLinkType[linkType] = program
        }
        var header = pcap_pkthdr()
        header.caplen = UInt32(data.count)
        header.len = UInt32(originalLength)
        return pcap_offline_filter(&filtersByLinkType[linkType]!, &header, data.baseAddress?.assumingMemoryBound(to: UInt8.self)) != 0
    }

    static func timeOutOfRange(seconds: Int64) -> String {
        "its time (\(seconds) s since 1970) is past what 64-bit nanoseconds hold"
    }

    static func string(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func linkTypeName(_ linkType: Int32) -> String {
        if (LinkType.user0...LinkType.user15).contains(linkType) { return "USER\(linkType - LinkType.user0)" }
        if let name = pcap_datalink_val_to_name(linkType) { return String(cString: name) }
        return "LINKTYPE_\(linkType)"
    }
}
