import AnalysisCore

/// Link types of Linux usbmon captures.
public enum USBLinkType {
    /// LINKTYPE_USB_LINUX: the 48-byte usbmon header.
    public static let linux: Int32 = 189
    /// LINKTYPE_USB_LINUX_MMAPPED: the 64-byte header of the memory-mapped interface.
    public static let linuxMapped: Int32 = 220

    public static let all: Set<Int32> = [linux, linuxMapped]
}

/// The wire view of a usbmon packet header (host byte order, which libpcap gives on reading)
/// and the data after it. Only what a serial stream needs is read: event type, transfer type,
/// endpoint direction, bus and device.
public struct USBLinuxHeader {
    public enum Event: UInt8 {
        case submit = 0x53   // 'S'
        case complete = 0x43 // 'C'
        case error = 0x45    // 'E'
    }

    public var event: Event?
    /// 0 isochronous, 1 interrupt, 2 control, 3 bulk.
    public var transferType: UInt8
    public var endpoint: UInt8
    public var device: UInt8
    public var bus: UInt16
    public var data: UnsafeRawBufferPointer

    public var isIn: Bool { endpoint & 0x80 != 0 }
    public var isBulk: Bool { transferType == 3 }

    /// Bytes of serial data this packet carries: bulk OUT data rides on submissions, bulk IN
    /// data on completions.
    public var serialPayload: UnsafeRawBufferPointer? {
        guard isBulk, !data.isEmpty else { return nil }
        switch (event, isIn) {
        case (.submit?, false), (.complete?, true): return data
        default: return nil
        }
    }

    /// Field offsets of the usbmon header (struct usbmon_packet in the kernel's usbmon.rst).
    public enum Field {
        public static let event = 8
        public static let transferType = 9
        public static let endpoint = 10
        public static let device = 11
        public static let bus = 12
        /// Bytes of data the capture holds after the header.
        public static let capturedLength = 36
        public static let size = 48
        /// The memory-mapped header's count of isochronous descriptors, 16 bytes each after it.
        public static let descriptorCount = 60
        public static let mappedSize = 64
        public static let descriptorSize = 16
        /// More descriptors than any transfer has: the header is not usbmon's.
        public static let maxDescriptors = 1024
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer, linkType: Int32) -> Result<USBLinuxHeader, RecordProblem> {
        let headerLength = linkType == USBLinkType.linuxMapped ? Field.mappedSize : Field.size
        guard bytes.count >= headerLength else {
            return .failure(RecordProblem("usbmon header cut short: \(bytes.count) of \(headerLength) bytes"))
        }
        let captured = Int(bytes.littleEndianUInt32(at: Field.capturedLength))
        var dataStart = headerLength
        if linkType == USBLinkType.linuxMapped {
            let descriptors = Int(bytes.littleEndianUInt32(at: Field.descriptorCount))
            guard descriptors <= Field.maxDescriptors else {
                return .failure(RecordProblem("usbmon header claims \(descriptors) isochronous descriptors"))
            }
            dataStart += descriptors * Field.descriptorSize
        }
        guard dataStart <= bytes.count else { return .failure(RecordProblem("usbmon descriptors run past the record")) }
        let end = min(bytes.count, dataStart + captured)
        return .success(USBLinuxHeader(
            event: Event(rawValue: bytes[Field.event]), transferType: bytes[Field.transferType], endpoint: bytes[Field.endpoint],
            device: bytes[Field.device], bus: bytes.littleEndianUInt16(at: Field.bus),
            data: UnsafeRawBufferPointer(rebasing: bytes[dataStart..<end])
        ))
    }
}
