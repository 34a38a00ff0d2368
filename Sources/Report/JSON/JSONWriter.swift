/// Builds compact JSON as UTF-8 bytes. Keys are written in the order given, so reports diff cleanly.
/// Written for the JSON Lines path, which writes one line per call: bytes go straight into the
/// writer's own storage (checked for sharing and room once per value, not once per byte run),
/// numbers are turned into digits in place, keys known at compile time are copied without an
/// escape check, and which containers need a comma is kept in a bit set rather than an array.
public struct JSONWriter {
    /// The bytes; a writer copied is given storage of its own at its next write.
    private var storage: Storage
    private var count = 0
    /// Containers open; 0 at the top level.
    private var depth = 0
    /// Bit `d`: whether the container at depth `d` already holds an element (a comma comes next).
    private var hasElement: UInt64 = 0
    /// The same, for containers deeper than 63.
    private var deeper: [Bool] = []

    private final class Storage {
        var start: UnsafeMutablePointer<UInt8>
        var capacity: Int

        init(capacity: Int) {
            self.capacity = max(16, capacity)
            start = .allocate(capacity: self.capacity)
        }

        deinit { start.deallocate() }
    }

    public init(capacity: Int = 512) {
        storage = Storage(capacity: capacity)
    }

    /// The bytes written, copied out.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: storage.start, count: count)) }

    /// The bytes written, lent for the time of `body`.
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withExtendedLifetime(storage) { try body(UnsafeRawBufferPointer(start: storage.start, count: count)) }
    }

    /// Room for `extra` more bytes in storage this writer alone holds; returns where they go.
    @inline(__always)
    private mutating func reserve(_ extra: Int) -> UnsafeMutablePointer<UInt8> {
        if !isKnownUniquelyReferenced(&storage) || count + extra > storage.capacity {
            let grown = Storage(capacity: max(storage.capacity * 2, count + extra))
            grown.start.update(from: storage.start, count: count)
            storage = grown
        }
        return storage.start + count
    }

    @inline(__always)
    private mutating func append(_ byte: UInt8) {
        reserve(1).pointee = byte
        count += 1
    }

    @inline(__always)
    private mutating func append(_ source: UnsafeRawBufferPointer) {
        guard let base = source.baseAddress, source.count > 0 else { return }
        UnsafeMutableRawPointer(reserve(source.count)).copyMemory(from: base, byteCount: source.count)
        count += source.count
    }

    private mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    public var text: String { withBytes { String(decoding: $0, as: UTF8.self) } }

    /// Ends a line of JSON Lines.
    public mutating func newline() { append(UInt8(ascii: "\n")) }

    /// Empties the writer for the next document, keeping its storage.
    public mutating func reset() {
        count = 0
        depth = 0
        hasElement = 0
        deeper.removeAll(keepingCapacity: true)
    }

    public mutating func beginObject() { separate(); append(UInt8(ascii: "{")); open() }
    public mutating func endObject() { append(UInt8(ascii: "}")); depth -= 1 }
    public mutating func beginArray() { separate(); append(UInt8(ascii: "[")); open() }
    public mutating func endArray() { append(UInt8(ascii: "]")); depth -= 1 }

    /// Writes `"name":`; the value written next belongs to it. Names in the code need no escaping.
    public mutating func key(_ name: StaticString) {
        separate()
        let length = name.utf8CodeUnitCount
        let text = reserve(length + 3)
        text[0] = UInt8(ascii: "\"")
        (text + 1).update(from: name.utf8Start, count: length)
        text[length + 1] = UInt8(ascii: "\"")
        text[length + 2] = UInt8(ascii: ":")
        count += length + 3
        setHasElement(false)
    }

    /// Writes `"name":` for a name made at run time (a map key of a value), escaped as needed.
    public mutating func key(named name: String) {
        separate()
        writeString(name)
        append(UInt8(ascii: ":"))
        setHasElement(false)
    }

    public mutating func string(_ value: String) { separate(); writeString(value) }

    /// Text known at compile time, which needs no escaping.
    public mutating func string(_ value: StaticString) {
        separate()
        let length = value.utf8CodeUnitCount
        let text = reserve(length + 2)
        text[0] = UInt8(ascii: "\"")
        (text + 1).update(from: value.utf8Start, count: length)
        text[length + 1] = UInt8(ascii: "\"")
        count += length + 2
    }
    public mutating func bool(_ value: Bool) { separate(); append(value ? "true" : "false") }
    public mutating func null() { separate(); append("null") }
    /// A number already in JSON form.
    public mutating func rawNumber(_ value: String) { separate(); append(value) }

    public mutating func int(_ value: Int) { int(Int64(value)) }
    public mutating func int(_ value: UInt64) { separate(); appendDigits(value) }

    public mutating func int(_ value: Int64) {
        separate()
        if value < 0 { append(UInt8(ascii: "-")) }
        appendDigits(value.magnitude)
    }

    public mutating func int<I: BinaryInteger>(_ value: I) {
        if let small = Int64(exactly: value) { return int(small) }
        if let large = UInt64(exactly: value) { return int(large) }
        separate()
        append(String(value))
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
            append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        // Written backwards into 24 bytes on the stack, two digits per division (nanosecond
        // times have 19), then copied once.
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { raw in
            let digits = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var rest = value
            var start = 24
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
            append(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(raw)[start..<24]))
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
            if hasElement & bit != 0 { append(UInt8(ascii: ",")) }
            hasElement |= bit
        } else {
            if deeper[depth - 64] { append(UInt8(ascii: ",")) }
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
        append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            // Most text needs no escaping: copy it whole.
            if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                append(UnsafeRawBufferPointer(utf8))
                return
            }
            let hex = Array("0123456789abcdef".utf8)
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): append(UInt8(ascii: "\\")); append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): append(UInt8(ascii: "\\")); append(UInt8(ascii: "\\"))
                case 0x0A: append(UInt8(ascii: "\\")); append(UInt8(ascii: "n"))
                case 0x0D: append(UInt8(ascii: "\\")); append(UInt8(ascii: "r"))
                case 0x09: append(UInt8(ascii: "\\")); append(UInt8(ascii: "t"))
                case 0..<0x20:
                    append("\\u00")
                    append(hex[Int(byte >> 4)])
                    append(hex[Int(byte & 0xF)])
                default: append(byte)
                }
            }
        }
        append(UInt8(ascii: "\""))
    }
}
