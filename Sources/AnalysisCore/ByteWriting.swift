/// Fixed-width integers as bytes in a given order: the one way the writers (pcapng blocks, TCP
/// frames, hostile captures) lay out their fields, as `ByteReading` is the way views read them.
extension FixedWidthInteger {
    @inlinable
    public var bigEndianBytes: [UInt8] {
        (0..<Self.bitWidth / 8).reversed().map { UInt8(truncatingIfNeeded: self >> ($0 * 8)) }
    }

    @inlinable
    public var littleEndianBytes: [UInt8] {
        (0..<Self.bitWidth / 8).map { UInt8(truncatingIfNeeded: self >> ($0 * 8)) }
    }
}
