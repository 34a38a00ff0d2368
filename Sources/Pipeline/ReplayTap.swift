import AnalysisCore
import Replay
import RPC

/// Sits between the RPC stage and the renderer's sink: passes everything on, and feeds the
/// replay engine the trace events and completed calls it needs. Replay findings go to the
/// renderer like any other.
struct ReplayTap<Inner: AnalysisSink>: AnalysisSink {
    var inner: Inner
    var engine: ReplayEngine?

    var wantsValues: Bool { inner.wantsValues }
    var wantsMessages: Bool { inner.wantsMessages }
    var wantsRecords: Bool { inner.wantsRecords }
    var wantsTransactions: Bool { inner.wantsTransactions }
    var wantsCallEvents: Bool { engine != nil || inner.wantsCallEvents }

    mutating func message(_ message: DecodedMessage) { inner.message(message) }
    mutating func finding(_ finding: Finding) { inner.finding(finding) }
    mutating func record(_ record: RecordInfo) { inner.record(record) }
    mutating func finish(totals: CallTotals) { inner.finish(totals: totals) }

    mutating func transaction(_ transaction: Transaction) {
        if inner.wantsTransactions { inner.transaction(transaction) }
    }

    mutating func callStarted(_ call: CallEvent) {
        engine?.callStarted(call, into: &inner)
        inner.callStarted(call)
    }

    mutating func callEnded(_ call: CallEvent) {
        engine?.callEnded(call, into: &inner)
        inner.callEnded(call)
    }

    mutating func notification(_ notification: Notification) {
        if inner.wantsTransactions { inner.notification(notification) }
    }

    @inline(__always)
    mutating func channelRecord(_ event: ChannelEvent, payload: UnsafeRawBufferPointer) {
        engine?.channelRecord(event, payload: payload, into: &inner)
    }

    mutating func finishReplay() {
        engine?.finish(into: &inner)
    }

    mutating func trace(_ event: TraceEvent) {
        engine?.trace(event, into: &inner)
        inner.trace(event)
    }
}
