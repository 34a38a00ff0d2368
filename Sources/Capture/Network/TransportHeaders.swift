import AnalysisCore

/// The wire views of UDP and TCP headers.
public struct UDPHeader {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var payload: UnsafeRawBufferPointer

    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 8 else { return nil }
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

    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 20 else { return nil }
        let dataOffset = Int(bytes[12] >> 4) * 4
        guard dataOffset >= 20, dataOffset <= bytes.count else { return nil }
        sourcePort = bytes.bigEndianUInt16(at: 0)
        destinationPort = bytes.bigEndianUInt16(at: 2)
        sequence = bytes.bigEndianUInt32(at: 4)
        flags = bytes[13]
        payload = UnsafeRawBufferPointer(rebasing: bytes[dataOffset...])
    }
}
