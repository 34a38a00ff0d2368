import AnalysisCore

/// The wire views of UDP and TCP headers.
public struct UDPHeader {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var payload: UnsafeRawBufferPointer

    /// The header at the start of `bytes`, or why there is none.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<UDPHeader, RecordProblem> {
        guard bytes.count >= 8 else {
            return .failure(RecordProblem("UDP header cut short: \(bytes.count) of its 8 bytes"))
        }
        return .success(UDPHeader(checked: bytes))
    }

    private init(checked bytes: UnsafeRawBufferPointer) {
        sourcePort = bytes.bigEndianUInt16(at: 0)
        destinationPort = bytes.bigEndianUInt16(at: 2)
        let length = Int(bytes.bigEndianUInt16(at: 4))
        let end = length >= 8 ? min(length, bytes.count) : bytes.count
        payload = UnsafeRawBufferPointer(rebasing: bytes[8..<end])
    }
}

public struct TCPHeader {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequence: UInt32
    public var flags: UInt8
    public var payload: UnsafeRawBufferPointer

    public var isSYN: Bool { flags & 0x02 != 0 }
    public var isFIN: Bool { flags & 0x01 != 0 }
    public var isRST: Bool { flags & 0x04 != 0 }
    public var isACK: Bool { flags & 0x10 != 0 }

    /// The header at the start of `bytes`, or why there is none.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<TCPHeader, RecordProblem> {
        guard bytes.count >= 20 else {
            return .failure(RecordProblem("TCP header cut short: \(bytes.count) of its 20 bytes"))
        }
        let dataOffset = Int(bytes[12] >> 4) * 4
        guard dataOffset >= 20 else {
            return .failure(RecordProblem("TCP data offset \(dataOffset) is shorter than the 20-byte header"))
        }
        guard dataOffset <= bytes.count else {
            return .failure(RecordProblem("TCP data offset \(dataOffset) is past the segment's \(bytes.count) bytes"))
        }
        return .success(TCPHeader(checked: bytes, dataOffset: dataOffset))
    }

    private init(checked bytes: UnsafeRawBufferPointer, dataOffset: Int) {
        sourcePort = bytes.bigEndianUInt16(at: 0)
        destinationPort = bytes.bigEndianUInt16(at: 2)
        sequence = bytes.bigEndianUInt32(at: 4)
        flags = bytes[13]
        payload = UnsafeRawBufferPointer(rebasing: bytes[dataOffset...])
    }
}
