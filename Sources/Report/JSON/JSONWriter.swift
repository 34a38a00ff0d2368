/// Builds compact JSON as UTF-8 bytes. Keys are written in the order given, so reports diff cleanly.
/// Written for the JSON Lines path, which writes one line per call: numbers are turned into
/// digits in place, keys known at compile time are copied without an escape check, and which
/// containers need a comma is kept in a bit set rather than an array.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Containers open; 0 at the top level.
    private var depth = 0
    /// Bit `d`: whether the container at depth `d` already holds an element (a comma comes next).
    private var hasElement: UInt64 = 0
    /// The same, for containers deeper than 63.
    private var deeper: [Bool] = []

    public init(capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Ends a line of JSON Lines.
    public mutating func newline() { bytes.append(UInt8(ascii: "\n")) }

    /// Empties the writer for the next document, keeping its storage.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        depth = 0
        hasElement = 0
        deeper.removeAll(keepingCapacity: true)
    }

    public mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); open() }
    public mutating func endObject() { bytes.append(UInt8(ascii: "}")); depth -= 1 }
    public mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); open() }
    public mutating func endArray() { bytes.append(UInt8(ascii: "]")); depth -= 1 }

    /// Writes `"name":`; the value written next belongs to it. Names in the code need no escaping.
    public mutating func key(_ name: StaticString) {
        separate()
        // `"name":` assembled aside and appended once: one capacity check instead of four.
        let count = name.utf8CodeUnitCount
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count + 3) { text in
            text[0] = UInt8(ascii: "\"")
            (text.baseAddress! + 1).update(from: name.utf8Start, count: count)
            text[count + 1] = UInt8(ascii: "\"")
            text[count + 2] = UInt8(ascii: ":")
            bytes.append(contentsOf: text)
        }
        setHasElement(false)
    }

    /// Writes `"name":` for a name made at run time (a map key of a value), escaped as needed.
    public mutating func key(named name: String) {
        separate()
        writeString(name)
        bytes.append(UInt8(ascii: ":"))
        setHasElement(false)
    }

    public mutating func string(_ value: String) { separate(); writeString(value) }

    /// Text known at compile time, which needs no escaping.
    public mutating func string(_ value: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        value.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
    }
    public mutating func bool(_ value: Bool) { separate(); bytes.append(contentsOf: (value ? "true" : "false").utf8) }
    public mutating func null() { separate(); bytes.append(contentsOf: "null".utf8) }
    /// A number already in JSON form.
    public mutating func rawNumber(_ value: String) { separate(); bytes.append(contentsOf: value.utf8) }

    public mutating func int(_ value: Int) { int(Int64(value)) }
    public mutating func int(_ value: UInt64) { separate(); appendDigits(value) }

    public mutating func int(_ value: Int64) {
        separate()
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(value.magnitude)
    }

    public mutating func int<I: BinaryInteger>(_ value: I) {
        if let small = Int64(exactly: value) { return int(small) }
        if let large = UInt64(exactly: value) { return int(large) }
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func optionalInt<I: BinaryInteger>(_ value: I?) {
        if let value { int(value) } else { null() }
    }

    public mutating func optionalInt(_ value: Int64?) {
        if let value { int(value) } else { null() }
    }

    public mutating func optionalInt(_ value: UInt64?) {
        if let value { int(value) } else { null() }
    }

    public mutating func optionalString(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    // MARK: Kernels

    private mutating func appendDigits(_ value: UInt64) {
        if value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var rest = value
            var start = 20
            // Two digits per division: nanosecond times have 19.
            while rest >= 100 {
                let pair = Int(rest % 100) * 2
                rest /= 100
                start -= 2
                digits[start] = Self.digitPairs[pair]
                digits[start + 1] = Self.digitPairs[pair + 1]
            }
            if rest >= 10 {
                start -= 2
                digits[start] = Self.digitPairs[Int(rest) * 2]
                digits[start + 1] = Self.digitPairs[Int(rest) * 2 + 1]
            } else {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(rest)
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }

    /// "00", "01", … "99" as ASCII: a constant in the binary, read without a lazy initialiser.
    private static var digitPairs: UnsafePointer<UInt8> {
        ("00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899" as StaticString).utf8Start
    }

    @inline(__always)
    private mutating func separate() {
        if depth < 64 {
            let bit: UInt64 = 1 << UInt64(depth)
            if hasElement & bit != 0 { bytes.append(UInt8(ascii: ",")) }
            hasElement |= bit
        } else {
            if deeper[depth - 64] { bytes.append(UInt8(ascii: ",")) }
            deeper[depth - 64] = true
        }
    }

    private mutating func open() {
        depth += 1
        if depth < 64 {
            hasElement &= ~(1 << UInt64(depth))
        } else if deeper.count > depth - 64 {
            deeper[depth - 64] = false
        } else {
            deeper.append(false)
        }
    }

    private mutating func setHasElement(_ value: Bool) {
        if depth < 64 {
            let bit: UInt64 = 1 << UInt64(depth)
            hasElement = value ? hasElement | bit : hasElement & ~bit
        } else {
            deeper[depth - 64] = value
        }
    }

    private mutating func writeString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            // Most text needs no escaping: copy it whole.
            if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                bytes.append(contentsOf: utf8)
                return
            }
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case 0..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                default: bytes.append(byte)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
