import Testing
@testable import Capture

struct InterCoreRecordTests {
    /// Why the bytes are not a record, or nil when they are one.
    func problem(_ bytes: [UInt8]) -> InterCoreFormatError? {
        bytes.withUnsafeBytes { raw in
            guard case .failure(let reason) = InterCoreRecordView.parse(raw) else { return nil }
            let problem = InterCoreRecordView.problem(raw)
            // The view's reason is the diagnosis's.
            #expect(reason.description == problem.description)
            return problem
        }
    }

    @Test func encodesAndParsesEveryField() throws {
        let header = InterCoreHeader(kind: .uart, channel: 2, source: 0xFE, destination: 1,
                                     isReceiverSide: true, lossBefore: true, sequence: 0xDEAD_BEEF)
        let bytes = header.encoded + [0x41, 0x42]
        #expect(Array(bytes.prefix(12)) == [0x49, 0x43, 0x01, 0x02, 0x02, 0xFE, 0x01, 0x03, 0xDE, 0xAD, 0xBE, 0xEF])
        try bytes.withUnsafeBytes { raw in
            let view = try InterCoreRecordView.parse(raw).get()
            #expect(view.header == header)
            #expect(Array(view.payload) == [0x41, 0x42])
        }
    }

    @Test func malformedRecordsSayWhy() {
        var good = InterCoreHeader(kind: .message, channel: 0, source: 0, destination: 1, sequence: 0).encoded
        #expect(problem(Array(good.prefix(11))) == .tooShort(length: 11))
        good[0] = 0x50
        #expect(problem(good) == .badMagic(0x50, 0x43))
        good[0] = 0x49
        good[2] = 2
        #expect(problem(good) == .unknownVersion(2))
        good[2] = 1
        good[3] = 4
        #expect(problem(good) == .unknownKind(4))
        #expect(InterCoreFormatError.unknownKind(4).description.contains("kind 4"))
    }

    @Test func reservedFlagBitsDoNotMakeARecordMalformed() throws {
        var bytes = InterCoreHeader(kind: .message, channel: 0, source: 0, destination: 1, sequence: 0).encoded
        bytes[7] = 0xFC
        #expect(problem(bytes) == nil)
    }
}

