import AnalysisCore
/// The first bytes a protocol's message must have: an array of `lengths` elements whose first
/// element is an unsigned integer up to `maxFirstElement`, each in any width the format allows.
/// After junk, the frame assembler tries every offset; this cheap test turns away almost every
/// one of them before a value is walked. The sink still decides whether a whole value is a message.
public struct ResyncAnchor: Sendable, Equatable {
    public var lengths: ClosedRange<Int>
    public var maxFirstElement: UInt64

    public init(lengths: ClosedRange<Int>, maxFirstElement: UInt64) {
        self.lengths = lengths
        self.maxFirstElement = maxFirstElement
    }

    /// Any value may start a message: a loose default for tests and other protocols.
    public static let anyValue = ResyncAnchor(lengths: 0...Int.max, maxFirstElement: .max)

    /// True or false when the bytes at `offset` tell; nil when too few of them are there yet.
    @inline(__always)
    public func admits(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool? {
        if self == .anyValue { return true }
        let first = bytes[offset]
        let count: Int
        let elementOffset: Int
        switch first {
        case 0x90...0x9F:
            count = Int(first & 0x0F)
            elementOffset = offset + 1
        case 0xDC:
            guard offset + 3 <= bytes.count else { return nil }
            count = Int(bytes.bigEndianUInt16(at: offset + 1))
            elementOffset = offset + 3
        case 0xDD:
            guard offset + 5 <= bytes.count else { return nil }
            count = Int(bytes.bigEndianUInt32(at: offset + 1))
            elementOffset = offset + 5
        default:
            return false
        }
        guard lengths.contains(count) else { return false }
        guard count > 0 else { return true }
        guard elementOffset < bytes.count else { return nil }
        var reader = MessagePackReader(bytes, offset: elementOffset)
        if let value = reader.readUnsigned() { return value <= maxFirstElement }
        // An integer whose payload has not arrived yet is undecided; a negative one is not it.
        let typeByte = bytes[elementOffset]
        guard (0xCC...0xD3).contains(typeByte), let header = Header.parse(bytes, at: elementOffset) else { return false }
        return elementOffset + header.length + Int(header.bodyLength) > bytes.count ? nil : false
    }
}
