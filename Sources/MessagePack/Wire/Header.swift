import AnalysisCore

/// The first byte of a MessagePack value and the length fields after it, classified without
/// reading the body. This is the kernel every other part of the module stands on, and its type
/// table (`Header.typeClass(of:)`, a `TypeClass` for each of the 256 type bytes) is the module's
/// one copy of the specification's formats: `parse` and `length(ofTypeByte:)` read it, the frame
/// assembler walks the values of a record by it (`FrameAssembler.completeValueEnd`), and the
/// reader reads integers, strings, arrays and decoded values by it. The frame search, the
/// boundary scan and the stand-in walk values through `parse`.
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
        Int(typeClass(of: first).headerLength)
    }

    /// Classifies the value starting at `offset`. Nil when the header is not all in `bytes` yet.
    @inline(__always)
    public static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Header? {
        let available = bytes.count - offset
        guard available > 0 else { return nil }
        let first = bytes[offset]
        let type = typeClass(of: first)
        switch type.walk {
        case .typeByte: return Header(.scalar, length: 1)
        case .payload1: return Header(.scalar, length: 1, body: 1)
        case .payload2: return Header(.scalar, length: 1, body: 2)
        case .payload4: return Header(.scalar, length: 1, body: 4)
        case .payload8: return Header(.scalar, length: 1, body: 8)
        case .fixstr: return Header(.scalar, length: 1, body: UInt64(first & 0x1F))
        case .fixContainer: return Header(.container, length: 1, children: UInt64(type.fixed))
        case .count1: return available >= 2 ? Header(.scalar, length: 2, body: UInt64(bytes[offset + 1])) : nil
        case .general:
            let length = Int(type.headerLength)
            guard available >= length else { return nil }
            let amount = UInt64(type.fixed) + bigEndian(bytes, at: offset + 1, width: Int(type.countBytes)) * UInt64(type.perCount)
            return type.kind.isContainer ? Header(.container, length: length, children: amount) : Header(.scalar, length: length, body: amount)
        case .invalid: return Header(.invalid, length: 1)
        }
    }

    /// The type table: what the type byte `first` says by itself, a case for each format of the
    /// specification's table of formats or for a few that a walk steps over alike. A switch
    /// rather than an array of 256 entries, so that it is code wherever it is inlined: the frame
    /// assembler's `feed` is specialised in the module that calls it, and there, inlined, a
    /// `static let` array was read through a `swift_once` call and a bounds check at every value
    /// (seen in the assembly of an optimised build with cross-module optimisation, as the
    /// package builds).
    @inline(__always)
    static func typeClass(of first: UInt8) -> TypeClass {
        switch first {
        // The formats a walk steps over alike share a case, which the optimiser then tests as
        // one range, and in this order, as it did in the switches over the type byte that this
        // table replaced: positive and negative fixints, nil, false and true (most of the values
        // of RPC traffic), then fixmap and fixarray. With a case each, the walks took more
        // instructions for every negative fixint, nil and bool (seen in the optimised assembly),
        // and the frame assembler's walk over RPC traffic measurably longer.
        case 0x00...0x7F, 0xE0...0xFF, 0xC0, 0xC2, 0xC3:
            first < 0x80 ? .positiveFixint : first >= 0xE0 ? .negativeFixint : first == 0xC0 ? .nilFormat : .bool
        case 0x80...0x9F: first < 0x90 ? .fixmap(first & 0x0F) : .fixarray(first & 0x0F)
        case 0xA0...0xBF: .fixstr(first & 0x1F)
        case 0xC1: .neverUsed
        case 0xC4: .bin(countBytes: 1) // bin 8
        case 0xC5: .bin(countBytes: 2) // bin 16
        case 0xC6: .bin(countBytes: 4) // bin 32
        case 0xC7: .ext(countBytes: 1) // ext 8
        case 0xC8: .ext(countBytes: 2) // ext 16
        case 0xC9: .ext(countBytes: 4) // ext 32
        case 0xCA: .float(payload: 4) // float 32
        case 0xCB: .float(payload: 8) // float 64
        case 0xCC: .uint(payload: 1) // uint 8
        case 0xCD: .uint(payload: 2) // uint 16
        case 0xCE: .uint(payload: 4) // uint 32
        case 0xCF: .uint(payload: 8) // uint 64
        case 0xD0: .int(payload: 1) // int 8
        case 0xD1: .int(payload: 2) // int 16
        case 0xD2: .int(payload: 4) // int 32
        case 0xD3: .int(payload: 8) // int 64
        case 0xD4: .fixext(payload: 1)
        case 0xD5: .fixext(payload: 2)
        case 0xD6: .fixext(payload: 4)
        case 0xD7: .fixext(payload: 8)
        case 0xD8: .fixext(payload: 16)
        case 0xD9: .str(countBytes: 1) // str 8
        case 0xDA: .str(countBytes: 2) // str 16
        case 0xDB: .str(countBytes: 4) // str 32
        case 0xDC: .array(countBytes: 2) // array 16
        case 0xDD: .array(countBytes: 4) // array 32
        case 0xDE: .map(countBytes: 2) // map 16
        default: .map(countBytes: 4) // 0xDF map 32
        }
    }

    /// The big-endian field of `width` bytes (0, 1, 2, 4 or 8, as the type table gives them)
    /// at `offset`; 0 for no field. The caller has checked that the bytes are there.
    @inline(__always)
    static func bigEndian(_ bytes: UnsafeRawBufferPointer, at offset: Int, width: Int) -> UInt64 {
        switch width {
        case 0: 0
        case 1: UInt64(bytes[offset])
        case 2: UInt64(bytes.bigEndianUInt16(at: offset))
        case 4: UInt64(bytes.bigEndianUInt32(at: offset))
        default: bytes.bigEndianUInt64(at: offset)
        }
    }
}

