import AnalysisCore
import Replay
import RPC

/// Sits between the RPC stage and the renderer's sink: passes everything on, and feeds the
/// replay engine the trace events and completed calls it needs. Replay findings go to the
/// renderer like any other.
///
/// With `offload`, the engine and the renderer's sink are on a thread of their own and every
/// call goes there in order (`ReplayOffload`); `settle` brings them back.
struct ReplayTap<Inner: AnalysisSink>: AnalysisSink {
    /// The renderer's sink behind the finding gate; the engine reports into it too.
    var gated: GatedSink<Inner>
    var engine: ReplayEngine?
    /// `engine != nil` and `selection != nil`, asked on every record: comparing either optional
    /// with nil copies what it holds (856 and 136 bytes, callgrind) where these are one load.
    let hasEngine: Bool
    let filtersDisplay: Bool
    /// The engine's findings of the event in hand, passed on to the renderer before anything else.
    private var replayFindings = FindingBuffer()
    /// The display filter's own totals and statistics over what it selects (`-Y`).
    var selection: DisplaySelection?
    private var offload: ReplayOffload?
    /// The tap on the replay's thread, while there is one.
    private var replayThreadTap: HandOffState<ReplayTap>?
    /// On the replay's thread: the names of methods, by number, as the analysis sent them.
    var handedMethodNames: [String] = []

    init(inner: Inner, engine: ReplayEngine?, gate: FindingGate = FindingGate(), selection: DisplaySelection? = nil) {
        gated = GatedSink(inner: inner, gate: gate, display: selection?.filter)
        self.engine = engine
        self.selection = selection
        hasEngine = engine != nil
        filtersDisplay = selection != nil
    }

    /// The tap with its replay on a thread of its own, when that changes nothing the sink sees:
    /// a replay to run, no display filter and no baseline (both read every finding as it comes),
    /// and a sink that allows it.
    static func offloaded(inner: Inner, engine: ReplayEngine?, gate: FindingGate) -> ReplayTap? {
        guard engine != nil, gate.readsRuleOnly, let findingLimit = inner.offloadableFindingLimit else { return nil }
        var tap = ReplayTap(inner: inner, engine: engine, gate: gate)
        let onThread = HandOffState(tap)
        tap.offload = ReplayOffload(onThread, findingLimit: findingLimit, rules: gate.selection)
        tap.replayThreadTap = onThread
        return tap
    }

    /// Waits for the replay's thread, if there is one, and takes back its engine and sink.
    mutating func settle() {
        guard let onThread = replayThreadTap else { return }
        offload?.finish()
        self = onThread.value
    }

    var inner: Inner {
        get { gated.inner }
        _modify { yield &gated.inner }
    }

    // Every use reaches the sink through `gated.inner`: the `inner` accessor's getter would copy
    // the whole sink (its arrays retained and released) on each call where it is not specialised.
    var wantsValues: Bool { offload?.wantsValues ?? gated.inner.wantsValues }
    var wantsMessages: Bool { offload?.wantsMessages ?? gated.inner.wantsMessages }
    var wantsRecords: Bool { offload?.wantsRecords ?? gated.inner.wantsRecords }
    var wantsTransactions: Bool { offload?.wantsTransactions ?? (filtersDisplay || gated.inner.wantsTransactions) }
    var wantsCallEvents: Bool { offload?.wantsCallEvents ?? (hasEngine || gated.inner.wantsCallEvents) }
    /// A display filter may ask about a finding's message.
    var wantsFindingText: Bool { offload?.wantsFindingText ?? (filtersDisplay || gated.inner.wantsFindingText) }
    var countsFindingsOnly: Bool { offload?.countsFindingsOnly ?? (!filtersDisplay && gated.countsFindingsOnly) }

    mutating func message(_ message: DecodedMessage) {
        if offload != nil { return offload!.add(.message(message)) }
        gated.inner.message(message)
    }

    mutating func finding(_ finding: Finding) {
        if offload != nil { return offload!.finding(finding) }
        gated.finding(finding)
    }

    mutating func countFinding(_ rule: Rule) {
        if offload != nil { return offload!.add(.counted(rule)) }
        gated.countFinding(rule)
    }

    mutating func record(_ record: RecordInfo) {
        if offload != nil { return offload!.add(.record(record)) }
        gated.inner.record(record)
    }

    mutating func finish(totals: CallTotals) {
        if offload != nil { return offload!.add(.totals(totals)) }
        gated.inner.finish(totals: selection?.totals ?? totals)
    }

    mutating func transaction(_ transaction: Transaction) {
        if offload != nil { return offload!.add(.transaction(transaction)) }
        if filtersDisplay, !selection!.admit(transaction) { return }
        if gated.inner.wantsTransactions { gated.inner.transaction(transaction) }
    }

    mutating func callStarted(_ call: CallEvent) {
        if offload != nil { return offload!.callStarted(call) }
        if hasEngine {
            engine!.callStarted(call, into: &replayFindings)
            if !replayFindings.isEmpty { replayFindings.drain(into: &gated) }
        }
        gated.inner.callStarted(call)
    }

    mutating func callEnded(_ call: CallEvent) {
        if offload != nil { return offload!.callEnded(call) }
        if hasEngine {
            engine!.callEnded(call, into: &replayFindings)
            if !replayFindings.isEmpty { replayFindings.drain(into: &gated) }
        }
        gated.inner.callEnded(call)
    }

    mutating func notification(_ notification: Notification) {
        if offload != nil { return offload!.add(.notification(notification)) }
        if filtersDisplay, !selection!.admit(notification) { return }
        if gated.inner.wantsTransactions { gated.inner.notification(notification) }
    }

    @inline(__always)
    mutating func channelRecord(_ record: ChannelRecord, payload: UnsafeRawBufferPointer) {
        guard hasEngine else { return }
        if offload != nil { return offload!.channelRecord(record, payload: payload) }
        engine!.channelRecord(record.event, payload: payload, into: &replayFindings)
        if !replayFindings.isEmpty { replayFindings.drain(into: &gated) }
    }

    mutating func finishReplay() {
        if offload != nil { return offload!.add(.finishReplay) }
        engine?.finish(into: &gated)
    }

    mutating func trace(_ event: TraceEvent) {
        if offload != nil { return offload!.trace(event) }
        if hasEngine {
            engine!.trace(event, into: &replayFindings)
            if !replayFindings.isEmpty { replayFindings.drain(into: &gated) }
        }
        gated.inner.trace(event)
    }
}
