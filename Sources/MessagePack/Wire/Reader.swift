import AnalysisCore
/// A cursor over the bytes of complete MessagePack values. It reads in place: headers, integers
/// and the byte ranges of strings, without building `MessagePackValue`s unless asked to.
///
/// Every read checks bounds; a read that fails leaves the cursor where it was and returns nil.
public struct MessagePackReader {
    public let bytes: UnsafeRawBufferPointer
    /// Where the next read starts.
    public var offset: Int { position }
    @usableFromInline var position: Int
    public let maxDepth: Int

    public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0, maxDepth: Int = 64) {
        self.bytes = bytes
        position = offset
        self.maxDepth = maxDepth
    }

    @inlinable
    public var isAtEnd: Bool { position >= bytes.count }

    @inlinable
    public var nextByte: UInt8? { position < bytes.count ? bytes[position] : nil }

    // The four reads an RPC envelope is made of have their one-byte forms inlined where they
    // are called (another module, one per message); wider forms are a call away.

    /// Element count of an array at the cursor.
    @inlinable @inline(__always)
    public mutating func readArrayHeader() -> Int? {
        guard let first = nextByte else { return nil }
        guard (0x90...0x9F).contains(first) else { return readWideArrayHeader(first) }
        position += 1
        return Int(first & 0x0F)
    }

    @usableFromInline
    mutating func readWideArrayHeader(_ first: UInt8) -> Int? {
        guard Header.typeClass(of: first).kind == .array, let header = Header.parse(bytes, at: position) else { return nil }
        position += header.length
        return Int(header.children)
    }

    /// Reads a non-negative integer in any integer format, without building a value; nil (cursor
    /// unmoved) for anything else, negative integers included.
    @inlinable @inline(__always)
    public mutating func readUnsigned() -> UInt64? {
        guard let first = nextByte else { return nil }
        guard first < 0x80 else { return readWideUnsigned(first) }
        position += 1
        return UInt64(first)
    }

    @usableFromInline
    mutating func readWideUnsigned(_ first: UInt8) -> UInt64? {
        guard let integer = integer(first) else { return nil }
        if integer.signed, integer.bits >> (integer.width - 1) & 1 == 1 { return nil }
        position += integer.length
        return integer.bits
    }

    /// Reads an integer of any of the eight integer formats or a fixint, or nil (cursor unmoved)
    /// for anything else.
    public mutating func readInteger() -> MessagePackValue? {
        guard let first = nextByte, let integer = integer(first) else { return nil }
        position += integer.length
        guard integer.signed else { return .uint(integer.bits) }
        // Sign-extended from the payload's width.
        let unused = 64 - integer.width
        return .integer(Int64(bitPattern: integer.bits &<< unused) &>> Int64(unused))
    }

    /// The integer at the cursor, whose type byte is `first`, as the type table gives its
    /// format: the payload's bits (a fixint's: the type byte's), their width and signedness, and
    /// the bytes the value takes. Nil when `first` is no integer or the payload is cut off.
    @inline(__always)
    private func integer(_ first: UInt8) -> (bits: UInt64, width: UInt64, signed: Bool, length: Int)? {
        let type = Header.typeClass(of: first)
        guard type.kind == .uint || type.kind == .int else { return nil }
        let payload = Int(type.fixed)
        guard payload < bytes.count - position else { return nil }
        let bits = payload == 0 ? UInt64(first) : Header.bigEndian(bytes, at: position + 1, width: payload)
        return (bits, payload == 0 ? 8 : UInt64(payload) * 8, type.kind == .int, 1 + payload)
    }

    /// The body of a str or bin at the cursor, in place.
    @inlinable @inline(__always)
    public mutating func readTextBytes() -> UnsafeRawBufferPointer? {
        guard let first = nextByte else { return nil }
        guard (0xA0...0xBF).contains(first) else { return readWideTextBytes(first) }
        let start = position + 1
        let end = start + Int(first & 0x1F)
        guard end <= bytes.count else { return nil }
        position = end
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }

    @usableFromInline
    mutating func readWideTextBytes(_ first: UInt8) -> UnsafeRawBufferPointer? {
        let kind = Header.typeClass(of: first).kind
        guard kind == .string || kind == .binary, let header = Header.parse(bytes, at: position) else { return nil }
        let start = position + header.length
        let end = start + Int(header.bodyLength)
        guard end <= bytes.count else { return nil }
        position = end
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }

    /// True and consumed when the cursor is at nil.
    @inlinable @inline(__always)
    public mutating func readNil() -> Bool {
        guard nextByte == 0xC0 else { return false }
        position += 1
        return true
    }

    /// Steps over one whole value. Iterative, so nesting costs no stack.
    public mutating func skipValue() -> Bool {
        var cursor = position
        var pending: UInt64 = 1
        while pending > 0 {
            guard let header = Header.parse(bytes, at: cursor), header.shape != .invalid else { return false }
            pending -= 1
            cursor += header.length
            if header.shape == .container {
                pending += header.children
            } else {
                guard header.bodyLength <= UInt64(bytes.count - cursor) else { return false }
                cursor += Int(header.bodyLength)
            }
        }
        position = cursor
        return true
    }

    /// Decodes the value at the cursor into a `MessagePackValue`.
    public mutating func readValue() -> MessagePackValue? {
        var probe = self
        guard probe.skipValue() else { return nil }
        return decodeChecked(depth: 0)
    }

    /// Decoding after `skipValue` proved the value complete: only depth can still fail.
    private mutating func decodeChecked(depth: Int) -> MessagePackValue? {
        guard depth <= maxDepth, let header = Header.parse(bytes, at: position) else { return nil }
        let first = bytes[position]
        let bodyStart = position + header.length
        let bodyEnd = bodyStart + Int(header.bodyLength)
        let body = UnsafeRawBufferPointer(rebasing: bytes[bodyStart..<bodyEnd])
        switch Header.typeClass(of: first).kind {
        case .uint, .int:
            return readInteger()
        case .nil:
            position = bodyEnd
            return .nil
        case .bool:
            position = bodyEnd
            return .bool(first == 0xC3)
        case .float:
            position = bodyEnd
            return body.count == 4 ? .float32(Float(bitPattern: body.bigEndianUInt32(at: 0)))
                : .float64(Double(bitPattern: body.bigEndianUInt64(at: 0)))
        case .string:
            position = bodyEnd
            if let text = String(validating: body, as: UTF8.self) { return .string(text) }
            return .invalidString(Array(body))
        case .binary:
            position = bodyEnd
            return .binary(Array(body))
        case .extension:
            let type = Int8(bitPattern: bytes[bodyStart - 1])
            position = bodyEnd
            return Self.extensionValue(type: type, data: body)
        case .array:
            position += header.length
            var elements: [MessagePackValue] = []
            elements.reserveCapacity(Int(header.children))
            for _ in 0..<header.children {
                guard let element = decodeChecked(depth: depth + 1) else { return nil }
                elements.append(element)
            }
            return .array(elements)
        case .map:
            position += header.length
            var entries: [MessagePackValue.MapEntry] = []
            entries.reserveCapacity(Int(header.children / 2))
            for _ in 0..<(header.children / 2) {
                guard let key = decodeChecked(depth: depth + 1),
                      let value = decodeChecked(depth: depth + 1) else { return nil }
                entries.append(.init(key, value))
            }
            return .map(entries)
        case .invalid:
            return nil
        }
    }

    private static func extensionValue(type: Int8, data: UnsafeRawBufferPointer) -> MessagePackValue {
        guard type == -1 else { return .ext(type: type, data: Array(data)) }
        switch data.count {
        case 4:
            return .timestamp(seconds: Int64(data.bigEndianUInt32(at: 0)), nanoseconds: 0)
        case 8:
            let packed = data.bigEndianUInt64(at: 0)
            let nanoseconds = UInt32(packed >> 34)
            guard nanoseconds < 1_000_000_000 else { return .ext(type: type, data: Array(data)) }
            return .timestamp(seconds: Int64(packed & 0x3_FFFF_FFFF), nanoseconds: nanoseconds)
        case 12:
            let nanoseconds = data.bigEndianUInt32(at: 0)
            guard nanoseconds < 1_000_000_000 else { return .ext(type: type, data: Array(data)) }
            return .timestamp(seconds: Int64(bitPattern: data.bigEndianUInt64(at: 4)), nanoseconds: nanoseconds)
        default:
            return .ext(type: type, data: Array(data))
        }
    }
}

extension MessagePackValue {
    /// Decodes exactly one value that fills `bytes`; nil if the bytes are not that.
    public static func decode(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) -> MessagePackValue? {
        var reader = MessagePackReader(bytes, maxDepth: maxDepth)
        guard let value = reader.readValue(), reader.isAtEnd else { return nil }
        return value
    }

    public static func decode(_ bytes: [UInt8], maxDepth: Int = 64) -> MessagePackValue? {
        bytes.withUnsafeBytes { decode($0, maxDepth: maxDepth) }
    }
}
