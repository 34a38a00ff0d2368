import AnalysisCore
import Foundation
import MessagePack
import Testing
@testable import RPC

/// Resynchronisation after junk, on messages in every legal encoding, checked against an
/// independent reference: Tests/Fixtures/resync_reference.py tries every offset with Python's
/// msgpack and the same RPC rule, on the same bytes.
struct ResyncTests {
    /// The frame assembler with the RPC stage's own message rule, recording where each message was.
    struct MessageSink: FrameSink {
        var messages: [[UInt8]] = []
        var valueBytes = 0
        var junkBytes = 0
        var junkRuns = 0

        func isMessage(_ bytes: UnsafeRawBufferPointer) -> Bool { Envelope.parse(bytes) != nil }
        var valueBytesSinceMessage = 0
        mutating func frame(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp, stream: inout Void, into output: inout Void) {
            messages.append(Array(bytes))
            valueBytesSinceMessage = 0
        }
        mutating func value(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp, stream: inout Void, into output: inout Void) {
            valueBytes += bytes.count
            valueBytesSinceMessage += bytes.count
        }
        mutating func discardValues(stream: inout Void) {
            valueBytes -= valueBytesSinceMessage
            valueBytesSinceMessage = 0
        }
        mutating func junk(byteCount: Int, origin: RecordStamp, reason: JunkReason, stream: inout Void, into output: inout Void) {
            junkBytes += byteCount
            junkRuns += 1
        }
    }

    static func frame(_ chunks: [[UInt8]], lossBefore: Set<Int> = []) -> MessageSink {
        var assembler = FrameAssembler(limits: FrameLimits(), anchor: RPCMessageShape.anchor)
        var sink = MessageSink()
        for (i, chunk) in chunks.enumerated() {
            if lossBefore.contains(i) { assembler.discontinuity(into: &sink) }
            chunk.withUnsafeBytes {
                assembler.feed($0, origin: RecordStamp(number: UInt64(i + 1), timeNs: Int64(i)), endsMessage: false, into: &sink)
            }
        }
        assembler.finish(into: &sink)
        return sink
    }

    static func randomMessage(_ encoder: inout RandomWidthEncoder) -> [UInt8] {
        var g = encoder.generator
        defer { encoder.generator = g }
        let msgid = MessagePackValue.uint(UInt64.random(in: 0...UInt64(UInt32.max), using: &g) >> UInt64.random(in: 0...31, using: &g))
        let method: MessagePackValue = Bool.random(using: &g)
            ? .string(String(repeating: "m", count: Int.random(in: 0...300, using: &g)))
            : .binary(Array("servo_write".utf8))
        let params = MessagePackValue.array((0..<Int.random(in: 0...20, using: &g)).map { _ in
            Bool.random(using: &g) ? .uint(UInt64.random(in: 0...70_000, using: &g)) : .string("p")
        })
        let value: MessagePackValue = switch Int.random(in: 0..<3, using: &g) {
        case 0: .array([.uint(0), msgid, method, params])
        case 1: .array([.uint(1), msgid, .nil, params])
        default: .array([.uint(2), method, params])
        }
        encoder.generator = g
        return encoder.encode(value)
    }

