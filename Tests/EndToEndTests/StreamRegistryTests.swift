import AnalysisCore
import Capture
import MessagePack
import RPC
import Testing
@testable import Pipeline

/// Every link family hands the registry the same events; the registry keeps one row and one
/// RPC stream per stream, whatever the family.
struct StreamRegistryTests {
    struct Collected: RPCSink {
        var findings: [Finding] = []
        var transactions: [Transaction] = []
        mutating func finding(_ finding: Finding) { findings.append(finding) }
        mutating func transaction(_ transaction: Transaction) { transactions.append(transaction) }
        mutating func notification(_ notification: RPC.Notification) {}
    }

    func describe(_ name: String, conversation: StreamKey, from: Int, to: Int,
                  _ decoding: StreamDecoding = .rpc) -> StreamDescription {
        StreamDescription(names: DirectionNames(channel: name, from: "\(name)\(from)", to: "\(name)\(to)"), kind: name,
                          conversation: conversation, from: from, to: to, decoding: decoding)
    }

    func stamp(_ n: UInt64) -> RecordStamp { RecordStamp(number: n, timeNs: Int64(n) * 1000) }

    @Test func familiesWithTheSameNumbersNeverMeet() {
        var registry = StreamRegistry<Collected>(limits: FrameLimits(), caps: AnalysisCaps(), wants: Collected().wants)
        var sink = Collected()
        let request = MessagePackEncoder.encode(.array([.uint(0), .uint(1), .string("ping"), .array([])]))
        let response = MessagePackEncoder.encode(.array([.uint(1), .uint(1), .nil, .uint(0)]))
        // The same id and conversation number in three families: three streams, and a response
        // on one family never answers a request made on another.
        for family in [StreamKey.Family.tcp, .udp, .usb] {
            let key = StreamKey(family, 7)
            let handle = registry.stream(key, at: stamp(1), into: &sink) {
                describe("\(family)", conversation: StreamKey(family, 1), from: 0, to: 1)
            }!
            request.withUnsafeBytes {
                registry.deliver(StreamEvent(.bytes($0, boundary: .none), at: stamp(1)), to: handle, into: &sink)
            }
        }
        let back = StreamKey(.udp, 8)
        let handle = registry.stream(back, at: stamp(2), into: &sink) {
            describe("udp", conversation: StreamKey(.udp, 1), from: 1, to: 0)
        }!
        response.withUnsafeBytes {
            registry.deliver(StreamEvent(.bytes($0, boundary: .endsMessage), at: stamp(2)), to: handle, into: &sink)
        }
        registry.finish(into: &sink)
        #expect(registry.rows.count == 4)
        #expect(registry.rows.map(\.records) == [1, 1, 1, 1])
        #expect(sink.transactions.filter { $0.status == .ok }.map(\.channel) == ["udp"])
        #expect(sink.findings.filter { $0.rule == .unansweredRequest }.count == 2)
    }

    @Test func theCapOnStreamsRefusesNewKeysOnceAndKeepsOldOnes() {
        var caps = AnalysisCaps()
        caps.streams = 2
        var registry = StreamRegistry<Collected>(limits: FrameLimits(), caps: caps, wants: Collected().wants)
        var sink = Collected()
        for id in 0..<10 as Range<UInt64> {
            _ = registry.stream(StreamKey(.interCore, id), at: stamp(id + 1), into: &sink) {
                describe("mailbox", conversation: StreamKey(.interCore, 0), from: Int(id), to: 9, .counted)
            }
        }
        #expect(registry.rows.count == 2)
        #expect(registry.keys.index(of: StreamKey(.interCore, 1)) == 1)
        #expect(registry.keys.index(of: StreamKey(.interCore, 2)) == nil)
        #expect(sink.findings.map(\.rule) == [.analysisLimit])
        #expect(sink.findings.first?.record == 3)
    }

    @Test func aLossOfACountedCopyIsReportedWithoutBreakingTheDecodedBytes() {
        var registry = StreamRegistry<Collected>(limits: FrameLimits(), caps: AnalysisCaps(), wants: Collected().wants)
        var sink = Collected()
        let key = StreamKey(.interCore, 1)
        let handle = registry.stream(key, at: stamp(1), into: &sink) {
            describe("message", conversation: StreamKey(.interCore, 1), from: 0, to: 1)
        }!
        let request = MessagePackEncoder.encode(.array([.uint(0), .uint(1), .string("ping"), .array([])]))
        // The request's first half, a loss on the receiver's copy only, then its second half.
        request.prefix(5).withUnsafeBytes {
            registry.deliver(StreamEvent(.bytes($0, boundary: .none), at: stamp(1)), to: handle, into: &sink)
        }
        let receiverLoss = LostData.records(missing: 2, sequence: 4, expected: 2, flagged: false, receiverSide: true)
        registry.deliver(StreamEvent(.loss(receiverLoss, interruptsDecoding: false), at: stamp(2)), to: handle, into: &sink)
        request.dropFirst(5).withUnsafeBytes {
            registry.deliver(StreamEvent(.bytes($0, boundary: .none), at: stamp(3)), to: handle, into: &sink)
        }
        registry.finish(into: &sink)
        #expect(registry.rows[handle.index].lostRecords == 2)
        let loss = sink.findings.first { $0.rule == .captureLoss }
        #expect(loss?.message == "receiver-side stream message message0→message1: 2 records missing (seq 4, expected 2); "
            + "its analysis may be incomplete")
        #expect(!sink.findings.contains { $0.rule == .malformedFrame })
        #expect(sink.findings.contains { $0.rule == .unansweredRequest })
    }

    @Test func lossesAreWordedOnlyFromTheirNumbers() {
        #expect(LostData.bytes(count: 12, reason: "the direction closed").what == "12 bytes missing (the direction closed)")
        #expect(LostData.bytes(count: 0, reason: "a segment was cut by the snap length").byteCount == nil)
        #expect(LostData.cutRecord(record: 11, kept: 24, original: 33).byteCount == 9)
        #expect(LostData.records(missing: UInt32.max, sequence: 1, expected: 2, flagged: true, receiverSide: false).what
            == "seq went back to 1 (expected 2); the recorder flagged lost data")
    }
}
