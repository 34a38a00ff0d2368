import AnalysisCore
import Testing
@testable import Capture

/// IP fragments of either version put back together by `IPLayer`, fed raw packets one by one.
struct IPLayerTests {
    /// What one packet came to; a datagram's payload copied out, as it lives only until the next.
    enum Result: Equatable {
        case datagram([UInt8])
        case held
        case other
        case malformed
    }

    /// Raw packets from 10.0.0.1 (or ::1) to 10.0.0.2 (or ::2) carrying fragments of UDP datagrams.
    struct Fragments {
        var v6: Bool

        /// `bytes` at `offset` (a multiple of 8) of datagram `id`'s payload; `more` if others follow.
        func packet(_ bytes: [UInt8], at offset: Int, more: Bool, id: UInt32 = 9, from source: UInt8 = 1) -> [UInt8] {
            if v6 {
                let body = [17, 0] + UInt16(offset | (more ? 1 : 0)).bigEndianBytes + id.bigEndianBytes + bytes
                let address = { (last: UInt8) in [UInt8](repeating: 0, count: 15) + [last] }
                return [0x60, 0, 0, 0] + UInt16(body.count).bigEndianBytes + [44, 64] + address(source) + address(2) + body
            }
            return [0x45, 0] + UInt16(20 + bytes.count).bigEndianBytes + UInt16(id).bigEndianBytes
                + UInt16(offset / 8 | (more ? 0x2000 : 0)).bigEndianBytes + [64, 17, 0, 0] + [10, 0, 0, source, 10, 0, 0, 2] + bytes
        }

        func decode(_ packet: [UInt8], _ layer: inout IPLayer) -> Result {
            packet.withUnsafeBytes { bytes in
                switch layer.decode(bytes, v6 ? .ipv6 : .ipv4) {
                case .datagram(let datagram):
                    #expect(datagram.transport == 17 && !datagram.truncated)
                    return .datagram(Array(datagram.payload))
                case .fragmentHeld: return .held
                case .other: return .other
                case .malformed: return .malformed
                }
            }
        }

        /// Each of `pieces` (offset, bytes, more) of datagram `id` in turn.
        func decode(_ pieces: [(Int, [UInt8], Bool)], id: UInt32 = 9, _ layer: inout IPLayer) -> [Result] {
            pieces.map { decode(packet($0.1, at: $0.0, more: $0.2, id: id), &layer) }
        }
    }

    static let payload = (0..<200).map { UInt8($0 * 7 & 0xFF) }
    /// `payload` in three fragments, in order.
    static let thirds: [(Int, [UInt8], Bool)] = [
        (0, Array(payload[0..<64]), true), (64, Array(payload[64..<128]), true), (128, Array(payload[128...]), false),
    ]

    @Test(arguments: [false, true])
    func fragmentsInOrder(v6: Bool) {
        var layer = IPLayer()
        #expect(Fragments(v6: v6).decode(Self.thirds, &layer) == [.held, .held, .datagram(Self.payload)])
        #expect(layer.pendingFragmentedDatagrams == 0)
    }

    @Test(arguments: [false, true])
    func fragmentsReversed(v6: Bool) {
        var layer = IPLayer()
        #expect(Fragments(v6: v6).decode(Self.thirds.reversed(), &layer) == [.held, .held, .datagram(Self.payload)])
    }

    @Test(arguments: [false, true])
    func everyFragmentTwiceGivesTheDatagramOnce(v6: Bool) {
        var layer = IPLayer()
        let pieces = [Self.thirds[2], Self.thirds[2], Self.thirds[0], Self.thirds[0], Self.thirds[1]]
        #expect(Fragments(v6: v6).decode(pieces, &layer) == [.held, .held, .held, .held, .datagram(Self.payload)])
        // A copy after the datagram was complete starts another, which waits.
        #expect(Fragments(v6: v6).decode([Self.thirds[1]], &layer) == [.held])
        #expect(layer.pendingFragmentedDatagrams == 1)
    }

    /// Overlapping fragments with different bytes: the bytes that came first are kept, both where
    /// a later fragment covers a whole stretch already there and where it covers part of one.
    @Test(arguments: [false, true])
    func overlapsKeepTheBytesThatCameFirst(v6: Bool) {
        var layer = IPLayer()
        let a = [UInt8](repeating: 0xAA, count: 8), b = [UInt8](repeating: 0xBB, count: 96), c = [UInt8](repeating: 0xCC, count: 40)
        let results = Fragments(v6: v6).decode([(8, a, true), (0, b, true), (88, c, false)], &layer)
        let whole = [UInt8](repeating: 0xBB, count: 8) + a + [UInt8](repeating: 0xBB, count: 80) + [UInt8](repeating: 0xCC, count: 32)
        #expect(results == [.held, .held, .datagram(whole)])
    }

