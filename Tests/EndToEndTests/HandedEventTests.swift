import AnalysisCore
import Capture
import MessagePack
@testable import Pipeline
import Replay
import RPC
import Testing

/// The replay's thread gets every record and call between cores packed: each must come out as
/// the event that went in, and a call with a field too wide to pack must go whole, not cut.
struct HandedEventTests {
    static let stamp = RecordStamp(number: 1_234_567_890_123, timeNs: -5_000_000_000_000)

    @Test func aHandOffItemStaysSmall() {
        // What each record and call costs the analysis's thread is the bytes it hands over.
        #expect(MemoryLayout<ChannelRecord>.size <= 32)
        #expect(MemoryLayout<HandedCall>.size <= 46)
        #expect(MemoryLayout<HandedTrace>.size <= 46)
        #expect(MemoryLayout<TapCall>.stride <= 48)
    }

    @Test(arguments: [Board.ChannelKind.mailbox, .message, .uart])
    func aChannelRecordComesOutAsTheEventOfItsHeader(kind: Board.ChannelKind) {
        for (channel, from, to, receiver, count, direction) in [(UInt8(0), UInt8(0), UInt8(1), false, 0, 0),
                                                                 (255, 255, 0, true, Int(UInt32.max), Int(Int32.max))] {
            let header = InterCoreHeader(kind: .uart, channel: channel, source: from, destination: to,
                                         isReceiverSide: receiver, sequence: 7)
            let event = ChannelRecord(header, kind: kind, byteCount: count, stamp: Self.stamp, direction: direction).event
            #expect((event.kind, event.channel, event.from, event.to) == (kind, Int(channel), Int(from), Int(to)))
            #expect((event.isReceiverSide, event.byteCount, event.stamp, event.direction) == (receiver, count, Self.stamp, direction))
        }
    }

    @Test func aCallComesOutAsItWentWithTheNameSentBefore() throws {
        let answer = RecordStamp(number: 7, timeNs: 9)
        for response in [nil, answer, Self.stamp] {
            let call = CallEvent(sequence: UInt64(UInt32.max), method: "servo_write", methodIndex: 65_535,
                                 msgid: UInt64(UInt32.max), caller: 255, callee: 0, request: Self.stamp, response: response)
            let back = try #require(HandedCall(call)).event(named: "servo_write")
            #expect((back.sequence, back.method, back.methodIndex, back.msgid) == (call.sequence, "servo_write", 65_535, call.msgid))
            #expect((back.caller, back.callee, back.request, back.response) == (255, 0, Self.stamp, response))
        }
    }

    @Test func aCallTooWideToPackGoesWhole() {
        func call(sequence: UInt64 = 1, methodIndex: Int = 0, msgid: UInt64 = 1, caller: Int = 0) -> CallEvent {
            CallEvent(sequence: sequence, method: "m", methodIndex: methodIndex, msgid: msgid, caller: caller, callee: 1,
                      request: Self.stamp)
        }
        #expect(HandedCall(call()) != nil)
        #expect(HandedCall(call(sequence: UInt64(UInt32.max) + 1)) == nil)
        #expect(HandedCall(call(methodIndex: -1)) == nil)
        #expect(HandedCall(call(methodIndex: HandedCall.methodNumbers)) == nil)
        #expect(HandedCall(call(msgid: UInt64(UInt32.max) + 1)) == nil)
        #expect(HandedCall(call(caller: 256)) == nil)
    }

    /// Every kind with arguments of every form: a packed event comes back equal to the one read
    /// (name, kind, action and arguments), and exactly the ones that could not go boxed.
    @Test func aTraceEventComesBackAsItWasReadOrGoesWhole() throws {
        let argumentSets: [[MessagePackValue]] = [
            [], [.string("UART0")], [.string("Gerät-Ö")], [.string(String(repeating: "x", count: 16))],
            [.string(String(repeating: "x", count: 17))], [.string("")], [.uint(5)], [.uint(UInt64(Int64.max))],
            [.uint(UInt64(Int64.max) + 1)], [.int(-3)], [.int(Int64.min)], [.nil], [.binary([0x41])],
            [.string("a"), .uint(1)], [.string("a"), .string("b")],
        ]
        var packed = 0
        for kind in TraceEvent.Kind.allCases {
            for args in argumentSets {
                for core in [0, 1, 255, 256, -1] {
                    let event = TraceEvent(core: core, name: kind == .unknown ? "vendor.mark" : kind.rawValue, args: args,
                                           origin: Self.stamp)
                    let packable = kind != .unknown && kind != .fault && (0...255).contains(core)
                        && args.count == kind.argumentCount && event.action != .unknown
                        && args.allSatisfy { argument in
                            switch argument {
                            case .string(let text): text.utf8.count <= HandedTrace.nameCapacity
                            case .uint(let value): value <= UInt64(Int64.max)
                            case .int: true
                            default: false
                            }
                        }
                    guard let handed = HandedTrace(event) else {
                        #expect(!packable, "\(kind) \(args) on core \(core) should go packed")
                        continue
                    }
                    #expect(packable, "\(kind) \(args) on core \(core) should go whole")
                    #expect(handed.event() == event, "\(kind) \(args) on core \(core)")
                    packed += 1
                }
            }
        }
        // On the three cores that fit: the ten name kinds with four short names and four integers,
        // the two count kinds with their two counts that are not negative, the two without arguments.
        #expect(packed == 10 * 8 * 3 + 2 * 2 * 3 + 2 * 1 * 3)
    }
}