extension Header {
    /// What a type byte says by itself about the value it starts (`Header.typeClass(of:)`). A
    /// value's header is its type byte, a big-endian count of `countBytes` bytes and, for an
    /// extension, the extension's type byte; its body (a scalar's) or its children (a
    /// container's) number `fixed` plus `perCount` times the count.
    struct TypeClass: Equatable, Sendable {
        /// What the value is, as far as decoding it goes. An integer format is `uint` or `int` by
        /// whether its payload (a fixint's: its type byte) is unsigned or two's complement.
        enum Kind: UInt8, Sendable {
            case `nil`, bool, uint, int, float, string, binary, `extension`, array, map, invalid

            @inline(__always)
            var isContainer: Bool { self == .array || self == .map }
        }

        /// How a walk over values (`Header.parse`, `FrameAssembler.completeValueEnd`) steps over
        /// a header of this class. Each case but `general` has sizes that are constants, or bits
        /// of the type byte, or the byte after it, so that once the type table is inlined each of
        /// its arms steps by its own constants, and where the walk goes next waits on no size
        /// carried out of the table: the branch on the case is predicted and the walk runs on.
        /// Walked by `headerLength` and `fixed` instead, the arms merge into one step that waits
        /// on those values (a walk over RPC traffic took 45% longer than the switch over the
        /// type byte this replaced; from an array of 256 entries, three times as long). A
        /// container's children do not decide where the next header is: `fixContainer` reads
        /// them from `fixed`.
        enum Walk: UInt8, Sendable {
            /// The value is its type byte: a fixint, nil, a bool.
            case typeByte
            /// The type byte, then a number of 1, 2, 4 or 8 bytes.
            case payload1, payload2, payload4, payload8
            /// The type byte, whose low five bits are the length of the body after it.
            case fixstr
            /// A fixarray's or fixmap's type byte, the whole header.
            case fixContainer
            /// The type byte and a one-byte length (str 8, bin 8).
            case count1
            /// As `headerLength`, `countBytes`, `fixed` and `perCount` say: fixext, ext 8, and
            /// the 16- and 32-bit lengths and counts.
            case general
            /// 0xC1.
            case invalid
        }

