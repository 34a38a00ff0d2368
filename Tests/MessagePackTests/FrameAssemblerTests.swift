import AnalysisCore
import Testing
@testable import MessagePack

/// The incremental framer: values across any record boundaries, several per record, junk and
/// hostile lengths.
struct FrameAssemblerTests {
    let messages: [[UInt8]] = [
        request(1, "servo_new"),
        request(2, "servo_attach", [.uint(0), .uint(6)]),
        encode(.array([.uint(1), .uint(2), .nil, .string(String(repeating: "r", count: 300))])),
        encode(.array([.uint(2), .string("tty"), .array([.binary([UInt8](repeating: 7, count: 70_000))])])),
    ]

    @Test func splitsAtEveryPositionGiveTheSameFrames() {
        let stream = messages.flatMap { $0 }
        for cut in stride(from: 1, to: stream.count, by: 97) {
            let sink = assemble([Array(stream[..<cut]), Array(stream[cut...])])
            #expect(sink.frames == messages, "cut at \(cut)")
            #expect(sink.junk.isEmpty)
        }
        let small = messages[0] + messages[1]
        for a in 1..<small.count {
            for b in a..<small.count {
                let sink = assemble([Array(small[..<a]), Array(small[a..<b]), Array(small[b...])])
                #expect(sink.frames == [messages[0], messages[1]])
            }
        }
    }

    @Test func oneBytePerRecord() {
        let stream = Array(messages.prefix(3).joined())
        let sink = assemble(stream.map { [$0] })
        #expect(sink.frames == Array(messages.prefix(3)))
    }

    @Test func aFrameIsStampedWithTheRecordOfItsFirstByte() {
        let a = messages[0], b = messages[1]
        // Record 1: all of a and the first 3 bytes of b; record 2: the rest of b.
        let sink = assemble([a + b.prefix(3), Array(b.dropFirst(3))])
        #expect(sink.origins.map(\.number) == [1, 1])
        let later = assemble([a, Array(b.prefix(2)), Array(b.dropFirst(2))])
        #expect(later.origins.map(\.number) == [1, 2])
    }

    @Test func aRunOfJunkIsOneFindingWithItsLength() {
        let junk: [UInt8] = [0xC1, 0xC1, 0x41, 0x42, 0x43, 0xC1]
        let sink = assemble([messages[0] + junk + messages[1]])
        #expect(sink.frames == [messages[0], messages[1]])
        #expect(sink.junk.count == 1)
        #expect(sink.junk.first?.count == junk.count)
        #expect(sink.junk.first?.reason == .invalidByte)
    }

    @Test func junkThatStartsWithValidValuesIsJunkWhole() {
        // 05 and 07 are valid values, but the gap between the two messages breaks at C1: every
        // byte of it is junk, across record boundaries too.
        let junk: [UInt8] = [0x05, 0x07, 0xC1]
        for cut in 0...junk.count {
            let sink = assemble([messages[0] + Array(junk.prefix(cut)), Array(junk.dropFirst(cut)) + messages[1]])
            #expect(sink.frames == [messages[0], messages[1]])
            #expect(sink.values.isEmpty, "cut at \(cut)")
            #expect(sink.junk.map(\.count) == [3], "cut at \(cut)")
        }
        // Values that ended a record, then whole messages straight from the next record: junk
        // after those messages counts from the last message, not from the values before them.
        let straddle = assemble([messages[0] + Array("ok".utf8), messages[1], [0xC1], messages[0]])
        #expect(straddle.frames == [messages[0], messages[1], messages[0]])
        #expect(straddle.values.count == 2)
        #expect(straddle.junk.map(\.count) == [1])
        // A clean gap of values stays values.
        let text = assemble([messages[0] + Array("ok\n".utf8) + messages[1]])
        #expect(text.values.count == 3 && text.junk.isEmpty)
    }

    @Test func junkSpreadOverRecordsIsStillOneRun() {
        let sink = assemble([[0xC1, 0x10], [0x20, 0xC1], [0x30] + messages[0]])
        #expect(sink.frames == [messages[0]])
        #expect(sink.junk.count == 1)
        #expect(sink.junk[0].count == 5)
        #expect(sink.junk[0].origin.number == 1)
    }

    @Test func anInvalidByteInsideAValueResynchronisesAtTheNextArray() {
        var broken = messages[1]
        broken[3] = 0xC1
        let sink = assemble([broken + messages[0]])
        #expect(sink.frames == [messages[0]])
        #expect(sink.junkBytes == broken.count)
    }

