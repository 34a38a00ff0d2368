import AnalysisCore
import Testing

/// The integer readers every wire view uses.
struct ByteReadingTests {
    let bytes: [UInt8] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xFF]

    @Test func bothByteOrdersAtAnyOffset() {
        bytes.withUnsafeBytes { raw in
            #expect(raw.bigEndianUInt16(at: 0) == 0x0102)
            #expect(raw.littleEndianUInt16(at: 0) == 0x0201)
            #expect(raw.bigEndianUInt32(at: 1) == 0x0203_0405)
            #expect(raw.littleEndianUInt32(at: 1) == 0x0504_0302)
            #expect(raw.bigEndianUInt64(at: 0) == 0x0102_0304_0506_0708)
            #expect(raw.bigEndianUInt16(at: 7) == 0x08FF)
            #expect(raw.littleEndianUInt32(at: 5) == 0xFF08_0706)
        }
    }
}
