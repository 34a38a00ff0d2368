import AnalysisCore
import RPC

/// Calls between cores as they start and end: `nested-call` (a core calls the core whose call
/// to it is still in flight), `rpc-deadlock` (a cycle of such calls, none answered by the end),
/// `call-in-interrupt` (a request sent inside an interrupt handler) and `slow-call` (an answer
/// later than the method's budget). State: a count of calls in flight per pair of cores, the
/// latest of them, and the calls that ended unanswered (capped).
struct CallCheck {
    private static let cores = VectorClock.maxCores
    // Inline, 64 entries each: no array to check for sharing on every call.
    private var inFlight = InlineArray<64, Int32>(repeating: 0)
    /// The latest call in flight per pair of cores, as plain numbers: stored on every call, it
    /// must cost no reference counting. Its method's name is in `methods`.
    private struct Outer {
        var sequence: UInt64 = .max
        var method: UInt32 = 0
        var msgid: UInt64 = 0
        var request = RecordStamp(number: 0, timeNs: 0)
    }
    private var latest = InlineArray<64, Outer>(repeating: Outer())
    private var unanswered: [CallEvent] = []
    private var reported: Set<String> = []
    /// Calls over their method's budget, by method; the first few of each are findings.
    private(set) var overBudget: [String: Int] = [:]
    static let slowCallsReportedPerMethod = 10
    let maxUnanswered: Int
    /// The board, for the names in findings. Kept here, with the methods' facts, so that a call
    /// passes neither: passed from the engine, each was copied on every call (callgrind).
    let board: Board
    /// What the board says of each method, by the RPC stage's number (named once, `name`).
    private(set) var methods = MethodFacts()

    init(maxUnanswered: Int, board: Board) {
        self.maxUnanswered = maxUnanswered
        self.board = board
    }

    /// Method `number` is `name`.
    mutating func name(_ number: UInt32, _ name: String) {
        methods.name(number, name, board: board)
    }

    private static func pair(_ from: Int, _ to: Int) -> Int { from * cores + to }
    private static func pair(_ from: UInt8, _ to: UInt8) -> Int { pair(Int(from), Int(to)) }

    private static func covers(_ call: CallEvent) -> Bool {
        VectorClock.covers(Int(call.caller)) && VectorClock.covers(Int(call.callee)) && call.caller != call.callee
    }

    /// A call made inside interrupt handler `handler`: said once per caller and method. Asked
    /// apart from `started`, and only inside a handler, so that an ordinary call passes no name.
    mutating func startedInInterrupt<Sink: FindingSink>(_ call: CallEvent, handler: String?, into sink: inout Sink) {
        guard Self.covers(call), reported.insert("irq \(call.caller) \(call.method)").inserted else { return }
        let caller = board.coreName(Int(call.caller)), callee = board.coreName(Int(call.callee))
        let method = methods.name(of: call.method)
        sink.finding(Finding(
            .callInInterrupt, at: call.request.timeNs, record: call.request.number,
            "\(caller) called \(method) on \(callee) from inside interrupt handler \(handler ?? "?"): "
                + "the handler blocks until the answer",
            cores: [caller, callee], msgid: call.msgid, method: method, calls: [describe(call)]
        ))
    }

    mutating func started<Sink: FindingSink>(_ call: CallEvent, into sink: inout Sink) {
        guard Self.covers(call) else { return }
        let back = Self.pair(call.callee, call.caller)
        if inFlight[back] > 0, latest[back].sequence != .max,
           reported.insert("nested \(call.caller) \(call.callee) \(call.method)").inserted {
            let outer = CallEvent(sequence: latest[back].sequence, method: latest[back].method, msgid: latest[back].msgid,
                                  caller: call.callee, callee: call.caller, request: latest[back].request)
            let caller = board.coreName(Int(call.caller)), callee = board.coreName(Int(call.callee))
            let method = methods.name(of: call.method)
            sink.finding(Finding(
                .nestedCall, at: call.request.timeNs, record: call.request.number,
                "\(caller) called \(method) (msgid \(call.msgid)) on \(callee) while handling \(callee)'s call "
                    + "\(methods.name(of: outer.method)) (msgid \(outer.msgid), record \(outer.request.number)), still in "
                    + "flight: a handler calling back deadlocks a single-threaded RPC server",
                cores: [callee, caller], msgid: call.msgid, method: method,
                calls: [describe(outer), describe(call)]
            ))
        }
        let pair = Self.pair(call.caller, call.callee)
        inFlight[pair] += 1
        latest[pair] = Outer(sequence: call.sequence, method: call.method, msgid: call.msgid, request: call.request)
    }

