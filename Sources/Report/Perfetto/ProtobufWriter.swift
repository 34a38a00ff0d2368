/// The protobuf wire format, as much as a Perfetto trace needs: varints, fixed 64-bit values,
/// strings and nested messages. Hand-written: the messages are a dozen fields of Perfetto's
/// trace protos, and generated code for those protos would be tens of thousands of lines.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    private mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func tag(_ field: Int, _ wireType: UInt64) {
        varint(UInt64(field) << 3 | wireType)
    }

    mutating func uint(_ field: Int, _ value: UInt64) {
        tag(field, 0)
        varint(value)
    }

    /// int32/int64 fields: two's complement, ten bytes for a negative number.
    mutating func int(_ field: Int, _ value: Int64) {
        tag(field, 0)
        varint(UInt64(bitPattern: value))
    }

    mutating func fixed64(_ field: Int, _ value: UInt64) {
        tag(field, 1)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func string(_ field: Int, _ text: String) {
        message(field, Array(text.utf8))
    }

    mutating func message(_ field: Int, _ body: [UInt8]) {
        tag(field, 2)
        varint(UInt64(body.count))
        bytes.append(contentsOf: body)
    }

    mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        message(field, inner.bytes)
    }
}
