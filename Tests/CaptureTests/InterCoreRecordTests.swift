import Testing
@testable import Capture

struct InterCoreRecordTests {
    func parse(_ bytes: [UInt8]) -> Result<InterCoreRecordView, InterCoreFormatError> {
        bytes.withUnsafeBytes { raw in
            InterCoreRecordView.parse(raw).map { view in
                // Copy out of the borrowed bytes before they go.
                _ = Array(view.payload)
                return view
            }
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
        #expect(parse(Array(good.prefix(11))).failure == .tooShort(length: 11))
        good[0] = 0x50
        #expect(parse(good).failure == .badMagic(0x50, 0x43))
        good[0] = 0x49
        good[2] = 2
        #expect(parse(good).failure == .unknownVersion(2))
        good[2] = 1
        good[3] = 4
        #expect(parse(good).failure == .unknownKind(4))
        #expect(InterCoreFormatError.unknownKind(4).description.contains("kind 4"))
    }

    @Test func reservedFlagBitsDoNotMakeARecordMalformed() throws {
        var bytes = InterCoreHeader(kind: .message, channel: 0, source: 0, destination: 1, sequence: 0).encoded
        bytes[7] = 0xFC
        #expect(parse(bytes).failure == nil)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
