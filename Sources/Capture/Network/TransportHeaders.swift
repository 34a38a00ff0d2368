import AnalysisCore

/// The wire views of UDP and TCP headers.
public struct UDPHeader {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var payload: UnsafeRawBufferPointer

    public enum Field {
        public static let sourcePort = 0
        public static let destinationPort = 2
        /// Header and payload; the payload ends there when the record holds more (padding).
        public static let length = 4
        public static let checksum = 6
        public static let size = 8
    }

    /// The header at the start of `bytes`, or why there is none.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<UDPHeader, RecordProblem> {
        guard bytes.count >= Field.size else {
            return .failure(RecordProblem("UDP header cut short: \(bytes.count) of its \(Field.size) bytes"))
        }
        return .success(UDPHeader(checked: bytes))
    }

    private init(checked bytes: UnsafeRawBufferPointer) {
        sourcePort = bytes.bigEndianUInt16(at: Field.sourcePort)
        destinationPort = bytes.bigEndianUInt16(at: Field.destinationPort)
        let length = Int(bytes.bigEndianUInt16(at: Field.length))
        let end = length >= Field.size ? min(length, bytes.count) : bytes.count
        payload = UnsafeRawBufferPointer(rebasing: bytes[Field.size..<end])
    }
}

public struct TCPHeader {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequence: UInt32
    public var flags: UInt8
    public var payload: UnsafeRawBufferPointer

    public var isSYN: Bool { flags & Flag.syn != 0 }
    public var isFIN: Bool { flags & Flag.fin != 0 }
    public var isRST: Bool { flags & Flag.rst != 0 }
    public var isACK: Bool { flags & Flag.ack != 0 }

    public enum Field {
        public static let sourcePort = 0
        public static let destinationPort = 2
        public static let sequence = 4
        public static let acknowledgement = 8
        /// The header's length in 32-bit words, in the high nibble.
        public static let dataOffset = 12
        public static let flags = 13
        public static let window = 14
        public static let checksum = 16
        public static let urgentPointer = 18
        public static let minimumSize = 20
    }

    public enum Flag {
        public static let fin: UInt8 = 0x01
        public static let syn: UInt8 = 0x02
        public static let rst: UInt8 = 0x04
        public static let psh: UInt8 = 0x08
        public static let ack: UInt8 = 0x10
    }

    /// The header at the start of `bytes`, or why there is none.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<TCPHeader, RecordProblem> {
        guard bytes.count >= Field.minimumSize else {
            return .failure(RecordProblem("TCP header cut short: \(bytes.count) of its \(Field.minimumSize) bytes"))
        }
        let dataOffset = Int(bytes[Field.dataOffset] >> 4) * 4
        guard dataOffset >= Field.minimumSize else {
            return .failure(RecordProblem("TCP data offset \(dataOffset) is shorter than the \(Field.minimumSize)-byte header"))
        }
        guard dataOffset <= bytes.count else {
            return .failure(RecordProblem("TCP data offset \(dataOffset) is past the segment's \(bytes.count) bytes"))
        }
        return .success(TCPHeader(checked: bytes, dataOffset: dataOffset))
    }

    private init(checked bytes: UnsafeRawBufferPointer, dataOffset: Int) {
        sourcePort = bytes.bigEndianUInt16(at: Field.sourcePort)
        destinationPort = bytes.bigEndianUInt16(at: Field.destinationPort)
        sequence = bytes.bigEndianUInt32(at: Field.sequence)
        flags = bytes[Field.flags]
        payload = UnsafeRawBufferPointer(rebasing: bytes[dataOffset...])
    }
}
