import AnalysisCore
import Capture
import Testing

/// Every wire view parses the same way: a value, or the reason in words.
struct WireViewTests {
    static func parse<T>(_ bytes: [UInt8], _ parse: (UnsafeRawBufferPointer) -> Result<T, RecordProblem>) -> Result<T, RecordProblem> {
        bytes.withUnsafeBytes { parse($0) }
    }

    static func reason<T>(_ result: Result<T, RecordProblem>) -> String? {
        if case .failure(let problem) = result { return problem.description }
        return nil
    }

    @Test func tcp() throws {
        var segment: [UInt8] = [0x1F, 0x40, 0x1B, 0x58, 0, 0, 0, 9, 0, 0, 0, 0, 0x50, 0x12, 0xFF, 0xFF, 0, 0, 0, 0, 0x91, 0x01]
        let header = try Self.parse(segment, TCPHeader.parse).get()
        #expect(header.sourcePort == 8000 && header.destinationPort == 7000 && header.sequence == 9)
        #expect(header.isSYN && header.isACK && !header.isFIN && header.payload.count == 2)
        #expect(Self.reason(Self.parse(Array(segment.prefix(19)), TCPHeader.parse))?.contains("cut short") == true)
        segment[12] = 0x40
        #expect(Self.reason(Self.parse(segment, TCPHeader.parse))?.contains("shorter than the 20-byte header") == true)
        segment[12] = 0xF0
        #expect(Self.reason(Self.parse(segment, TCPHeader.parse))?.contains("past the segment") == true)
    }

    @Test func udp() throws {
        let datagram: [UInt8] = [0x13, 0x88, 0x1B, 0x58, 0, 10, 0, 0, 0x91, 0x01, 0xFF]
        let header = try Self.parse(datagram, UDPHeader.parse).get()
        #expect(header.sourcePort == 5000 && header.destinationPort == 7000)
        // The length field bounds the payload: the trailing byte is padding.
        #expect(header.payload.count == 2)
        #expect(Self.reason(Self.parse(Array(datagram.prefix(7)), UDPHeader.parse))?.contains("cut short") == true)
    }

    @Test func interCoreRecord() throws {
        let good = InterCoreHeader(kind: .mailbox, channel: 0, source: 0, destination: 1, sequence: 7).encoded + [0x90]
        let view = try Self.parse(good, InterCoreRecordView.parse).get()
        #expect(view.header.sequence == 7 && view.payload.count == 1)
        var wrong = good
        wrong[3] = 9
        #expect(Self.reason(Self.parse(wrong, InterCoreRecordView.parse)) != nil)
        #expect(Self.reason(Self.parse(Array(good.prefix(5)), InterCoreRecordView.parse)) != nil)
    }

    @Test func nuttxAndUSBGiveReasonsToo() {
        #expect(Self.reason(Self.parse([UInt8](repeating: 0, count: 10), NuttXRPMsgRecord.parse)) != nil)
        #expect(Self.reason(Self.parse([UInt8](repeating: 0, count: 10)) { USBLinuxHeader.parse($0, linkType: 189) }) != nil)
    }
}