    /// Another last fragment with another end: the first one's length holds.
    @Test(arguments: [false, true])
    func theFirstLastFragmentFixesTheLength(v6: Bool) {
        var layer = IPLayer()
        let results = Fragments(v6: v6).decode([(64, Array(Self.payload[64..<128]), false), (64, Array(Self.payload[64..<96]), false),
                                               (64, Array(Self.payload[64...]), false), (0, Array(Self.payload[..<64]), true)], &layer)
        #expect(results == [.held, .held, .held, .datagram(Array(Self.payload[..<128]))])
    }

    /// The adversarial shape: the last fragment first, then one middle fragment again and again.
    /// What is held and the work done stay those of one copy, whatever the number of copies.
    @Test(arguments: [false, true])
    func aFragmentRepeatedEndlesslyCostsItsOwnLengthEachTime(v6: Bool) {
        var layer = IPLayer()
        let fragments = Fragments(v6: v6)
        let middle = fragments.packet(Array(Self.payload[8..<16]), at: 8, more: true)
        #expect(fragments.decode([(16, Array(Self.payload[16..<24]), false)], &layer) == [.held])
        #expect(fragments.decode(middle, &layer) == .held)
        let held = layer.heldFragmentBytes, work = layer.reassemblyWork
        #expect(held <= 24 + 8)
        for _ in 0..<10_000 { #expect(fragments.decode(middle, &layer) == .held) }
        #expect(layer.heldFragmentBytes == held)
        // One bitmap word a copy.
        #expect(layer.reassemblyWork - work == 10_000)
        #expect(layer.pendingFragmentedDatagrams == 1)
        #expect(fragments.decode([(0, Array(Self.payload[..<8]), true)], &layer) == [.datagram(Array(Self.payload[..<24]))])
    }

    @Test(arguments: [false, true])
    func aDatagramNeverCompletedWaitsAndLeavesOthersAlone(v6: Bool) {
        var layer = IPLayer()
        let fragments = Fragments(v6: v6)
        #expect(fragments.decode([Self.thirds[0], Self.thirds[2]], id: 1, &layer) == [.held, .held])
        #expect(fragments.decode(Self.thirds, id: 2, &layer) == [.held, .held, .datagram(Self.payload)])
        // The same id from another source is another datagram.
        #expect(fragments.decode(fragments.packet(Self.thirds[1].1, at: 64, more: true, id: 1, from: 3), &layer) == .held)
        #expect(layer.pendingFragmentedDatagrams == 2)
        #expect(fragments.decode([Self.thirds[1]], id: 1, &layer) == [.datagram(Self.payload)])
        #expect(layer.pendingFragmentedDatagrams == 1)
    }

    /// A slot used again starts empty: a datagram never sees bytes of the one before it.
    @Test(arguments: [false, true])
    func aCompletedDatagramLeavesNothingForTheNext(v6: Bool) {
        var layer = IPLayer()
        let fragments = Fragments(v6: v6)
        #expect(fragments.decode(Self.thirds, &layer).last == .datagram(Self.payload))
        let next = [UInt8](repeating: 0x5A, count: 200)
        let results = fragments.decode([(128, Array(next[128...]), false), (0, Array(next[..<64]), true),
                                        (64, Array(next[64..<128]), true)], &layer)
        #expect(results == [.held, .held, .datagram(next)])
    }

    @Test(arguments: [false, true])
    func pastTheCapTheDatagramThatWaitedLongestIsGivenUp(v6: Bool) {
        var layer = IPLayer()
        let fragments = Fragments(v6: v6)
        for id in 0...UInt32(IPLayer().maxPendingDatagrams) {
            #expect(fragments.decode([Self.thirds[0]], id: id, &layer) == [.held])
        }
        #expect(layer.pendingFragmentedDatagrams == 64)
        #expect(layer.droppedFragmentedDatagrams == 1)
        // Datagram 0 was given up: the rest of it starts anew (and gives up datagram 1).
        #expect(fragments.decode(Array(Self.thirds[1...]), id: 0, &layer) == [.held, .held])
        #expect(layer.droppedFragmentedDatagrams == 2)
        #expect(fragments.decode(Array(Self.thirds[1...]), id: 2, &layer) == [.held, .datagram(Self.payload)])
        // Thousands more datagrams: what is held stays that of 64.
        let held = layer.heldFragmentBytes
        for id in 100..<10_000 as Range<UInt32> { _ = fragments.decode([Self.thirds[0]], id: id, &layer) }
        #expect(layer.pendingFragmentedDatagrams == 64)
        #expect(held <= 64 * (200 + 4 * 8) + 200)
        #expect(layer.heldFragmentBytes <= 64 * (200 + 4 * 8) + 200)
    }

    @Test func aSmallerCapIsKept() {
        var layer = IPLayer()
        layer.maxPendingDatagrams = 3
        let fragments = Fragments(v6: false)
        for id in 0..<10 as Range<UInt32> { _ = fragments.decode([Self.thirds[0]], id: id, &layer) }
        #expect(layer.pendingFragmentedDatagrams == 3)
        #expect(layer.droppedFragmentedDatagrams == 7)
        #expect(fragments.decode(Array(Self.thirds[1...]), id: 9, &layer) == [.held, .datagram(Self.payload)])
    }

    @Test(arguments: [false, true])
    func aFragmentPastSixtyFourKiBIsMalformed(v6: Bool) {
        var layer = IPLayer()
        #expect(Fragments(v6: v6).decode([(65_528, [UInt8](repeating: 1, count: 16), false)], &layer) == [.malformed])
    }

    /// IPv6: a fragment header saying offset 0 and no more fragments is the whole datagram, and
    /// fragments of the largest datagram there can be are put together.
    @Test func ipv6AtomicFragmentsAndTheLargestDatagram() {
        var layer = IPLayer()
        let fragments = Fragments(v6: true)
        #expect(fragments.decode(fragments.packet(Self.payload, at: 0, more: false), &layer) == .datagram(Self.payload))
        #expect(layer.pendingFragmentedDatagrams == 0)
        let largest = (0..<65_535).map { UInt8($0 % 251) }
        var pieces: [(Int, [UInt8], Bool)] = stride(from: 0, to: 65_535, by: 1_448).map {
            ($0, Array(largest[$0..<min($0 + 1_448, 65_535)]), $0 + 1_448 < 65_535)
        }
        pieces.reverse()
        let results = fragments.decode(pieces, &layer)
        #expect(results.dropLast().allSatisfy { $0 == .held })
        #expect(results.last == .datagram(largest))
    }

    /// Random fragments of random datagrams, overlapping with different bytes, sent again, in any
    /// order, some with a wrong end: what comes out matches a model that keeps a byte per
    /// position, the first to arrive, and takes its length from the first last fragment.
    @Test(arguments: [false, true])
    func randomFragmentsAgreeWithAByteByByteModel(v6: Bool) {
        var generator = SplitMix64(seed: v6 ? 6 : 4)
        func random(_ range: Range<Int>) -> Int { range.lowerBound + Int(generator.next() % UInt64(range.count)) }
        var layer = IPLayer()
        let fragments = Fragments(v6: v6)
        var model = [UInt8?](repeating: nil, count: 65_535)
        var modelLength: Int?
        var length = random(1..<1_500), id: UInt32 = 0, steps = 0, completed = 0
        for step in 0..<20_000 {
            let offset = 8 * random(0..<(length + 7) / 8)
            let end = random(0..<8) == 0 ? min(65_535, offset + random(1..<200)) : min(length, offset + random(1..<300))
            let version = random(0..<3)
            let bytes = (offset..<end).map { UInt8(($0 * 7 + version * 85) & 0xFF) }
            // Offset 0 with no more fragments would not be a fragment.
            let last = offset > 0 && (end == length ? random(0..<4) != 0 : random(0..<50) == 0)
            if last, modelLength == nil { modelLength = end }
            for at in offset..<max(offset, min(end, modelLength ?? .max)) where model[at] == nil { model[at] = bytes[at - offset] }
            var expected = Result.held
            if let total = modelLength, model[..<total].allSatisfy({ $0 != nil }) { expected = .datagram(model[..<total].map { $0! }) }
            #expect(fragments.decode(fragments.packet(bytes, at: offset, more: !last, id: id), &layer) == expected, "step \(step)")
            steps += 1
            // Complete, or waiting for bytes past where this test sends them: the next datagram.
            if expected != .held || steps == 500 {
                completed += expected != .held ? 1 : 0
                model = [UInt8?](repeating: nil, count: 65_535)
                (modelLength, length, steps) = (nil, random(1..<1_500), 0)
                id += 1
            }
        }
        #expect(completed > 100, "\(completed)")
    }
}
