import AnalysisCore
import Capture
import RPC

/// The analysis fed record by record as packets arrive (`record -i`), with a running status.
public struct LiveAnalysis<Sink: AnalysisSink> {
    private var analysis: CaptureAnalysis<Sink>

    public init(name: String, linkType: Int32, options: AnalysisOptions, sink: Sink) {
        // The running status reads the sink as records arrive: it stays on this thread.
        analysis = CaptureAnalysis(name: name, linkType: linkType, options: options.onOneThread, sink: sink)
    }

    public mutating func consume(_ record: RawRecord) {
        analysis.consume(record)
    }

    /// Messages paired or sent so far, and requests still waiting for an answer.
    public var status: (calls: Int, notifications: Int, inFlight: Int) {
        let totals = analysis.context.registry.rpc.totals
        return (totals.transactions, totals.notifications, analysis.context.registry.rpc.requestsInFlight)
    }

    public var sink: Sink { analysis.context.output.inner }

    public mutating func finish() -> AnalysisResult<Sink> {
        analysis.finish()
    }
}