    /// Junk of every kind: invalid bytes, random bytes, bytes that open long containers,
    /// truncated headers, the start of an RPC message, a message cut short, and units of which
    /// each opens an array over those after it (the hostile shape sibling-run-junk), of a length
    /// that never closes, or closes inside the junk or among the messages after it.
    static func randomJunk(_ g: inout SplitMix64, message: [UInt8]) -> [UInt8] {
        switch Int.random(in: 0..<8, using: &g) {
        case 0: return [UInt8](repeating: 0xC1, count: Int.random(in: 1...4, using: &g))
        case 1:
            // Random bytes, but no ext type -1 (timestamps): Python's msgpack refuses those of odd sizes.
            return (0..<Int.random(in: 1...30, using: &g)).map { _ in UInt8.random(in: 0...0xFE, using: &g) }
        case 2: return [[0xDD, 0x00, 0x01, 0x00, 0x00], [0xDC, 0xFF, 0xFF], [0x9F], [0xDF, 0x00, 0x00, 0x10, 0x00], [0x8F]]
            .randomElement(using: &g)!
        case 3: return [[0xCE, 0x00, 0x00], [0xDA, 0x00], [0x94, 0x00, 0xCD, 0x00], [0xDB, 0x00, 0x00]].randomElement(using: &g)!
        case 4: return [[0x94, 0x00, 0x01, 0xA3, 0x66, 0x6F, 0x6F], [0x93, 0x02, 0xA1, 0x78], [0xDD, 0x00, 0x00, 0x00, 0x04, 0xCC, 0x00]]
            .randomElement(using: &g)!
        case 5: return Array(message.prefix(Int.random(in: 1...max(1, message.count - 1), using: &g)))
        case 6:
            let elements = [0x003F_FFF0, UInt32.random(in: 1...60, using: &g)].randomElement(using: &g)!
            let unit: [UInt8] = [0xA7, 0x94, 0x00, 0xDD, UInt8(elements >> 24), UInt8(elements >> 16 & 0xFF),
                                 UInt8(elements >> 8 & 0xFF), UInt8(elements & 0xFF)]
            return Array([[UInt8]](repeating: unit, count: Int.random(in: 1...40, using: &g)).joined())
        default: return [0x94, 0x01, 0x00] + [UInt8](repeating: 0x91, count: Int.random(in: 1...10, using: &g))
        }
    }

    /// Where two lists of messages part, shortly: the bytes are too many to print whole.
    static func firstDifference(_ found: [[UInt8]], _ expected: [[UInt8]]) -> String? {
        for i in 0..<max(found.count, expected.count) {
            let a = i < found.count ? found[i] : nil
            let b = i < expected.count ? expected[i] : nil
            if a != b {
                let show = { (m: [UInt8]?) in m.map { "\($0.count) bytes \($0.prefix(12).hexString)" } ?? "none" }
                return "message \(i) of \(found.count)/\(expected.count): found \(show(a)), expected \(show(b))"
            }
        }
        return nil
    }

    /// A header whose payload follows it (str, bin, ext, and numbers wider than a byte) could take
    /// an invalid byte into its payload.
    static func opensBody(_ byte: UInt8) -> Bool {
        (0xA0...0xBF).contains(byte) || (0xC4...0xDB).contains(byte)
    }

