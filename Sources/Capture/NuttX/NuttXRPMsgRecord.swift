import AnalysisCore

/// NuttX's RPMsg trace layout in USER0 records (not capture format v1): a 4-byte remote
/// device id, the 16-byte little-endian RPMsg header (src, dst, reserved, len, flags), then
/// `len` bytes of message.
public struct NuttXRPMsgRecord {
    public static let headerSize = Field.payload

    /// Field offsets, little-endian: the remote device, then the RPMsg header.
    public enum Field {
        public static let remoteDevice = 0
        public static let source = 4
        public static let destination = 8
        public static let reserved = 12
        public static let length = 16
        public static let flags = 18
        public static let payload = 20
    }

    public var remoteDevice: UInt32
    public var source: UInt32
    public var destination: UInt32
    public var payload: UnsafeRawBufferPointer

    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<NuttXRPMsgRecord, RecordProblem> {
        guard bytes.count >= headerSize else {
            return .failure(RecordProblem("NuttX RPMsg record of \(bytes.count) bytes is shorter than its 20-byte header"))
        }
        let length = Int(bytes.littleEndianUInt16(at: Field.length))
        guard length <= bytes.count - headerSize else {
            return .failure(RecordProblem("NuttX RPMsg header says \(length) bytes of message, the record holds \(bytes.count - headerSize)"))
        }
        return .success(NuttXRPMsgRecord(
            remoteDevice: bytes.littleEndianUInt32(at: Field.remoteDevice), source: bytes.littleEndianUInt32(at: Field.source),
            destination: bytes.littleEndianUInt32(at: Field.destination),
            payload: UnsafeRawBufferPointer(rebasing: bytes[headerSize..<(headerSize + length)])
        ))
    }

    /// Whether a USER0 capture is in NuttX's layout rather than capture format v1, judged by
    /// its first record: v1 records start with "IC".
    public static func looksLikeNuttX(firstRecord bytes: UnsafeRawBufferPointer) -> Bool {
        !(bytes.count >= 2 && bytes[0] == InterCoreHeader.magic.0 && bytes[1] == InterCoreHeader.magic.1) && bytes.count >= headerSize
    }
}
