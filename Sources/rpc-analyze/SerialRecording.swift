import Capture
import Foundation
import Live
import Pipeline
import Report

/// `record --serial DEVICE -w FILE`: reads what the C recorder drains (a serial port, a pty, a
/// FIFO, a saved file or `-`), writes it as a capture in format v1 as it comes, and prints the
/// report. What it read is on disk within a bounded delay (`RecordingWriter`,
/// `RecorderConversion.maxHoldNs`); a source that goes away is said in one line, and with
/// `follow` waited for; a stream with no recorder frame in it is a failure that says what to check.
struct SerialRecording {
    let source: String
    let baud: Int?
    let clockHz: UInt64?
    let output: String
    let follow: Bool
    let status: StatusLine

    /// Bytes without one good frame after which the wiring or the speed is suspect.
    static let bytesBeforeHint = 5_000

    func run() throws {
        var input = SerialSource(path: source, baud: baud)
        try input.open()
        defer { input.close() }
        let sink: RecordingWriter
        do {
            sink = try RecordingWriter(path: output, linkType: LinkType.user0, interfaceName: "icrec")
        } catch {
            throw CouldNotAnalyse(error.description)
        }
        var reader = RecorderFrameReader()
        var conversion = RecorderConversion(clockHz: clockHz) { timeNs, bytes in sink.write(timeNs: timeNs, bytes: bytes) }
        status.announce("reading the recorder's stream from \(source), writing \(output); Ctrl-C stops"
            + (follow ? "; waiting for it when it goes away" : ""))
        let started = Date()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var bytesRead = 0
        var hinted = false
        var ending: String?
        while !StopSignal.requested, sink.isWriting {
            switch input.read(into: &buffer, waitMilliseconds: 100) {
            case .bytes(let count):
                bytesRead += count
                let now = RecordingWriter.monotonicNs()
                buffer.withUnsafeBytes { bytes in
                    reader.feed(UnsafeRawBufferPointer(rebasing: bytes[..<count])) { conversion.take($0, arrivalNs: now) }
                }
                if !hinted, reader.frames == 0, bytesRead >= Self.bytesBeforeHint {
                    hinted = true
                    status.announce("warning: \(Self.noFrame(bytesRead)) (still reading)")
                }
            case .idle:
                break
            case .closed(let reason):
                let what = "\(source == "-" ? "standard input" : source) \(input.isRegularFile ? "ended" : "closed")"
                    + (reason.map { " (\($0))" } ?? "") + " after \(Self.seconds(since: started))"
                if follow, input.isRegularFile {
                    // A file another program appends to (a debugger's dump): read on as it grows.
                    usleep(100_000)
                    break
                }
                // Standard input that ends has no path to come back at.
                guard follow, source != "-" else {
                    ending = "--serial: \(what); \(conversion.records + conversion.held) records kept"
                    break
                }
                status.announce("--serial: \(what); waiting for it to come back (Ctrl-C stops)")
                conversion.finishPending()
                sink.flush()
                reader.finish()
                guard input.reopen() else { break }
                conversion.sourceInterrupted()
                status.announce("--serial: \(source) is back after \(Self.seconds(since: started)); the gap is recorded as capture loss")
            }
            if ending != nil { break }
            conversion.writeDue(nowNs: RecordingWriter.monotonicNs())
            sink.flushIfDue()
            status.show(describe(reader, conversion, sink))
        }
        reader.finish()
        conversion.finish()
        sink.close()
        if let ending { status.announce(ending) }
        // Records the writer had to cut or could not write: never silent.
        if sink.recordsCut > 0 || sink.recordsLost > 0 { status.announce("warning: \(sink.summary)") }
        status.finish("recorded \(describe(reader, conversion, sink)) to \(output)"
            + (StopSignal.name.map { " (stopped by \($0))" } ?? ""))
        if let failure = sink.failure {
            throw CouldNotAnalyse("\(failure); recording stopped, the capture holds the \(sink.recordsOnDisk) records written before")
        }
        if conversion.clockHz == nil, reader.frames > 0 {
            status.announce("warning: no stream header was read and no --clock-hz given: ticks were taken as nanoseconds")
        }
        if reader.frames == 0 {
            throw CouldNotAnalyse(bytesRead == 0
                ? "--serial \(source): nothing was read: is the board draining the recorder to it?"
                : "--serial \(source): \(Self.noFrame(bytesRead))")
        }
        if reader.corruptFrames > reader.frames {
            throw CouldNotAnalyse("--serial \(source): \(reader.corruptFrames) of \(reader.corruptFrames + reader.frames) frames "
                + "were corrupt: check --baud and the wiring; the \(reader.frames) good ones are in \(output)")
        }
        guard output != "-" else { return }
        let result = try CaptureAnalysis.run(path: output, sink: ReportCollector.summary)
        print(TextReport.render(summary: result.summary, statistics: result.statistics, collector: result.sink,
                                board: result.summary.board), terminator: "")
    }

    private static func noFrame(_ bytes: Int) -> String {
        "no recorder frame in \(bytes.formatted()) bytes: check --baud and the wiring"
    }

    private static func seconds(since start: Date) -> String {
        String(format: "%.1f s", Date().timeIntervalSince(start))
    }

    private func describe(_ reader: RecorderFrameReader, _ conversion: RecorderConversion, _ sink: RecordingWriter) -> String {
        var parts = ["\(conversion.records + conversion.held) records"]
        if reader.corruptFrames > 0 {
            parts.append("\(reader.corruptFrames) corrupt frame\(reader.corruptFrames == 1 ? "" : "s") (\(reader.corruptBytes) bytes)")
        }
        if conversion.droppedByRecorder > 0 { parts.append("\(conversion.droppedByRecorder) dropped by the recorder") }
        if conversion.droppedWithoutStream > 0 {
            parts.append("\(conversion.droppedWithoutStream) dropped for want of a stream slot")
        }
        if conversion.writtenOutOfOrder > 0 {
            parts.append("\(conversion.writtenOutOfOrder) written after later ones (the drain fell behind)")
        }
        if sink.recordsLost > 0 { parts.append("\(sink.recordsLost) not written") }
        return parts.joined(separator: ", ")
    }
}
