import Capture
import Live
import Pipeline
import Report

/// `record --proxy LISTEN --to TARGET` and `record --tap-serial DEVICE --pty PATH`, alone or
/// together: every source runs in one poll loop writing one capture on one clock, with a status
/// line analysed as it goes. A capture that cannot be written (a full disk) is said once, in one
/// line naming the file; forwarding goes on and the exit status at the end is 2.
struct SourcesRecording {
    struct ProxyPlan {
        let listen: ProxyEndpoint
        let target: ProxyEndpoint
        let link: RecordingProxy.Link
        let connectTimeout: Double
        let stopAfter: Int?
    }

    struct TapPlan {
        let device: String
        let pty: String
        let baud: Int
    }

    let proxy: ProxyPlan?
    let tap: TapPlan?
    let output: String
    let status: StatusLine

    func run() throws {
        // With the tap the router is core 0 on both hops; a Unix target is taken as the router's.
        let layout: RecordingProxy.Layout = tap != nil || proxy?.target.isUnix == true ? .bridge : .clientServer
        let recorder = LiveRecorder(path: output, linkType: proxy?.link == .tcp ? 1 : LinkType.user0,
                                    interfaceName: tap == nil ? "icproxy" : proxy == nil ? "ictap" : "icbridge")
        var sources: [any RecordingSource] = []
        var recordingProxy: RecordingProxy?
        var serialTap: SerialTap?
        do {
            if let proxy {
                let made = try RecordingProxy(listen: proxy.listen, target: proxy.target, recorder: recorder, link: proxy.link,
                                              layout: layout, connectTimeout: proxy.connectTimeout, stopAfter: proxy.stopAfter)
                recordingProxy = made
                sources.append(made)
                let listening = if case .tcp(let address) = proxy.listen {
                    HostPort(host: address.host, port: made.port).description
                } else {
                    proxy.listen.description
                }
                status.announce("listening on \(listening), forwarding to \(proxy.target), writing \(output)")
            }
            if let tap {
                let made = try SerialTap(device: tap.device, ptyLink: tap.pty, baud: tap.baud, recorder: recorder)
                serialTap = made
                sources.append(made)
                status.announce("tapping \(tap.device) at \(tap.baud): the pty \(made.ptyName) is linked at \(tap.pty), writing \(output)")
            }
            try recorder.open()
        } catch {
            for source in sources { source.finish() }
            throw CouldNotAnalyse("\(error)")
        }
        guard let writer = recorder.writer else { return }
        let analysis = LiveBox(LiveAnalysis(name: output, linkType: recorder.linkType, options: AnalysisOptions(),
                                            sink: ReportCollector.summary))
        let backlog = RecordStatusBacklog()
        recorder.onRecord = { backlog.keep($0) }
        var failureSaid = false
        do {
            try RecordingLoop.run(sources, recorder: recorder) {
                backlog.drain(into: &analysis.value)
                for note in serialTap?.takeNotes() ?? [] { status.announce(note) }
                if let failure = writer.failure, !failureSaid {
                    failureSaid = true
                    status.announce("\(failure); no longer recording, still forwarding")
                }
                status.show(describe(recordingProxy?.status, serialTap?.status, recorder, analysis.value))
            }
        } catch {
            throw CouldNotAnalyse("\(error)")
        }
        var ended: [String] = []
        if let end = recordingProxy?.status {
            ended.append("recorded \(end.messages) \(proxy?.link == .tcp ? "frames" : "messages") in \(end.connections) connection"
                + (end.connections == 1 ? "" : "s") + " to \(output)"
                + (end.refused > 0 ? "; \(end.refused) refused (\(end.lastRefusal ?? "target unreachable"))" : ""))
        }
        if let end = serialTap?.status, let tap {
            ended.append("recorded \(end.fromPty) bytes from \(tap.pty) and \(end.fromDevice) from \(tap.device) to \(output)"
                + (end.deviceLost > 0 ? "; \(tap.device) went away \(end.deviceLost) times and came back \(end.deviceReopened)" : ""))
            // Bytes the tap read and could not hand on: recorded, never silently gone.
            if end.undelivered > 0 {
                status.announce("warning: \(end.undelivered) bytes read could not be delivered (mostly from \(tap.pty) "
                    + "while \(tap.device) was gone); they are in the capture")
            }
        }
        if writer.recordsCut > 0 { status.announce("warning: \(writer.summary)") }
        status.finish(ended.joined(separator: "; ") + (StopSignal.name.map { " (stopped by \($0))" } ?? ""))
        if let failure = writer.failure {
            throw CouldNotAnalyse("\(failure); no longer recording; forwarding went on; the capture holds the "
                + "\(writer.recordsOnDisk) records written before")
        }
    }

    private func describe(_ proxy: RecordingProxy.Status?, _ tap: SerialTap.Status?, _ recorder: LiveRecorder,
                          _ analysis: LiveAnalysis<ReportCollector>) -> String {
        var parts: [String] = []
        if let proxy {
            parts.append("\(proxy.connections) connection\(proxy.connections == 1 ? "" : "s"), \(proxy.messages) messages")
        }
        if let tap {
            parts.append("serial \(tap.fromPty) bytes out, \(tap.fromDevice) in" + (tap.deviceOpen ? "" : " (device gone)"))
        }
        let calls = analysis.status
        parts.append("\(calls.calls) calls (\(calls.inFlight) in flight)")
        parts.append("\(analysis.sink.counts.findings.values.reduce(0, +)) findings")
        if let proxy, proxy.refused > 0 { parts.append("\(proxy.refused) refused (\(proxy.lastRefusal ?? "target unreachable"))") }
        if !recorder.isRecording { parts.append("not recording") }
        return parts.joined(separator: ", ")
    }
}
