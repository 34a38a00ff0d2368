import Capture
import Live
import Pipeline
import Report

/// `record -i IFACE [FILTER] -w FILE`: writes every packet as it comes (pcapng, or classic
/// pcap for other file names), analyses it on the way for the status line, and on Ctrl-C
/// stops, flushes, and prints the report of what was captured.
struct LiveRecording {
    let interface: String
    let filter: String
    let output: String
    let status: StatusLine

    func run() throws {
        let capture: LiveCapture
        do {
            capture = try LiveCapture(interface: interface, filter: filter.isEmpty ? nil : filter)
        } catch {
            throw CouldNotAnalyse(error.description)
        }
        let recording: RecordingWriter
        do {
            recording = try RecordingWriter(path: output, linkType: capture.linkType, interfaceName: interface)
        } catch {
            throw CouldNotAnalyse(error.description)
        }
        var analysis = LiveAnalysis(name: output, linkType: capture.linkType,
                                    options: AnalysisOptions(filter: filter.isEmpty ? nil : filter),
                                    sink: ReportCollector.summary)
        status.announce("capturing on \(interface) (link type \(capture.linkType)), writing \(output); Ctrl-C stops")
        var records = 0
        var failure: String?
        while !StopSignal.requested, recording.isWriting {
            switch capture.next(waitMilliseconds: 100) {
            case .record(let record):
                records += 1
                recording.write(timeNs: record.timeNs, bytes: record.bytes, originalLength: record.originalLength)
                analysis.consume(record)
            case .idle:
                break
            case .failed(let reason):
                failure = reason
            }
            if failure != nil { break }
            recording.flushIfDue()
            let now = analysis.status
            status.show("\(records) records, \(now.calls) calls (\(now.inFlight) in flight), \(now.notifications) notifications, "
                + "\(analysis.sink.counts.findings.values.reduce(0, +)) findings")
        }
        recording.close()
        // Records the writer had to cut or could not write: never silent.
        if recording.recordsCut > 0 || recording.recordsLost > 0 { status.announce("warning: \(recording.summary)") }
        let dropped = capture.dropped
        if dropped.kernel + dropped.interface > 0 {
            status.announce("warning: \(dropped.kernel) packets dropped by the kernel's capture buffer, "
                + "\(dropped.interface) by the interface: they are not in \(output)")
        }
        let result = analysis.finish()
        status.finish("captured \(records) records to \(output)" + (failure.map { " (capture stopped: \($0))" } ?? "")
            + (StopSignal.name.map { " (stopped by \($0))" } ?? ""))
        if let failure = recording.failure {
            throw CouldNotAnalyse("\(failure); recording stopped, the capture holds the \(recording.recordsOnDisk) records written before")
        }
        let report = TextReport.render(summary: result.summary, statistics: result.statistics, collector: result.sink,
                                       board: result.summary.board)
        // With `-w -` standard output is the capture: the report goes beside the status.
        if output == "-" { printError(report, newline: false) } else { print(report, terminator: "") }
    }
}
