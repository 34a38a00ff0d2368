import AnalysisCore

/// The first byte of a MessagePack value and the length fields after it, classified without
/// reading the body. This is the kernel every other part of the module stands on: the frame
/// assembler uses it to find value boundaries, the reader to walk values in place.
public struct Header: Equatable, Sendable {
    public enum Shape: Equatable, Sendable {
        /// A value whose body is `bodyLength` bytes after the header (numbers count their payload as body).
        case scalar
        /// An array or map: `children` values follow (a map counts keys and values).
        case container
        /// 0xC1, which the specification never uses.
        case invalid
    }

    public var shape: Shape
    /// Bytes of the type byte plus its length or type fields.
    public var length: Int
    public var bodyLength: UInt64
    public var children: UInt64

    @inline(__always)
    init(_ shape: Shape, length: Int, body: UInt64 = 0, children: UInt64 = 0) {
        self.shape = shape
        self.length = length
        self.bodyLength = body
        self.children = children
    }

    /// How many header bytes the type byte `first` announces (1 to 6).
    @inline(__always)
    public static func length(ofTypeByte first: UInt8) -> Int {
        switch first {
        case 0xC4, 0xD9, 0xD4...0xD8: 2
        case 0xC5, 0xC7, 0xDA, 0xDC, 0xDE: 3
        case 0xC8: 4
        case 0xC6, 0xDB, 0xDD, 0xDF: 5
        case 0xC9: 6
        default: 1
        }
    }

    /// Classifies the value starting at `offset`. Nil when the header is not all in `bytes` yet.
    @inline(__always)
    public static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Header? {
        let available = bytes.count - offset
        guard available > 0 else { return nil }
        let first = bytes[offset]
        switch first {
        case 0x00...0x7F, 0xE0...0xFF, 0xC0, 0xC2, 0xC3:
            return Header(.scalar, length: 1)
        case 0x80...0x8F:
            return Header(.container, length: 1, children: UInt64(first & 0x0F) * 2)
        case 0x90...0x9F:
            return Header(.container, length: 1, children: UInt64(first & 0x0F))
        case 0xA0...0xBF:
            return Header(.scalar, length: 1, body: UInt64(first & 0x1F))
        case 0xC1:
            return Header(.invalid, length: 1)
        case 0xCA: return Header(.scalar, length: 1, body: 4)
        case 0xCB: return Header(.scalar, length: 1, body: 8)
        case 0xCC, 0xD0: return Header(.scalar, length: 1, body: 1)
        case 0xCD, 0xD1: return Header(.scalar, length: 1, body: 2)
        case 0xCE, 0xD2: return Header(.scalar, length: 1, body: 4)
        case 0xCF, 0xD3: return Header(.scalar, length: 1, body: 8)
        case 0xD4: return available >= 2 ? Header(.scalar, length: 2, body: 1) : nil
        case 0xD5: return available >= 2 ? Header(.scalar, length: 2, body: 2) : nil
        case 0xD6: return available >= 2 ? Header(.scalar, length: 2, body: 4) : nil
        case 0xD7: return available >= 2 ? Header(.scalar, length: 2, body: 8) : nil
        case 0xD8: return available >= 2 ? Header(.scalar, length: 2, body: 16) : nil
        default:
            let length = Header.length(ofTypeByte: first)
            guard available >= length else { return nil }
            switch first {
            case 0xC4, 0xD9: return Header(.scalar, length: 2, body: UInt64(bytes[offset + 1]))
            case 0xC5, 0xDA: return Header(.scalar, length: 3, body: UInt64(bytes.bigEndianUInt16(at: offset + 1)))
            case 0xC6, 0xDB: return Header(.scalar, length: 5, body: UInt64(bytes.bigEndianUInt32(at: offset + 1)))
            case 0xC7: return Header(.scalar, length: 3, body: UInt64(bytes[offset + 1]))
            case 0xC8: return Header(.scalar, length: 4, body: UInt64(bytes.bigEndianUInt16(at: offset + 1)))
            case 0xC9: return Header(.scalar, length: 6, body: UInt64(bytes.bigEndianUInt32(at: offset + 1)))
            case 0xDC: return Header(.container, length: 3, children: UInt64(bytes.bigEndianUInt16(at: offset + 1)))
            case 0xDD: return Header(.container, length: 5, children: UInt64(bytes.bigEndianUInt32(at: offset + 1)))
            case 0xDE: return Header(.container, length: 3, children: UInt64(bytes.bigEndianUInt16(at: offset + 1)) * 2)
            default: return Header(.container, length: 5, children: UInt64(bytes.bigEndianUInt32(at: offset + 1)) * 2)
            }
        }
    }
}
