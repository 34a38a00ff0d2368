/// Writes values in their shortest encoding, as conforming MessagePack writers do.
public struct MessagePackEncoder {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public static func encode(_ value: MessagePackValue) -> [UInt8] {
        var encoder = MessagePackEncoder()
        encoder.append(value)
        return encoder.bytes
    }

    public mutating func append(_ value: MessagePackValue) {
        switch value {
        case .nil: bytes.append(0xC0)
        case .bool(let b): bytes.append(b ? 0xC3 : 0xC2)
        case .uint(let v): appendUnsigned(v)
        case .int(let v): v >= 0 ? appendUnsigned(UInt64(v)) : appendNegative(v)
        case .float32(let f):
            bytes.append(0xCA)
            appendBigEndian(UInt64(f.bitPattern), width: 4)
        case .float64(let d):
            bytes.append(0xCB)
            appendBigEndian(d.bitPattern, width: 8)
        case .string(let s): appendString(Array(s.utf8))
        case .invalidString(let raw): appendString(raw)
        case .binary(let data):
            appendLength(data.count, small: nil, codes: (0xC4, 0xC5, 0xC6))
            bytes.append(contentsOf: data)
        case .array(let elements):
            appendLength(elements.count, small: (0x90, 15), codes: (nil, 0xDC, 0xDD))
            for element in elements { append(element) }
        case .map(let entries):
            appendLength(entries.count, small: (0x80, 15), codes: (nil, 0xDE, 0xDF))
            for entry in entries {
                append(entry.key)
                append(entry.value)
            }
        case .ext(let type, let data): appendExtension(type: type, data: data)
        case .timestamp(let seconds, let nanoseconds): appendTimestamp(seconds: seconds, nanoseconds: nanoseconds)
        }
    }

    /// Appends bytes that are already MessagePack (a pre-encoded value).
    public mutating func appendRaw(_ raw: [UInt8]) {
        bytes.append(contentsOf: raw)
    }

    private mutating func appendString(_ utf8: [UInt8]) {
        appendLength(utf8.count, small: (0xA0, 31), codes: (0xD9, 0xDA, 0xDB))
        bytes.append(contentsOf: utf8)
    }

    private mutating func appendUnsigned(_ v: UInt64) {
        switch v {
        case 0...0x7F: bytes.append(UInt8(v))
        case 0...0xFF: bytes.append(0xCC); bytes.append(UInt8(v))
        case 0...0xFFFF: bytes.append(0xCD); appendBigEndian(v, width: 2)
        case 0...0xFFFF_FFFF: bytes.append(0xCE); appendBigEndian(v, width: 4)
        default: bytes.append(0xCF); appendBigEndian(v, width: 8)
        }
    }

    private mutating func appendNegative(_ v: Int64) {
        let pattern = UInt64(bitPattern: v)
        switch v {
        case -32...(-1): bytes.append(UInt8(truncatingIfNeeded: v))
        case Int64(Int8.min)...(-1): bytes.append(0xD0); appendBigEndian(pattern, width: 1)
        case Int64(Int16.min)...(-1): bytes.append(0xD1); appendBigEndian(pattern, width: 2)
        case Int64(Int32.min)...(-1): bytes.append(0xD2); appendBigEndian(pattern, width: 4)
        default: bytes.append(0xD3); appendBigEndian(pattern, width: 8)
        }
    }

    private mutating func appendLength(_ count: Int, small: (base: UInt8, max: Int)?, codes: (UInt8?, UInt8, UInt8)) {
        if let small, count <= small.max {
            bytes.append(small.base | UInt8(count))
        } else if let code8 = codes.0, count <= 0xFF {
            bytes.append(code8)
            bytes.append(UInt8(count))
        } else if count <= 0xFFFF {
            bytes.append(codes.1)
            appendBigEndian(UInt64(count), width: 2)
        } else {
            bytes.append(codes.2)
            appendBigEndian(UInt64(count), width: 4)
        }
    }

    private mutating func appendExtension(type: Int8, data: [UInt8]) {
        let fixed: [Int: UInt8] = [1: 0xD4, 2: 0xD5, 4: 0xD6, 8: 0xD7, 16: 0xD8]
        if let code = fixed[data.count] {
            bytes.append(code)
        } else {
            appendLength(data.count, small: nil, codes: (0xC7, 0xC8, 0xC9))
        }
        bytes.append(UInt8(bitPattern: type))
        bytes.append(contentsOf: data)
    }

    private mutating func appendTimestamp(seconds: Int64, nanoseconds: UInt32) {
        var payload = MessagePackEncoder()
        if nanoseconds == 0, seconds >= 0, seconds <= Int64(UInt32.max) {
            payload.appendBigEndian(UInt64(seconds), width: 4)
        } else if seconds >= 0, seconds < (1 << 34) {
            payload.appendBigEndian(UInt64(nanoseconds) << 34 | UInt64(seconds), width: 8)
        } else {
            payload.appendBigEndian(UInt64(nanoseconds), width: 4)
            payload.appendBigEndian(UInt64(bitPattern: seconds), width: 8)
        }
        appendExtension(type: -1, data: payload.bytes)
    }

    mutating func appendBigEndian(_ value: UInt64, width: Int) {
        for shift in stride(from: (width - 1) * 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }
}