    static func cut(_ stream: [UInt8], _ g: inout SplitMix64, maxRecord: Int) -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        var offset = 0
        while offset < stream.count {
            let size = Int.random(in: 1...maxRecord, using: &g)
            chunks.append(Array(stream[offset..<min(stream.count, offset + size)]))
            offset += size
        }
        return chunks
    }

    static func reference(_ stream: [UInt8]) throws -> [[UInt8]] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("resync-\(UUID().uuidString).bin")
        try Data(stream).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/resync_reference.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, file.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "the reference needs python3 with msgpack (scripts/install-deps.sh)")
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            let fields = line.split(separator: " ").compactMap { Int($0) }
            return Array(stream[fields[0]..<(fields[0] + fields[1])])
        }
    }

    @Test func agreesWithPythonsMsgpackOnRandomWidthsAndJunkOfEveryKind() throws {
        var g = SplitMix64(seed: 0x1A2B_3C4D)
        for round in 0..<12 {
            var encoder = RandomWidthEncoder(generator: SplitMix64(seed: g.next()))
            var stream: [UInt8] = []
            for _ in 0..<40 {
                let message = Self.randomMessage(&encoder)
                if Int.random(in: 0..<3, using: &g) == 0 { stream += Self.randomJunk(&g, message: message) }
                stream += message
            }
            let expected = try Self.reference(stream)
            for maxRecord in [1, 7, 64, stream.count] {
                let found = Self.frame(Self.cut(stream, &g, maxRecord: maxRecord))
                #expect(Self.firstDifference(found.messages, expected) == nil, "round \(round), records up to \(maxRecord) bytes")
                // Every byte is in a message, a value between messages, or junk: once.
                #expect(found.messages.reduce(0) { $0 + $1.count } + found.valueBytes + found.junkBytes == stream.count)
            }
        }
    }

    @Test func everyMessageAfterJunkThatEndsInAnInvalidByteIsFound() {
        var g = SplitMix64(seed: 0x77)
        var encoder = RandomWidthEncoder(generator: SplitMix64(seed: 0x78))
        var messages: [[UInt8]] = []
        var stream: [UInt8] = []
        var junkTotal = 0
        for _ in 0..<300 {
            let message = Self.randomMessage(&encoder)
            if Int.random(in: 0..<10, using: &g) == 0 {
                // A header with a payload (str, bin, ext, wide numbers) in the junk could take the
                // invalid byte into it and frame a valid message that swallows the next one, as
                // the reference agrees; without them, nothing can reach past the invalid byte.
                let junk = Self.randomJunk(&g, message: message).map { Self.opensBody($0) ? 0xC1 : $0 } + [0xC1]
                junkTotal += junk.count
                stream += junk
            }
            messages.append(message)
            stream += message
        }
        let found = Self.frame(Self.cut(stream, &g, maxRecord: 100))
        #expect(Self.firstDifference(found.messages, messages) == nil)
        // Junk between two messages is reported whole, even where it starts with valid values.
        #expect(found.junkBytes == junkTotal)
        #expect(found.valueBytes == 0)
    }

    @Test func afterALossTheNextMessageIsFoundWhereverTheGapFell() {
        var g = SplitMix64(seed: 0x99)
        var encoder = RandomWidthEncoder(generator: SplitMix64(seed: 0x9A))
        let messages = (0..<200).map { _ in Self.randomMessage(&encoder) }
        let stream = messages.flatMap { $0 }
        let chunks = Self.cut(stream, &g, maxRecord: 40)
        // Drop every tenth record, as a recorder's gap does.
        var kept: [[UInt8]] = []
        var lossBefore: Set<Int> = []
        var lostRanges: [Range<Int>] = []
        var offset = 0
        for (i, chunk) in chunks.enumerated() {
            if i % 10 == 5 {
                lossBefore.insert(kept.count)
                lostRanges.append(offset..<(offset + chunk.count))
            } else {
                kept.append(chunk)
            }
            offset += chunk.count
        }
        let found = Self.frame(kept, lossBefore: lossBefore)
        // Every message that lies wholly outside the lost records and does not straddle a gap is found.
        var start = 0
        var intact: [[UInt8]] = []
        for message in messages {
            let range = start..<(start + message.count)
            if !lostRanges.contains(where: { $0.overlaps(range) }) { intact.append(message) }
            start += message.count
        }
        let foundSet = found.messages
        #expect(intact.allSatisfy { message in foundSet.contains(message) })
        #expect(found.messages.count >= intact.count)
    }

    /// A record right after a loss that starts with a message is framed before the window (a
    /// lossy recorder's gaps cost no search); it must decide exactly as the search does, which
    /// it is made to by cutting that record's first byte off into a record of its own.
    @Test func aMessageRightAfterALossIsFramedAsTheSearchWould() {
        var g = SplitMix64(seed: 0x5EED)
        var encoder = RandomWidthEncoder(generator: SplitMix64(seed: 0x5EEE))
        for _ in 0..<40 {
            var records: [[UInt8]] = []
            var lossBefore: Set<Int> = []
            for i in 0..<60 {
                let message = Self.randomMessage(&encoder)
                var record = message
                switch Int.random(in: 0..<5, using: &g) {
                case 0: record += Self.randomJunk(&g, message: message)
                case 1: record += Self.randomMessage(&encoder)
                case 2: record = Self.randomJunk(&g, message: message) + record
                case 3: record = Array(record.prefix(Int.random(in: 1...record.count, using: &g)))
                default: break
                }
                records.append(record)
                if Int.random(in: 0..<3, using: &g) == 0 { lossBefore.insert(i) }
            }
            var split: [[UInt8]] = []
            var splitLossBefore: Set<Int> = []
            for (i, record) in records.enumerated() {
                if lossBefore.contains(i) {
                    splitLossBefore.insert(split.count)
                    split.append([record[0]])
                    if record.count > 1 { split.append(Array(record.dropFirst())) }
                } else {
                    split.append(record)
                }
            }
            let direct = Self.frame(records, lossBefore: lossBefore)
            let searched = Self.frame(split, lossBefore: splitLossBefore)
            #expect(Self.firstDifference(direct.messages, searched.messages) == nil)
            #expect(direct.junkBytes == searched.junkBytes)
            #expect(direct.junkRuns == searched.junkRuns)
            #expect(direct.valueBytes == searched.valueBytes)
        }
    }
}

