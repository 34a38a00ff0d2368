import AnalysisCore
import Replay
import RPC

/// Sits between the RPC stage and the renderer's sink: passes everything on, and feeds the
/// replay engine the trace events and completed calls it needs. Replay findings go to the
/// renderer like any other.
struct ReplayTap<Inner: AnalysisSink>: AnalysisSink {
    /// The renderer's sink behind the finding gate; the engine reports into it too.
    var gated: GatedSink<Inner>
    var engine: ReplayEngine?
    /// The engine's findings of the event in hand, passed on to the renderer before anything else.
    private var replayFindings = FindingBuffer()
    /// The display filter's own totals and statistics over what it selects (`-Y`).
    var selection: DisplaySelection?

    init(inner: Inner, engine: ReplayEngine?, gate: FindingGate = FindingGate(), selection: DisplaySelection? = nil) {
        gated = GatedSink(inner: inner, gate: gate, display: selection?.filter)
        self.engine = engine
        self.selection = selection
    }

    var inner: Inner {
        get { gated.inner }
        _modify { yield &gated.inner }
    }

    // Every use reaches the sink through `gated.inner`: the `inner` accessor's getter would copy
    // the whole sink (its arrays retained and released) on each call where it is not specialised.
    var wantsValues: Bool { gated.inner.wantsValues }
    var wantsMessages: Bool { gated.inner.wantsMessages }
    var wantsRecords: Bool { gated.inner.wantsRecords }
    var wantsTransactions: Bool { selection != nil || gated.inner.wantsTransactions }
    var wantsCallEvents: Bool { engine != nil || gated.inner.wantsCallEvents }
    /// A display filter may ask about a finding's message.
    var wantsFindingText: Bool { selection != nil || gated.inner.wantsFindingText }

    mutating func message(_ message: DecodedMessage) { gated.inner.message(message) }
    mutating func finding(_ finding: Finding) { gated.finding(finding) }
    var countsFindingsOnly: Bool { selection == nil && gated.countsFindingsOnly }
    mutating func countFinding(_ rule: Rule) { gated.countFinding(rule) }
    mutating func record(_ record: RecordInfo) { gated.inner.record(record) }
    mutating func finish(totals: CallTotals) { gated.inner.finish(totals: selection?.totals ?? totals) }

    mutating func transaction(_ transaction: Transaction) {
        if selection != nil, !selection!.admit(transaction) { return }
        if gated.inner.wantsTransactions { gated.inner.transaction(transaction) }
    }

    mutating func callStarted(_ call: CallEvent) {
        if engine != nil {
            engine!.callStarted(call, into: &replayFindings)
            if !replayFindings.isEmpty { replayFindings.drain(into: &gated) }
        }
        gated.inner.callStarted(call)
    }

    mutating func callEnded(_ call: CallEvent) {
        if engine != nil {
            engine!.callEnded(call, into: &replayFindings)
            if !replayFindings.isEmpty { replayFindings.drain(into: &gated) }
        }
        gated.inner.callEnded(call)
    }

    mutating func notification(_ notification: Notification) {
        if selection != nil, !selection!.admit(notification) { return }
        if gated.inner.wantsTransactions { gated.inner.notification(notification) }
    }

    @inline(__always)
    mutating func channelRecord(_ event: ChannelEvent, payload: UnsafeRawBufferPointer) {
        guard engine != nil else { return }
        engine!.channelRecord(event, payload: payload, into: &replayFindings)
        if !replayFindings.isEmpty { replayFindings.drain(into: &gated) }
    }

    mutating func finishReplay() {
        engine?.finish(into: &gated)
    }

    mutating func trace(_ event: TraceEvent) {
        if engine != nil {
            engine!.trace(event, into: &replayFindings)
            if !replayFindings.isEmpty { replayFindings.drain(into: &gated) }
        }
        gated.inner.trace(event)
    }
}
