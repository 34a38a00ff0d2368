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

    /// `tap`: the one on the replay's thread, with the engine and the renderer's sink.
    init<Inner>(_ tap: HandOffState<ReplayTap<Inner>>, findingLimit: Int, rules: FindingSelection) {
        wantsValues = tap.value.wantsValues
        wantsMessages = tap.value.wantsMessages
        wantsRecords = tap.value.wantsRecords
        wantsTransactions = tap.value.wantsTransactions
        wantsCallEvents = tap.value.wantsCallEvents
        self.findingLimit = findingLimit
        self.rules = rules
        // Emptied on the replay's thread: its calls hold next to nothing allocated.
        handOff = HandOff(batchSize: 4096, inFlight: 8) { calls in
            tap.value.apply(calls)
            calls.removeAll(keepingCapacity: true)
        }
    }

    /// Waits until the replay's thread has made every call.
    mutating func finish() {
        handOff.finish()
    }

    var wantsFindingText: Bool { passedFindings < findingLimit }
    var countsFindingsOnly: Bool { passedFindings >= findingLimit }

    @inline(__always)
    mutating func add(_ call: consuming TapCall) { handOff.add(call) }

    mutating func finding(_ finding: Finding) {
        if passedFindings < findingLimit, rules.admits(finding.rule) { passedFindings += 1 }
        handOff.add(.finding(finding))
    }
}

/// One call the analysis made on its tap, as the replay's thread makes it again.
enum TapCall: Sendable {
    /// A mailbox or message record: the engine does not read its bytes.
    case channel(ChannelEvent)
    /// A UART record, with its bytes: the engine shows what the wire carried.
    case uart(ChannelEvent, [UInt8])
    case trace(TraceEvent)
    case started(CallEvent)
    case ended(CallEvent)
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
    mutating func apply(_ calls: [TapCall]) {
        for call in calls { apply(call) }
    }

    private mutating func apply(_ call: TapCall) {
        switch call {
        case .channel(let event): channelRecord(event, payload: UnsafeRawBufferPointer(start: nil, count: 0))
        case .uart(let event, let bytes): bytes.withUnsafeBytes { channelRecord(event, payload: $0) }
        case .trace(let event): trace(event)
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
