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
        let type = Header.typeClass(of: bytes[offset])
        guard type.kind == .array else { return false }
        let elementOffset = offset + Int(type.headerLength)
        guard elementOffset <= bytes.count else { return nil }
        let count = Int(type.fixed) + Int(Header.bigEndian(bytes, at: offset + 1, width: Int(type.countBytes)))
        guard lengths.contains(count) else { return false }
        guard count > 0 else { return true }
        guard elementOffset < bytes.count else { return nil }
        var reader = MessagePackReader(bytes, offset: elementOffset)
        if let value = reader.readUnsigned() { return value <= maxFirstElement }
        // An integer whose payload has not arrived yet is undecided; a negative one is not it.
        let kind = Header.typeClass(of: bytes[elementOffset]).kind
        guard kind == .uint || kind == .int, let integer = Header.parse(bytes, at: elementOffset) else { return false }
        return elementOffset + integer.length + Int(integer.bodyLength) > bytes.count ? nil : false
    }
}
