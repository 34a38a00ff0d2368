import AnalysisCore
import Replay
import RPC

/// The replay on a thread of its own: every call the analysis makes on its tap is handed over
/// (`HandOff`), in order, to a tap that has the engine and the renderer's sink, so what the
/// sink ends with is what it would have in line. The analysis's thread goes on decoding
/// while the board model runs on another core.
///
/// What the analysis asks of the sink while it runs is answered here: what it wants, copied at
/// the start (fixed for the sinks that allow this), and whether a finding will be kept in full,
/// from the findings the analysis itself made that the gate's rules let through. The renderer
/// keeps at least as many (the replay's come on top), so a finding is left unworded only when
/// the renderer would count it and no more.
struct ReplayOffload {
    // Not generic: the analysis's calls reach the tap through protocol witnesses that are not
    // specialised, where a generic type here would have its metadata looked up on every call.
    private var handOff: HandOff<TapCall>
    let wantsValues: Bool
    let wantsMessages: Bool
    let wantsRecords: Bool
    let wantsTransactions: Bool
    let wantsCallEvents: Bool
    private let findingLimit: Int
    private let rules: FindingSelection
    private var passedFindings = 0
    /// Methods whose name the replay's thread has been sent, by method number.
    private var namedMethods: [Bool] = []

    /// `tap`: the one on the replay's thread, with the engine and the renderer's sink.
    init<Inner>(_ tap: HandOffState<ReplayTap<Inner>>, findingLimit: Int, rules: FindingSelection) {
        wantsValues = tap.value.wantsValues
        wantsMessages = tap.value.wantsMessages
        wantsRecords = tap.value.wantsRecords
        wantsTransactions = tap.value.wantsTransactions
        wantsCallEvents = tap.value.wantsCallEvents
        self.findingLimit = findingLimit
        self.rules = rules
        // A batch whose items hold nothing allocated (records and calls between cores) is emptied
        // on the replay's thread, sparing the analysis's the loop; one that holds allocations
        // (trace events, findings) goes back to be freed where they were made, since freeing on
        // the other thread contends for the allocator (perf: 100 MB of dev.begin/dev.end took
        // twice as long). Large batches: the replay's thread is the faster and waits for each,
        // and waking it cost 20 µs a time on this machine kind (perf: 4 % of the analysis's
        // thread with 4,096 calls a batch).
        handOff = HandOff(batchSize: 16_384, inFlight: 4) { calls in
            tap.value.apply(calls.items)
            // Every call that holds an allocation is added with its size (`add`), the others not.
            if calls.heldBytes == 0 { calls.removeAll() }
        }
    }

    /// Waits until the replay's thread has made every call.
    mutating func finish() {
        handOff.finish()
    }

    var wantsFindingText: Bool { passedFindings < findingLimit }
    var countsFindingsOnly: Bool { passedFindings >= findingLimit }

    /// A call that is neither a record nor a call between cores: rare, and sized.
    mutating func add(_ call: consuming TapCall) {
        let bytes = call.heldBytes
        handOff.add(call, holding: bytes)
    }

    @inline(__always)
    mutating func channelRecord(_ record: ChannelRecord, payload: UnsafeRawBufferPointer) {
        if record.kind == .uart { return handOff.add(.uart(record, Array(payload)), holding: payload.count) }
        handOff.add(.channel(record))
    }

    /// A call between cores goes over without its method's name (`HandedCall`); the name goes
    /// once, before the method's first call.
    @inline(__always)
    mutating func callStarted(_ call: CallEvent) {
        guard let handed = HandedCall(call) else { return add(.started(call)) }
        sendNameIfNew(of: call)
        handOff.add(.startedCall(handed))
    }

    @inline(__always)
    mutating func callEnded(_ call: CallEvent) {
        guard let handed = HandedCall(call) else { return add(.ended(call)) }
        sendNameIfNew(of: call)
        handOff.add(.endedCall(handed))
    }

    /// The call's method number is known to be one `HandedCall` holds.
    @inline(__always)
    private mutating func sendNameIfNew(of call: CallEvent) {
        let index = call.methodIndex
        if index < namedMethods.count, namedMethods[index] { return }
        if index >= namedMethods.count { namedMethods += repeatElement(false, count: index + 1 - namedMethods.count) }
        namedMethods[index] = true
        add(.methodName(index, call.method))
    }

    /// A trace event goes packed when it comes back equal (`HandedTrace`).
    @inline(__always)
    mutating func trace(_ event: TraceEvent) {
        guard let handed = HandedTrace(event) else { return add(.trace(event)) }
        handOff.add(.handedTrace(handed))
    }

    mutating func finding(_ finding: Finding) {
        if passedFindings < findingLimit, rules.admits(finding.rule) { passedFindings += 1 }
        add(.finding(finding))
    }
}

/// One call the analysis made on its tap, as the replay's thread makes it again.
///
/// The calls made for every record and every call between cores hold their event packed
/// (`ChannelRecord`, `HandedCall`: 48 bytes a call in all, where the events themselves made
/// 104): the batches cross from one core's cache to the other's, and their size is what the
/// replay's thread costs the analysis's. Rare calls are boxed (`indirect`) to keep it so.
enum TapCall: Sendable {
    /// A mailbox or message record: the engine does not read its bytes.
    case channel(ChannelRecord)
    /// A UART record, with its bytes: the engine shows what the wire carried.
    case uart(ChannelRecord, [UInt8])
    /// Calls between cores, without the method's name: it came before, in `methodName`.
    case startedCall(HandedCall)
    case endedCall(HandedCall)
    case methodName(Int, String)
    /// A trace event packed.
    case handedTrace(HandedTrace)
    /// Calls with a field too wide to pack, as they are.
    indirect case started(CallEvent)
    indirect case ended(CallEvent)
    indirect case trace(TraceEvent)
    indirect case finding(Finding)
    case counted(Rule)
    indirect case transaction(Transaction)
    indirect case notification(Notification)
    indirect case message(DecodedMessage)
    indirect case record(RecordInfo)
    case totals(CallTotals)
    case finishReplay
}

extension ReplayTap {
    /// Calls handed over, made on this tap (the one on the replay's thread) in order.
    mutating func apply(_ calls: UnsafeMutableBufferPointer<TapCall>) {
        for call in calls { apply(call) }
    }

    private mutating func apply(_ call: TapCall) {
        switch call {
        case .channel(let record): channelRecord(record, payload: UnsafeRawBufferPointer(start: nil, count: 0))
        case .uart(let record, let bytes): bytes.withUnsafeBytes { channelRecord(record, payload: $0) }
        case .trace(let event): trace(event)
        case .handedTrace(let event): trace(event.event())
        case .startedCall(let call): callStarted(call.event(named: handedMethodNames[Int(call.methodIndex)]))
        case .endedCall(let call): callEnded(call.event(named: handedMethodNames[Int(call.methodIndex)]))
        case .methodName(let index, let name):
            if index >= handedMethodNames.count {
                handedMethodNames += repeatElement("", count: index + 1 - handedMethodNames.count)
            }
            handedMethodNames[index] = name
        case .started(let call): callStarted(call)
        case .ended(let call): callEnded(call)
        case .finding(let finding): self.finding(finding)
        case .counted(let rule): countFinding(rule)
        case .transaction(let transaction): self.transaction(transaction)
        case .notification(let notification): self.notification(notification)
        case .message(let message): self.message(message)
        case .record(let record): self.record(record)
        case .totals(let totals): finish(totals: totals)
        case .finishReplay: finishReplay()
        }
    }
}
