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

extension Array where Element == UInt8 {
    /// Appends `value` little-endian without making an array of its bytes first (the writers'
    /// per-record path).
    @inlinable @inline(__always)
    public mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
