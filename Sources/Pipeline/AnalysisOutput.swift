import AnalysisCore
import Replay
import RPC

/// What every stage reports into: the renderer's sink behind the finding gate and the display
/// filter, with the replay engine beside it. The engine is fed in line, one `ReplayInput` at a
/// time, from what passes (channel records, trace events, calls between cores), and what it
/// finds goes to the renderer at once, before the event that raised it: the renderer sees
/// findings in the order the capture raised them, whichever stage made them.
struct AnalysisOutput<Inner: AnalysisSink>: AnalysisSink {
    var gated: GatedSink<Inner>
    /// The board model, fed only when `replays`. Not optional: unwrapping an optional engine
    /// cost a call to read its case on every record and every call (callgrind).
    private(set) var engine: ReplayEngine
    /// Whether the replay runs (`--no-replay` says no).
    let replays: Bool
    let filtersDisplay: Bool
    /// The display filter's own totals and statistics over what it selects (`-Y`).
    var selection: DisplaySelection?
    /// What the stages make for this output: the renderer's wants, the calls between cores for
    /// the replay, and transactions for the display filter. Fixed when the analysis is built.
    let wants: SinkWants
    private let innerWants: SinkWants
    /// The engine's findings of the input in hand, passed on to the renderer before anything else.
    private var found = FindingBuffer()

    init(inner: Inner, engine: ReplayEngine, replays: Bool, gate: FindingGate, selection: DisplaySelection?) {
        innerWants = inner.wants
        gated = GatedSink(inner: inner, gate: gate, display: selection?.filter)
        self.engine = engine
        self.selection = selection
        self.replays = replays
        filtersDisplay = selection != nil
        var wants = innerWants
        if replays { wants.insert(.callEvents) }
        if filtersDisplay { wants.insert(.transactions) }
        self.wants = wants
    }

    var inner: Inner {
        get { gated.inner }
        _modify { yield &gated.inner }
    }

    /// One input for the replay, when it runs.
    @inline(__always)
    mutating func replay(_ input: ReplayInput) {
        guard replays else { return }
        engine.consume(input, into: &found)
        if !found.isEmpty { found.drain(into: &gated) }
    }

    // Every use reaches the sink through `gated.inner`: the `inner` accessor's getter would copy
    // the whole sink (its arrays retained and released) on each call where it is not specialised.

    /// A display filter may ask about a finding's words, so it keeps them.
    var countsFindingsOnly: Bool { gated.countsFindingsOnly }

    mutating func finding(_ finding: Finding) { gated.finding(finding) }
    mutating func countFinding(_ rule: Rule) { gated.countFinding(rule) }
    mutating func message(_ message: DecodedMessage) { gated.inner.message(message) }
    mutating func record(_ record: RecordInfo) { gated.inner.record(record) }

    mutating func finish(totals: CallTotals) {
        gated.inner.finish(totals: selection?.totals ?? totals)
    }

    mutating func transaction(_ transaction: Transaction) {
        if filtersDisplay, !selection!.admit(transaction) { return }
        if innerWants.contains(.transactions) { gated.inner.transaction(transaction) }
    }

    mutating func notification(_ notification: Notification) {
        if filtersDisplay, !selection!.admit(notification) { return }
        if innerWants.contains(.transactions) { gated.inner.notification(notification) }
    }

    mutating func methodNamed(_ method: UInt32, _ name: String) {
        replay(.method(method, name: name))
        if innerWants.contains(.callEvents) { gated.inner.methodNamed(method, name) }
    }

    mutating func callStarted(_ call: CallEvent) {
        replay(.callStarted(call))
        if innerWants.contains(.callEvents) { gated.inner.callStarted(call) }
    }

    mutating func callEnded(_ call: CallEvent) {
        replay(.callEnded(call))
        if innerWants.contains(.callEvents) { gated.inner.callEnded(call) }
    }

    mutating func trace(_ event: TraceEvent) {
        replay(.trace(event))
        gated.inner.trace(event)
    }
}
