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
        #expect(table.observe(header(7)).missingRecords == 0)
        #expect(table.observe(header(8)).missingRecords == 0)
        #expect(table.observe(header(0, from: 1, to: 0)).missingRecords == 0)
        let gap = table.observe(header(12))
        #expect(gap.missingRecords == 3)
        #expect(gap.expectedSequence == 9)
        // The receiver side of the same direction counts separately.
        #expect(table.observe(header(100, rx: true)).missingRecords == 0)
        #expect(table.observe(header(101, rx: true)).missingRecords == 0)
    }

    @Test func theCounterWrapsAt2To32() {
        var table = StreamTable()
        _ = table.observe(header(UInt32.max))
        #expect(table.observe(header(0)).missingRecords == 0)
    }

    @Test func receiverSideRecordsAreTheStreamOnlyWithoutASenderSide() {
        var table = StreamTable()
        let rxOnly = table.observe(header(0, rx: true))
        #expect(rxOnly.role == .stream)
        #expect(rxOnly.isNewDirection)
        var both = StreamTable()
        #expect(both.observe(header(0)).role == .stream)
        let rx = both.observe(header(0, rx: true))
        #expect(rx.role == .delivery)
        #expect(!rx.isNewDirection)
        #expect(rx.direction == 0)
    }

    @Test func manyDirectionsAreTrackedApart() {
        var table = StreamTable()
        for channel in 0..<40 {
            let h = InterCoreHeader(kind: .uart, channel: UInt8(channel), source: 0, destination: 0xFE, sequence: 5)
            #expect(table.observe(h).direction == channel)
        }
        for channel in 0..<40 {
            let h = InterCoreHeader(kind: .uart, channel: UInt8(channel), source: 0, destination: 0xFE, sequence: 6)
            let observation = table.observe(h)
            #expect(observation.direction == channel)
            #expect(observation.missingRecords == 0)
            #expect(!observation.isNewDirection)
        }
    }
}
