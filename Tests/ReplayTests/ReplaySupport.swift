import AnalysisCore
import MessagePack
@testable import Replay
import RPC

struct Findings: FindingSink {
    var all: [Finding] = []
    mutating func finding(_ finding: Finding) { all.append(finding) }
    var rules: [String] { all.map(\.rule.rawValue) }
}

/// Drives a replay engine with events at microsecond times, numbering records as it goes.
struct Replayer {
    var engine: ReplayEngine
    var findings = Findings()
    var record: UInt64 = 0
    /// Method numbers given so far, by name, as the RPC stage gives them (in order of first call).
    var methodNumbers: [String: UInt32] = [:]
    /// Calls started by `call`, ended in time order by `endCalls` (or at `finish`).
    var pendingEnds: [(CallEvent, Int64?)] = []

    init(board: Board = .rp2040) {
        engine = ReplayEngine(board: board)
    }

    /// One input, its findings added to `findings`.
    mutating func feed(_ input: ReplayInput) {
        var found = FindingBuffer()
        engine.consume(input, into: &found)
        found.drain(into: &findings)
    }

    private mutating func stamp(_ us: Int64) -> RecordStamp {
        record += 1
        return RecordStamp(number: record, timeNs: us * 1000)
    }

    mutating func trace(_ core: Int, _ name: String, _ args: [MessagePackValue] = [], at us: Int64) {
        feed(.trace(TraceEvent(core: core, name: name, args: args, origin: stamp(us))))
    }

    mutating func uart(_ core: Int, _ text: String, channel: Int = 0, at us: Int64) {
        let bytes = Array(text.utf8)
        let event = ChannelEvent(kind: .uart, channel: UInt8(channel), from: UInt8(core), to: 0xFE, isReceiverSide: false,
                                 byteCount: UInt32(bytes.count), stamp: stamp(us))
        bytes.withUnsafeBytes { feed(.channel(event, wire: $0)) }
    }

    mutating func mailbox(_ from: Int, _ to: Int, bytes: Int, rx: Bool = false, at us: Int64) {
        let event = ChannelEvent(kind: .mailbox, channel: 0, from: UInt8(from), to: UInt8(to), isReceiverSide: rx,
                                 byteCount: UInt32(bytes), stamp: stamp(us))
        [UInt8](repeating: 0, count: bytes).withUnsafeBytes { feed(.channel(event, wire: $0)) }
    }

    mutating func message(_ from: Int, _ to: Int, bytes: Int, at us: Int64) {
        let event = ChannelEvent(kind: .message, channel: 0, from: UInt8(from), to: UInt8(to), isReceiverSide: false,
                                 byteCount: UInt32(bytes), stamp: stamp(us))
        [UInt8](repeating: 0, count: bytes).withUnsafeBytes { feed(.channel(event, wire: $0)) }
    }

    /// Ends the calls started so far whose answers come at or before `us` (all, without it).
    mutating func endCalls(through us: Int64 = .max) {
        let due = pendingEnds.filter { ($0.1 ?? .max) <= us || us == .max }.sorted { ($0.1 ?? .max) < ($1.1 ?? .max) }
        pendingEnds.removeAll { ($0.1 ?? .max) <= us || us == .max }
        for (call, answered) in due {
            var ended = call
            ended.response = answered.map { RecordStamp(number: call.request.number, timeNs: $0 * 1000) }
            feed(.callEnded(ended))
        }
    }

    mutating func finish() -> Findings {
        endCalls()
        feed(.finish)
        return findings
    }
}

extension Replayer {
    /// A call between cores, told to the replay as the RPC stage tells it: started at `at`,
    /// ended at `answered` (nil: ended unanswered).
    mutating func call(_ method: String, msgid: UInt64, from caller: Int, to callee: Int, at us: Int64,
                       answered: Int64?) {
        let request = RecordStamp(number: record + 1, timeNs: us * 1000)
        record += 1
        let call = CallEvent(sequence: record, method: number(of: method), msgid: msgid, caller: UInt8(caller),
                             callee: UInt8(callee), request: request)
        feed(.callStarted(call))
        pendingEnds.append((call, answered))
    }
}

extension Replayer {
    /// The method's number, named to the engine the first time, as the RPC stage does.
    mutating func number(of method: String) -> UInt32 {
        if let known = methodNumbers[method] { return known }
        let number = UInt32(methodNumbers.count)
        methodNumbers[method] = number
        feed(.method(number, name: method))
        return number
    }
}
