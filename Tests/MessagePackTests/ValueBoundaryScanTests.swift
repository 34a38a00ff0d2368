import Testing
@testable import MessagePack

/// The resumable scan that finds value ends in a stream going by: the same ends however the
/// stream is cut into reads, long bodies skipped by count, headers cut by a read kept whole.
struct ValueBoundaryScanTests {
    let values: [[UInt8]] = [
        request(1, "echo", [.binary([UInt8](repeating: 0xC1, count: 300))]),
        encode(.map([MessagePackValue.MapEntry(.string("deg"), .uint(64)),
                     MessagePackValue.MapEntry(.string("ids"), .array([.uint(1), .int(-2), .float64(0.5)]))])),
        encode(.ext(type: 5, data: [1, 2, 3, 4])),
        encode(.array([])),
        encode(.string(String(repeating: "s", count: 70_000))),
        encode(.uint(UInt64.max)),
    ]

    /// The ends a scan reports for `stream` read in pieces cut at `cuts`, as stream offsets.
    func ends(_ stream: [UInt8], cuts: [Int], scan: inout ValueBoundaryScan) -> [Int] {
        var found: [Int] = []
        let bounds = [0] + cuts + [stream.count]
        for (start, end) in zip(bounds, bounds.dropFirst()) {
            let read = Array(stream[start..<end])
            read.withUnsafeBytes { bytes in
                var position = 0
                while position < bytes.count {
                    switch scan.next(bytes, from: position) {
                    case .valueEnd(let valueEnd):
                        found.append(start + valueEnd)
                        position = valueEnd
                    case .invalid(let junkEnd):
                        found.append(-(start + junkEnd))
                        position = junkEnd
                    case .needMore:
                        position = bytes.count
                    }
                }
            }
        }
        return found
    }

    var expectedEnds: [Int] {
        var total = 0
        return values.map { total += $0.count; return total }
    }

    @Test func readsCutAnywhereGiveTheSameEnds() {
        let stream = Array(values.joined())
        for cut in stride(from: 1, to: stream.count, by: 37) {
            var scan = ValueBoundaryScan()
            #expect(ends(stream, cuts: [cut], scan: &scan) == expectedEnds, "cut at \(cut)")
        }
        var scan = ValueBoundaryScan()
        #expect(ends(stream, cuts: Array(1..<700), scan: &scan) == expectedEnds, "one byte a read")
    }

    @Test func aHeaderCutByAReadIsHeldUntilItsRestComes() {
        // bin 32 of 100 MB: 5 header bytes, cut after 3.
        let header: [UInt8] = [0xC6, 0x05, 0xF5, 0xE1, 0x00]
        var scan = ValueBoundaryScan()
        Array(header.prefix(3)).withUnsafeBytes { #expect(scan.next($0, from: 0) == .needMore) }
        #expect(scan.heldHeaderBytes == 3)
        Array(header.suffix(2)).withUnsafeBytes { #expect(scan.next($0, from: 0) == .needMore) }
        #expect(scan.heldHeaderBytes == 0 && !scan.isBetweenValues)
    }

    @Test func aHundredMegabyteBodyIsSkippedByCountNotHeld() {
        var scan = ValueBoundaryScan()
        let read = [UInt8](repeating: 0xC1, count: 1 << 20)
        ([0x91, 0xC6, 0x05, 0xF5, 0xE1, 0x00] as [UInt8]).withUnsafeBytes { #expect(scan.next($0, from: 0) == .needMore) }
        var left = 100_000_000
        while left > read.count {
            read.withUnsafeBytes { #expect(scan.next($0, from: 0) == .needMore) }
            left -= read.count
        }
        let last = [UInt8](repeating: 0, count: left) + [0x07]
        last.withUnsafeBytes {
            #expect(scan.next($0, from: 0) == .valueEnd(left))
            #expect(scan.next($0, from: left) == .valueEnd(left + 1))
        }
        #expect(scan.isBetweenValues)
    }

    @Test func bytesThatAreNoMessagePackEndARunAndTheScanStartsAfresh() {
        var scan = ValueBoundaryScan()
        // An array cut off by 0xC1, then a whole value.
        ([0x93, 0x01, 0xC1, 0x05] as [UInt8]).withUnsafeBytes {
            #expect(scan.next($0, from: 0) == .invalid(3))
            #expect(scan.next($0, from: 3) == .valueEnd(4))
        }
        var shallow = ValueBoundaryScan(maxDepth: 3)
        ([0x91, 0x91, 0x91, 0x91, 0x01] as [UInt8]).withUnsafeBytes { #expect(shallow.next($0, from: 0) == .invalid(4)) }
    }
}

/// The small whole value a live status analyses in place of one too long to hold.
struct ValueStandInTests {
    func standIn(_ bytes: [UInt8], keeping count: Int) -> [UInt8]? {
        Array(bytes.prefix(count)).withUnsafeBytes { ValueStandIn.closing($0, keptBodyBytes: 4) }
    }

    @Test func aCallWithAHugeBinaryKeepsItsMsgidAndMethod() throws {
        let call = request(7, "echo", [.binary([UInt8](repeating: 9, count: 300_000)), .uint(5)])
        let closed = try #require(standIn(call, keeping: 1_000))
        #expect(closed == request(7, "echo", [.binary([9, 9, 9, 9]), .nil]))
    }

    @Test func headersAndNumbersCutOffAreFilledWithNil() throws {
        let value = encode(.array([.string("abcdefgh"), .uint(70_000), .array([.uint(1), .uint(2)])]))
        // Cut inside the uint32's body: the string is shortened, the number and the rest are nil.
        let cut = 1 + 9 + 3
        #expect(try #require(standIn(value, keeping: cut)) == encode(.array([.string("abcd"), .nil, .nil])))
        // Cut inside the inner array: its second element is nil.
        #expect(try #require(standIn(value, keeping: value.count - 1)) ==
                encode(.array([.string("abcd"), .uint(70_000), .array([.uint(1), .nil])])))
    }

    @Test func anExtensionKeepsItsType() throws {
        let value = encode(.array([.ext(type: 3, data: [UInt8](repeating: 1, count: 100))]))
        #expect(try #require(standIn(value, keeping: 20)) == [0x91, 0xC7, 4, 3, 1, 1, 1, 1])
    }

    @Test func whatCannotBeClosedSmallIsNil() {
        // 0xC1, and an array of 65,535 elements cut after its first.
        #expect(standIn([0x92, 0xC1, 0x01], keeping: 3) == nil)
        #expect(standIn([0xDC, 0xFF, 0xFF, 0x01, 0x02], keeping: 4) == nil)
    }
}
