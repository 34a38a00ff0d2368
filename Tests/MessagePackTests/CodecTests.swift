import Testing
@testable import MessagePack

/// Decoding and encoding of every format family, with hand-checked bytes.
struct CodecTests {
    @Test(arguments: [
        ([0x7F], MessagePackValue.uint(127)),
        ([0xE0], .int(-32)),
        ([0xCC, 0xFF], .uint(255)),
        ([0xCD, 0x01, 0x00], .uint(256)),
        ([0xCE, 0xFF, 0xFF, 0xFF, 0xFF], .uint(4_294_967_295)),
        ([0xCF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], .uint(.max)),
        ([0xD0, 0x80], .int(-128)),
        ([0xD1, 0x80, 0x00], .int(-32768)),
        ([0xD2, 0x80, 0x00, 0x00, 0x00], .int(Int64(Int32.min))),
        ([0xD3, 0x80, 0, 0, 0, 0, 0, 0, 0], .int(.min)),
        ([0xD0, 0x05], .uint(5)),
        ([0xCA, 0x3F, 0xC0, 0x00, 0x00], .float32(1.5)),
        ([0xCB, 0x40, 0x09, 0x21, 0xFB, 0x54, 0x44, 0x2D, 0x18], .float64(3.141592653589793)),
        ([0xA3, 0x61, 0x62, 0x63], .string("abc")),
        ([0xD9, 0x01, 0x7A], .string("z")),
        ([0xDA, 0x00, 0x01, 0x7A], .string("z")),
        ([0xDB, 0x00, 0x00, 0x00, 0x01, 0x7A], .string("z")),
        ([0xA2, 0xC3, 0x28], .invalidString([0xC3, 0x28])),
        ([0xC4, 0x02, 0x00, 0xFF], .binary([0x00, 0xFF])),
        ([0xC5, 0x00, 0x01, 0xAA], .binary([0xAA])),
        ([0xC6, 0x00, 0x00, 0x00, 0x01, 0xAA], .binary([0xAA])),
        ([0x92, 0x01, 0xC0], .array([.uint(1), .nil])),
        ([0xDC, 0x00, 0x01, 0xC3], .array([.bool(true)])),
        ([0xDD, 0x00, 0x00, 0x00, 0x01, 0xC2], .array([.bool(false)])),
        ([0x81, 0xA1, 0x6B, 0x01], .map([.init(.string("k"), .uint(1))])),
        ([0xDE, 0x00, 0x01, 0x01, 0x02], .map([.init(.uint(1), .uint(2))])),
        ([0xDF, 0x00, 0x00, 0x00, 0x01, 0xC0, 0xC0], .map([.init(.nil, .nil)])),
        ([0x82, 0xA1, 0x61, 0x01, 0xA1, 0x61, 0x02], .map([.init(.string("a"), .uint(1)), .init(.string("a"), .uint(2))])),
        ([0xD4, 0x05, 0xAA], .ext(type: 5, data: [0xAA])),
        ([0xD5, 0x05, 0xAA, 0xBB], .ext(type: 5, data: [0xAA, 0xBB])),
        ([0xD8, 0x7F] + [UInt8](repeating: 1, count: 16), .ext(type: 127, data: [UInt8](repeating: 1, count: 16))),
        ([0xC7, 0x03, 0x80, 1, 2, 3], .ext(type: -128, data: [1, 2, 3])),
        ([0xC8, 0x00, 0x01, 0x01, 9], .ext(type: 1, data: [9])),
        ([0xC9, 0x00, 0x00, 0x00, 0x01, 0x01, 9], .ext(type: 1, data: [9])),
        ([0xD6, 0xFF, 0x00, 0x00, 0x00, 0x01], .timestamp(seconds: 1, nanoseconds: 0)),
        ([0xD7, 0xFF, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02], .timestamp(seconds: 2, nanoseconds: 1)),
        ([0xC7, 0x0C, 0xFF, 0x00, 0x00, 0x00, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
         .timestamp(seconds: -1, nanoseconds: 5)),
    ] as [([UInt8], MessagePackValue)])
    func decodesEachFormat(bytes: [UInt8], expected: MessagePackValue) {
        #expect(MessagePackValue.decode(bytes) == expected)
    }

    @Test func encoderPicksTheShortestForm() {
        #expect(encode(.uint(127)) == [0x7F])
        #expect(encode(.uint(128)) == [0xCC, 0x80])
        #expect(encode(.int(-33)) == [0xD0, 0xDF])
        #expect(encode(.int(-1)) == [0xFF])
        #expect(encode(.string(String(repeating: "x", count: 31))).first == 0xBF)
        #expect(encode(.string(String(repeating: "x", count: 32))).prefix(2) == [0xD9, 32])
        #expect(encode(.array(Array(repeating: .nil, count: 16))).prefix(3) == [0xDC, 0x00, 0x10])
        #expect(encode(.timestamp(seconds: 1, nanoseconds: 0)) == [0xD6, 0xFF, 0, 0, 0, 1])
    }

    @Test func roundTripsNestedValues() {
        let value = MessagePackValue.array([
            .uint(0), .uint(7), .string("servo_write"),
            .array([.int(-5), .float64(0.25), .binary([1, 2, 3]), .map([.init(.string("deg"), .uint(64))]),
                    .timestamp(seconds: 1_767_225_600, nanoseconds: 999), .ext(type: 9, data: [7, 7, 7]),
                    .string(String(repeating: "é", count: 300))]),
        ])
        #expect(MessagePackValue.decode(encode(value)) == value)
    }

    @Test func rejectsTruncatedTrailingAndInvalid() {
        #expect(MessagePackValue.decode([0xC1]) == nil)
        #expect(MessagePackValue.decode([0x92, 0x01]) == nil)
        #expect(MessagePackValue.decode([0xDB, 0xFF, 0xFF, 0xFF, 0xFF]) == nil)
        #expect(MessagePackValue.decode([0x01, 0x02]) == nil)
        #expect(MessagePackValue.decode([]) == nil)
    }

    @Test func depthLimitHoldsWithoutRecursionTrouble() {
        let deep = [UInt8](repeating: 0x91, count: 100_000) + [0x01]
        #expect(MessagePackValue.decode(deep, maxDepth: 64) == nil)
        let shallow = [UInt8](repeating: 0x91, count: 10) + [0x01]
        #expect(MessagePackValue.decode(shallow) != nil)
    }

    @Test func readerSkipsWithoutBuildingValues() {
        let bytes = request(9, "servo_write", [.uint(0), .uint(64)])
        bytes.withUnsafeBytes { raw in
            var reader = MessagePackReader(raw)
            #expect(reader.readArrayHeader() == 4)
            #expect(reader.readInteger() == .uint(0))
            #expect(reader.readInteger() == .uint(9))
            #expect(reader.readTextBytes().map { String(decoding: $0, as: UTF8.self) } == "servo_write")
            let skipped = reader.skipValue()
            #expect(skipped)
            #expect(reader.isAtEnd)
        }
    }

    @Test func previewIsReadableAndBounded() {
        #expect(MessagePackValue.array([.uint(1), .string("a\n"), .binary([0xFF]), .nil]).description == #"[1, "a\n", b"ff", nil]"#)
        let long = MessagePackValue.array(Array(repeating: .string("xxxxxxxxxx"), count: 1000))
        #expect(long.preview(limit: 60).count < 100)
    }
}

extension CodecTests {
    @Test(arguments: [
        ([0x05], UInt64?(5)), ([0xCC, 0xFF], 255), ([0xCD, 0x12, 0x34], 0x1234), ([0xCE, 0, 1, 0, 0], 65536),
        ([0xCF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], .max), ([0xD0, 0x7F], 127), ([0xD2, 0, 0, 0, 9], 9),
        ([0xD0, 0x80], nil), ([0xFF], nil), ([0xD3, 0x80, 0, 0, 0, 0, 0, 0, 0], nil), ([0xCD, 0x12], nil), ([0xA1, 0x61], nil),
    ] as [([UInt8], UInt64?)])
    func readsUnsignedIntegersInPlace(bytes: [UInt8], expected: UInt64?) {
        bytes.withUnsafeBytes { raw in
            var reader = MessagePackReader(raw)
            #expect(reader.readUnsigned() == expected)
            #expect(reader.offset == (expected == nil ? 0 : bytes.count))
        }
    }
}

extension CodecTests {
    @Test func aCutPreviewNeverLeavesAKeyWithoutItsValue() {
        let big = MessagePackValue.map((0..<50).map { .init(.string("key\($0)"), .string(String(repeating: "v", count: 20))) })
        let cut = big.preview(limit: 60)
        #expect(!cut.contains(": ,"))
        #expect(!cut.contains(": }"))
        #expect(cut.hasSuffix("}"))
        #expect(cut.contains("…"))
    }
}
