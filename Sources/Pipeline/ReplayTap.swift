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

    var wantsValues: Bool { inner.wantsValues }
    var wantsMessages: Bool { inner.wantsMessages }
    var wantsRecords: Bool { inner.wantsRecords }
    var wantsTransactions: Bool { selection != nil || inner.wantsTransactions }
    var wantsCallEvents: Bool { engine != nil || inner.wantsCallEvents }

    mutating func message(_ message: DecodedMessage) { inner.message(message) }
    mutating func finding(_ finding: Finding) { gated.finding(finding) }
    mutating func record(_ record: RecordInfo) { inner.record(record) }
    mutating func finish(totals: CallTotals) { inner.finish(totals: selection?.totals ?? totals) }

    mutating func transaction(_ transaction: Transaction) {
        if selection != nil, !selection!.admit(transaction) { return }
        if inner.wantsTransactions { inner.transaction(transaction) }
    }

    mutating func callStarted(_ call: CallEvent) {
        engine?.callStarted(call, into: &gated)
        inner.callStarted(call)
    }

    mutating func callEnded(_ call: CallEvent) {
        engine?.callEnded(call, into: &gated)
        inner.callEnded(call)
    }

    mutating func notification(_ notification: Notification) {
        if selection != nil, !selection!.admit(notification) { return }
        if inner.wantsTransactions { inner.notification(notification) }
    }

    @inline(__always)
    mutating func channelRecord(_ event: ChannelEvent, payload: UnsafeRawBufferPointer) {
        engine?.channelRecord(event, payload: payload, into: &gated)
    }

    mutating func finishReplay() {
        engine?.finish(into: &gated)
    }

    mutating func trace(_ event: TraceEvent) {
        engine?.trace(event, into: &gated)
        inner.trace(event)
    }
}
