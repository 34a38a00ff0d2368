import Testing
@testable import Capture

struct StreamTableTests {
    func header(_ seq: UInt32, from: UInt8 = 0, to: UInt8 = 1, rx: Bool = false, loss: Bool = false,
                kind: ChannelKind = .mailbox) -> InterCoreHeader {
        InterCoreHeader(kind: kind, channel: 0, source: from, destination: to, isReceiverSide: rx, lossBefore: loss,
                        sequence: seq)
    }

    @Test func sequenceGapsCountMissingRecordsPerStream() {
        var table = StreamTable()
        #expect(table.observe(header(7), payloadLength: 4).missingRecords == 0)
        #expect(table.observe(header(8), payloadLength: 4).missingRecords == 0)
        #expect(table.observe(header(0, from: 1, to: 0), payloadLength: 4).missingRecords == 0)
        let gap = table.observe(header(12), payloadLength: 4)
        #expect(gap.missingRecords == 3)
        #expect(gap.expectedSequence == 9)
        // The receiver side of the same direction counts separately.
        #expect(table.observe(header(100, rx: true), payloadLength: 4).missingRecords == 0)
        #expect(table.observe(header(101, rx: true), payloadLength: 4).missingRecords == 0)
    }

    @Test func theCounterWrapsAt2To32() {
        var table = StreamTable()
        _ = table.observe(header(UInt32.max), payloadLength: 4)
        #expect(table.observe(header(0), payloadLength: 4).missingRecords == 0)
    }

    @Test func receiverSideRecordsAreTheStreamOnlyWithoutASenderSide() {
        var table = StreamTable()
        let rxOnly = table.observe(header(0, rx: true), payloadLength: 4)
        #expect(rxOnly.role == .stream)
        #expect(rxOnly.isNewDirection)
        var both = StreamTable()
        #expect(both.observe(header(0), payloadLength: 4).role == .stream)
        let rx = both.observe(header(0, rx: true), payloadLength: 4)
        #expect(rx.role == .delivery)
        #expect(!rx.isNewDirection)
        #expect(rx.direction == 0)
    }

    @Test func manyDirectionsAreTrackedApart() {
        var table = StreamTable()
        for channel in 0..<40 {
            let h = InterCoreHeader(kind: .uart, channel: UInt8(channel), source: 0, destination: 0xFE, sequence: 5)
            #expect(table.observe(h, payloadLength: 1).direction == channel)
        }
        for channel in 0..<40 {
            let h = InterCoreHeader(kind: .uart, channel: UInt8(channel), source: 0, destination: 0xFE, sequence: 6)
            let observation = table.observe(h, payloadLength: 1)
            #expect(observation.direction == channel)
            #expect(observation.missingRecords == 0)
            #expect(!observation.isNewDirection)
        }
    }
}

extension StreamTableTests {
    @Test func countsTrafficPerDirection() {
        var table = StreamTable()
        _ = table.observe(header(0), payloadLength: 10)
        _ = table.observe(header(0, rx: true), payloadLength: 10)
        _ = table.observe(header(1), payloadLength: 5)
        #expect(table.traffic(of: 0) == DirectionTraffic(records: 3, payloadBytes: 25, receiverSideRecords: 1))
    }
}
