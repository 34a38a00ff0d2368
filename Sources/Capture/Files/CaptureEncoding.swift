import AnalysisCore

/// The bytes of the two capture containers this project writes, appended to a buffer: a
/// classic pcap file (nanosecond magic, little-endian) and a pcapng section with enhanced packet
/// blocks. Readers are libpcap's and `ClassicPcapReader`/`PcapngReader`; these are the emit side.
public enum CaptureEncoding {
    /// The snap length every writer declares; a record longer than it is cut by the writer
    /// (and counted), so callers that must keep every byte split their records below it.
    public static let snapLength = 262_144

    public enum Container: Sendable, Equatable {
        case pcap
        case pcapng

        /// pcapng for a `.pcapng` name, classic pcap otherwise (and for `-`).
        public init(path: String) {
            self = path.lowercased().hasSuffix(".pcapng") ? .pcapng : .pcap
        }
    }

    // Classic pcap: a 24-byte file header, then a 16-byte header before each record.
    enum PcapFileHeader {
        static let nanosecondMagic: UInt32 = 0xA1B2_3C4D
        static let size = 24
    }

    enum PcapRecordHeader {
        static let size = 16
    }

    // pcapng block types and the fixed part of an enhanced packet block.
    enum PcapngBlock {
        static let sectionHeader: UInt32 = 0x0A0D_0D0A
        static let interfaceDescription: UInt32 = 1
        static let enhancedPacket: UInt32 = 6
        static let byteOrderMagic: UInt32 = 0x1A2B_3C4D
        /// Type, length, and the trailing length.
        static let framing = 12
        /// Interface, timestamp high and low, captured and original lengths.
        static let enhancedPacketFields = 20
        static let optionEnd: UInt16 = 0
        static let optionInterfaceName: UInt16 = 2
        static let optionTimestampResolution: UInt16 = 9
    }

    /// What opens a file of `container`: the pcap header, or a pcapng section and its one interface.
    public static func fileHeader(_ container: Container, linkType: Int32, interfaceName: String?,
                                  into buffer: inout [UInt8]) {
        switch container {
        case .pcap:
            buffer.appendLittleEndian(PcapFileHeader.nanosecondMagic)
            buffer.appendLittleEndian(UInt16(2))
            buffer.appendLittleEndian(UInt16(4))
            buffer.appendLittleEndian(UInt32(0))      // thiszone
            buffer.appendLittleEndian(UInt32(0))      // sigfigs
            buffer.appendLittleEndian(UInt32(snapLength))
            buffer.appendLittleEndian(UInt32(truncatingIfNeeded: linkType))
        case .pcapng:
            section(into: &buffer)
            interface(linkType: linkType, name: interfaceName, into: &buffer)
        }
    }

    /// A pcapng section header block: version 1.0, section length unknown.
    public static func section(into buffer: inout [UInt8]) {
        var body: [UInt8] = []
        body.appendLittleEndian(PcapngBlock.byteOrderMagic)
        body.appendLittleEndian(UInt16(1))
        body.appendLittleEndian(UInt16(0))
        body.append(contentsOf: repeatElement(0xFF, count: 8))
        block(PcapngBlock.sectionHeader, body, into: &buffer)
    }

    /// A pcapng interface description block with nanosecond timestamps and an optional name.
    public static func interface(linkType: Int32, name: String?, into buffer: inout [UInt8]) {
        var body: [UInt8] = []
        body.appendLittleEndian(UInt16(truncatingIfNeeded: Int(linkType)))
        body.appendLittleEndian(UInt16(0))
        body.appendLittleEndian(UInt32(snapLength))
        body.appendLittleEndian(PcapngBlock.optionTimestampResolution)
        body.appendLittleEndian(UInt16(1))
        body.append(contentsOf: [9, 0, 0, 0])        // 10^-9, padded
        if let name {
            let bytes = Array(name.utf8.prefix(Int(UInt16.max)))
            body.appendLittleEndian(PcapngBlock.optionInterfaceName)
            body.appendLittleEndian(UInt16(bytes.count))
            body.append(contentsOf: bytes)
            body.append(contentsOf: repeatElement(0, count: padding(bytes.count)))
        }
        body.appendLittleEndian(PcapngBlock.optionEnd)
        body.appendLittleEndian(UInt16(0))
        block(PcapngBlock.interfaceDescription, body, into: &buffer)
    }

    /// One record: `bytes` as captured (at most the snap length: the caller cuts), with the length
    /// it had on the wire.
    public static func record(_ container: Container, interface: Int = 0, timeNs: Nanoseconds,
                              bytes: UnsafeRawBufferPointer, originalLength: Int, into buffer: inout [UInt8]) {
        let captured = UInt32(truncatingIfNeeded: bytes.count)
        let original = UInt32(clamping: max(originalLength, bytes.count))
        switch container {
        case .pcap:
            // Seconds and nanoseconds as libpcap splits them, negative times included.
            let seconds = timeNs >= 0 ? timeNs / 1_000_000_000 : (timeNs - 999_999_999) / 1_000_000_000
            let fraction = timeNs - seconds * 1_000_000_000
            buffer.appendLittleEndian(UInt32(truncatingIfNeeded: seconds))
            buffer.appendLittleEndian(UInt32(truncatingIfNeeded: fraction))
            buffer.appendLittleEndian(captured)
            buffer.appendLittleEndian(original)
            buffer.append(contentsOf: bytes)
        case .pcapng:
            let ticks = UInt64(bitPattern: timeNs)
            let total = UInt32(PcapngBlock.framing + PcapngBlock.enhancedPacketFields + bytes.count + padding(bytes.count))
            buffer.appendLittleEndian(PcapngBlock.enhancedPacket)
            buffer.appendLittleEndian(total)
            buffer.appendLittleEndian(UInt32(truncatingIfNeeded: interface))
            buffer.appendLittleEndian(UInt32(truncatingIfNeeded: ticks >> 32))
            buffer.appendLittleEndian(UInt32(truncatingIfNeeded: ticks))
            buffer.appendLittleEndian(captured)
            buffer.appendLittleEndian(original)
            buffer.append(contentsOf: bytes)
            buffer.append(contentsOf: repeatElement(0, count: padding(bytes.count)))
            buffer.appendLittleEndian(total)
        }
    }

    /// Bytes the container adds to a record of `count` bytes.
    public static func recordOverhead(_ container: Container, count: Int) -> Int {
        switch container {
        case .pcap: PcapRecordHeader.size
        case .pcapng: PcapngBlock.framing + PcapngBlock.enhancedPacketFields + padding(count)
        }
    }

    private static func block(_ type: UInt32, _ body: [UInt8], into buffer: inout [UInt8]) {
        let total = UInt32(PcapngBlock.framing + body.count + padding(body.count))
        buffer.appendLittleEndian(type)
        buffer.appendLittleEndian(total)
        buffer.append(contentsOf: body)
        buffer.append(contentsOf: repeatElement(0, count: padding(body.count)))
        buffer.appendLittleEndian(total)
    }

    private static func padding(_ count: Int) -> Int { (4 - count % 4) % 4 }
}
