import AnalysisCore

/// NuttX's RPMsg trace layout in USER0 records (not capture format v1): a 4-byte remote
/// device id, the 16-byte little-endian RPMsg header (src, dst, reserved, len, flags), then
/// `len` bytes of message.
public struct NuttXRPMsgRecord {
    public static let headerSize = 20

    public var remoteDevice: UInt32
    public var source: UInt32
    public var destination: UInt32
    public var payload: UnsafeRawBufferPointer

    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<NuttXRPMsgRecord, RecordProblem> {
        guard bytes.count >= headerSize else {
            return .failure(RecordProblem("NuttX RPMsg record of \(bytes.count) bytes is shorter than its 20-byte header"))
        }
        let length = Int(bytes.littleEndianUInt16(at: 16))
        guard length <= bytes.count - headerSize else {
            return .failure(RecordProblem("NuttX RPMsg header says \(length) bytes of message, the record holds \(bytes.count - headerSize)"))
        }
        return .success(NuttXRPMsgRecord(
            remoteDevice: bytes.littleEndianUInt32(at: 0), source: bytes.littleEndianUInt32(at: 4),
            destination: bytes.littleEndianUInt32(at: 8),
            payload: UnsafeRawBufferPointer(rebasing: bytes[headerSize..<(headerSize + length)])
        ))
    }

    /// Whether a USER0 capture is in NuttX's layout rather than capture format v1, judged by
    /// its first record: v1 records start with "IC".
    public static func looksLikeNuttX(firstRecord bytes: UnsafeRawBufferPointer) -> Bool {
        !(bytes.count >= 2 && bytes[0] == 0x49 && bytes[1] == 0x43) && bytes.count >= headerSize
    }
}