    mutating func ended<Sink: FindingSink>(_ call: CallEvent, into sink: inout Sink) {
        guard Self.covers(call) else { return }
        let pair = Self.pair(call.caller, call.callee)
        inFlight[pair] = max(0, inFlight[pair] - 1)
        if latest[pair].sequence == call.sequence { latest[pair].sequence = .max }
        guard let response = call.response else {
            if unanswered.count < maxUnanswered { unanswered.append(call) }
            return
        }
        guard let budget = methods.budget(of: call.method) else { return }
        let latency = response.timeNs.saturatingSpan(since: call.request.timeNs)
        guard latency > budget else { return }
        let method = methods.name(of: call.method)
        let count = (overBudget[method] ?? 0) + 1
        overBudget[method] = count
        guard count <= Self.slowCallsReportedPerMethod else { return }
        let caller = board.coreName(Int(call.caller)), callee = board.coreName(Int(call.callee))
        var message = "\(method) (msgid \(call.msgid)) from \(caller) to \(callee) took \(Self.microseconds(latency)), "
            + "over its budget of \(Self.microseconds(budget))"
        if count == Self.slowCallsReportedPerMethod {
            message += "; further slow calls of \(method) are counted in the method table"
        }
        sink.finding(Finding(
            .slowCall, at: response.timeNs, record: response.number, message, cores: [caller, callee],
            msgid: call.msgid, endNs: response.timeNs, method: method, calls: [describe(call)]
        ))
    }

    /// The capture ended: cycles of calls left unanswered, each caller waiting on the next.
    mutating func finish<Sink: FindingSink>(into sink: inout Sink) {
        // The earliest unanswered call on each pair of cores is the one its caller waits on.
        var waitsOn = [CallEvent?](repeating: nil, count: Self.cores * Self.cores)
        for call in unanswered where waitsOn[Self.pair(call.caller, call.callee)] == nil {
            waitsOn[Self.pair(call.caller, call.callee)] = call
        }
        var inCycle = Set<Int>()
        for start in 0..<Self.cores where !inCycle.contains(start) {
            guard let cycle = Self.cycle(from: start, waitsOn: waitsOn), !cycle.contains(where: inCycle.contains) else { continue }
            inCycle.formUnion(cycle)
            let calls = cycle.indices.map { waitsOn[Self.pair(cycle[$0], cycle[($0 + 1) % cycle.count])]! }
                .sorted { $0.request.number < $1.request.number }
            let names = calls.map { "\(board.coreName(Int($0.caller))) → \(board.coreName(Int($0.callee))) \(methods.name(of: $0.method)) "
                + "(msgid \($0.msgid), record \($0.request.number))" }
            let last = calls.last!
            sink.finding(Finding(
                .rpcDeadlock, at: last.request.timeNs, record: last.request.number,
                "\(calls.count) calls wait on each other and none was answered by the end of the capture: "
                    + names.joined(separator: "; "),
                cores: cycle.map { board.coreName($0) }, calls: calls.map { describe($0) }
            ))
        }
    }

    /// A cycle of cores through `start`, each waiting on the next, if there is one.
    private static func cycle(from start: Int, waitsOn: [CallEvent?]) -> [Int]? {
        var path = [start]
        var seen: Set<Int> = [start]
        func walk(_ core: Int) -> [Int]? {
            for next in 0..<cores where waitsOn[pair(core, next)] != nil {
                if next == start { return path }
                guard !seen.contains(next) else { continue }
                seen.insert(next)
                path.append(next)
                if let found = walk(next) { return found }
                path.removeLast()
            }
            return nil
        }
        return walk(start)
    }

    private func describe(_ call: CallEvent) -> Finding.Call {
        Finding.Call(method: methods.name(of: call.method), msgid: call.msgid, caller: board.coreName(Int(call.caller)),
                     callee: board.coreName(Int(call.callee)), requestNs: call.request.timeNs, record: call.request.number)
    }

    private static func microseconds(_ ns: Int64) -> String {
        guard ns % 1_000 != 0 else { return "\(ns / 1_000) µs" }
        let fraction = String(ns % 1_000)
        return "\(ns / 1_000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction) µs"
    }
}