/// Times from a corrupt capture may sit anywhere in the 64-bit range.
struct TimeRangeTests {
    @Test func latencyAcrossTheWholeRangeSaturatesInsteadOfTrapping() {
        for (sent, answered) in [(Int64.min + 192, Int64.max - 807), (Int64.max - 807, Int64.min + 192)] {
            var conversation = Conversation()
            conversation.record += 1
            request(7, "servo_write").withUnsafeBytes {
                conversation.analyzer.feed(stream: conversation.forward, $0,
                                           origin: RecordStamp(number: 1, timeNs: sent), endsMessage: false, into: &conversation.sink)
            }
            response(7, result: .uint(0)).withUnsafeBytes {
                conversation.analyzer.feed(stream: conversation.backward, $0,
                                           origin: RecordStamp(number: 2, timeNs: answered), endsMessage: false,
                                           into: &conversation.sink)
            }
            let sink = conversation.finish()
            let latency = sink.transactions.first?.latencyNs
            #expect(latency == (sent < answered ? Int64.max : Int64.min))
            let statistics = conversation.analyzer.statistics.first?.latency
            #expect(statistics?.max == (sent < answered ? Int64.max : 0))
        }
    }
}

/// Past the cap on requests in flight, the oldest is given up; what is kept to find it stays bounded.
struct RequestCapTests {
    @Test func stateStaysBoundedHoweverManyRequestsWait() {
        var caps = AnalysisCaps()
        caps.requestsInFlight = 100
        var sink = RecordingSink(wantsValues: false)
        var analyzer = RPCAnalyzer<RecordingSink>(caps: caps, wants: sink.wants)
        let stream = StreamID(0)
        analyzer.addStream(stream, requests: ConversationID(0), responses: ConversationID(1),
                           names: DirectionNames(channel: "rpc", from: "M7", to: "M4"))
        var largest = 0
        for n in 0..<50_000 {
            request(UInt64(n), "servo_write").withUnsafeBytes {
                analyzer.feed(stream: stream, $0, origin: RecordStamp(number: UInt64(n + 1), timeNs: Int64(n)), endsMessage: false,
                              into: &sink)
            }
            largest = max(largest, analyzer.correlator.requestOrder.count)
        }
        #expect(analyzer.requestsInFlight == 100)
        #expect(largest < 3 * 100 + 2 * 1024 + 10, "the order queue held \(largest) entries")
        analyzer.finish(into: &sink)
        #expect(sink.findings.filter { $0.rule == .unansweredRequest }.count == 50_000)
        #expect(sink.findings.filter { $0.rule == .analysisLimit }.count == 1)
    }
}
