import Live
import Pipeline
import Report

/// `record --proxy LISTEN --to TARGET -w FILE`: forwards every client to the target and records
/// both directions, with a status line analysed as it goes. A capture that cannot be written
/// (a full disk) is said once, in one line naming the file; forwarding goes on and the exit
/// status at the end is 2.
struct ProxyRecording {
    let listen: HostPort
    let target: HostPort
    let output: String
    let link: RecordingProxy.Link
    let connectTimeout: Double
    let stopAfter: Int?
    let status: StatusLine

    func run() throws {
        let proxy: RecordingProxy
        do {
            proxy = try RecordingProxy(listen: listen, target: target, output: output, link: link, connectTimeout: connectTimeout)
        } catch {
            throw CouldNotAnalyse("\(error)")
        }
        status.announce("listening on \(HostPort(host: listen.host, port: proxy.port)), forwarding to \(target), writing \(output)")
        let analysis = LiveBox(LiveAnalysis(name: output, linkType: proxy.linkType, options: AnalysisOptions(),
                                            sink: ReportCollector.summary))
        proxy.onRecord = { analysis.value.consume($0) }
        var failureSaid = false
        do {
            try proxy.run(stopAfter: stopAfter) { now in
                if let failure = now.recordingFailure, !failureSaid {
                    failureSaid = true
                    status.announce("\(failure); no longer recording, still forwarding")
                }
                status.show(describe(now, analysis.value))
            }
        } catch {
            throw CouldNotAnalyse("\(error)")
        }
        let end = proxy.status
        status.finish("recorded \(end.messages) \(link == .tcp ? "frames" : "messages") in \(end.connections) connection"
            + (end.connections == 1 ? "" : "s") + " to \(output)"
            + (end.refused > 0 ? "; \(end.refused) refused (\(end.lastRefusal ?? "target unreachable"))" : "")
            + (StopSignal.name.map { " (stopped by \($0))" } ?? ""))
        if let failure = end.recordingFailure {
            throw CouldNotAnalyse("\(failure); no longer recording; forwarding went on; the capture holds the "
                + "\(end.recordsOnDisk) records written before")
        }
    }

    private func describe(_ now: RecordingProxy.Status, _ analysis: LiveAnalysis<ReportCollector>) -> String {
        let calls = analysis.status
        return "\(now.connections) connection\(now.connections == 1 ? "" : "s"), \(now.messages) messages, "
            + "\(calls.calls) calls (\(calls.inFlight) in flight), "
            + "\(analysis.sink.counts.findings.values.reduce(0, +)) findings"
            + (now.refused > 0 ? ", \(now.refused) refused (\(now.lastRefusal ?? "target unreachable"))" : "")
            + (now.recordingFailure != nil ? ", not recording" : "")
    }
}