    @Test func aHeaderCutByTheEndOfAMessageRecordIsJunk() {
        // A str 16 header cut after its first length byte, at the end of an RPMsg message.
        let cut: [UInt8] = [0x93, 0x02, 0xDA, 0x00]
        let sink = assemble([cut, messages[0]], endsMessage: true)
        #expect(sink.frames == [messages[0]])
        #expect(sink.junk.count == 1)
        #expect(sink.junk[0].reason == .headerCutByRecordEnd)
        #expect(sink.junk[0].count == 4)
        // On a byte stream (UART, FIFO) the same cut simply continues in the next record.
        let bytes = encode(.array([.uint(2), .string(String(repeating: "m", count: 300)), .array([])]))
        let stream = assemble([Array(bytes.prefix(4)), Array(bytes.dropFirst(4))], endsMessage: false)
        #expect(stream.frames == [bytes])
    }

    @Test func aBodySplitAcrossMessagesIsNotJunk() {
        let bytes = messages[2]
        let sink = assemble([Array(bytes.prefix(100)), Array(bytes.dropFirst(100))], endsMessage: true)
        #expect(sink.frames == [bytes])
        #expect(sink.junk.isEmpty)
    }

    @Test func declaredLengthsPastTheLimitAreRejectedAtOnce() {
        // str 32 declaring 4 GiB, then a good message: nothing is buffered waiting for 4 GiB.
        let hostile: [UInt8] = [0xDB, 0xFF, 0xFF, 0xFF, 0xFF]
        let sink = assemble([hostile, messages[0]], limits: FrameLimits(maxFrameBytes: 1 << 16))
        #expect(sink.frames == [messages[0]])
        #expect(sink.junk.first?.reason == .tooLarge)
        // array 32 declaring 4 billion elements.
        let array: [UInt8] = [0xDD, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x01]
        let second = assemble([array + messages[0]], limits: FrameLimits(maxFrameBytes: 1 << 16))
        #expect(second.frames == [messages[0]])
    }

    @Test func bufferedBytesNeverPassTheLimit() {
        var assembler = FrameAssembler(limits: FrameLimits(maxFrameBytes: 1024), anchor: rpcAnchor)
        var sink = CollectingSink()
        // An array that keeps growing with one-byte elements and never ends.
        let opening: [UInt8] = [0xDD, 0x00, 0x01, 0x00, 0x00]
        opening.withUnsafeBytes { assembler.feed($0, origin: .init(number: 1, timeNs: 0), endsMessage: false, into: &sink) }
        let filler = [UInt8](repeating: 0x01, count: 100)
        for i in 0..<50 {
            filler.withUnsafeBytes {
                assembler.feed($0, origin: .init(number: UInt64(i + 2), timeNs: 0), endsMessage: false, into: &sink)
            }
            #expect(assembler.window.count <= 1024 + 100)
        }
        assembler.finish(into: &sink)
        #expect(sink.frames.isEmpty)
        #expect(sink.junkBytes > 0)
    }

    @Test func nestingPastTheDepthLimitIsJunk() {
        let deep = [UInt8](repeating: 0x91, count: 40) + [0x01]
        let sink = assemble([deep + messages[0]], limits: FrameLimits(maxDepth: 32))
        #expect(sink.frames == [messages[0]])
        #expect(sink.junkBytes == deep.count)
    }

    @Test func anUnfinishedValueAtTheEndIsReported() {
        let sink = assemble([messages[0], Array(messages[1].prefix(5))])
        #expect(sink.frames == [messages[0]])
        #expect(sink.junk.count == 1)
        #expect(sink.junk[0].reason == .truncatedAtEnd)
        #expect(sink.junk[0].count == 5)
        #expect(sink.junk[0].origin.number == 2)
    }

    @Test func textIsWellFormedMessagePackAndIsHandedOnValueByValue() {
        // A console banner: every ASCII byte is a positive fixint. The RPC stage coalesces them.
        let sink = assemble([Array("boot ok\n".utf8) + messages[0]])
        #expect(sink.values.count == 8)
        #expect(sink.frames == [messages[0]])
        #expect(sink.junk.isEmpty)
    }
}

extension FrameAssemblerTests {
    @Test func anyValueTakesTheFirstWholeValueAfterJunk() {
        var broken = messages[1]
        broken[3] = 0xC1
        let sink = assemble([broken], anchor: .anyValue)
        // The first offset after the broken byte that frames as one value whole: fixint 0x0B
        // ("servo_attach" is 12 bytes; its header is 0xAC, its body ASCII), and so on.
        #expect(!sink.frames.isEmpty)
        #expect(sink.frames.last == [0x92, 0x00, 0x06])
    }
}