        // - `headerLength`: the type byte, the count and an extension's type byte, 1 to 6 bytes.
        // - `countBytes`: bytes of the count that follows the type byte: 0 (none), 1, 2 or 4.
        // - `fixed`: the body bytes (a scalar) or children (a container) the type byte gives by
        //   itself: a fixstr's length, a number's or a fixext's payload, a fixarray's elements, a
        //   fixmap's keys and values. A fixint, nil and a bool have no body: their value is the
        //   type byte.
        // - `perCount`: what one unit of the count stands for: a body byte or an element (1), a
        //   map entry's key and value (2).
        let walk: Walk
        let kind: Kind
        let headerLength: UInt8, countBytes: UInt8, fixed: UInt8, perCount: UInt8

        @inline(__always)
        var shape: Shape {
            switch kind {
            case .array, .map: .container
            case .invalid: .invalid
            default: .scalar
            }
        }

        /// `walk` follows from the sizes, so that each format's are written once.
        fileprivate init(_ kind: Kind, header: UInt8 = 1, countBytes: UInt8 = 0, fixed: UInt8 = 0, perCount: UInt8 = 1) {
            self.kind = kind
            self.headerLength = header
            self.countBytes = countBytes
            self.fixed = fixed
            self.perCount = perCount
            walk = switch (kind, header, countBytes, fixed) {
            case (.invalid, _, _, _): .invalid
            case (.array, 1, 0, _), (.map, 1, 0, _): .fixContainer
            case (.string, 1, 0, _): .fixstr
            case (_, 1, 0, 0): .typeByte
            case (_, 1, 0, 1): .payload1
            case (_, 1, 0, 2): .payload2
            case (_, 1, 0, 4): .payload4
            case (_, 1, 0, 8): .payload8
            case (.string, 2, 1, 0), (.binary, 2, 1, 0): .count1
            default: .general
            }
        }

        // The formats of the specification, by the name it gives them. `payload` is a number's
        // width; `countBytes` the width of a length or count field.
        fileprivate static var positiveFixint: Self { Self(.uint) }
        fileprivate static var negativeFixint: Self { Self(.int) }
        fileprivate static func fixmap(_ entries: UInt8) -> Self { Self(.map, fixed: 2 * entries, perCount: 2) }
        fileprivate static func fixarray(_ elements: UInt8) -> Self { Self(.array, fixed: elements) }
        fileprivate static func fixstr(_ length: UInt8) -> Self { Self(.string, fixed: length) }
        fileprivate static var nilFormat: Self { Self(.nil) }
        fileprivate static var neverUsed: Self { Self(.invalid) }
        fileprivate static var bool: Self { Self(.bool) }
        fileprivate static func bin(countBytes: UInt8) -> Self { Self(.binary, header: 1 + countBytes, countBytes: countBytes) }
        fileprivate static func ext(countBytes: UInt8) -> Self { Self(.extension, header: 2 + countBytes, countBytes: countBytes) }
        fileprivate static func float(payload: UInt8) -> Self { Self(.float, fixed: payload) }
        fileprivate static func uint(payload: UInt8) -> Self { Self(.uint, fixed: payload) }
        fileprivate static func int(payload: UInt8) -> Self { Self(.int, fixed: payload) }
        fileprivate static func fixext(payload: UInt8) -> Self { Self(.extension, header: 2, fixed: payload) }
        fileprivate static func str(countBytes: UInt8) -> Self { Self(.string, header: 1 + countBytes, countBytes: countBytes) }
        fileprivate static func array(countBytes: UInt8) -> Self {
            Self(.array, header: 1 + countBytes, countBytes: countBytes)
        }
        fileprivate static func map(countBytes: UInt8) -> Self {
            Self(.map, header: 1 + countBytes, countBytes: countBytes, perCount: 2)
        }
    }
}
