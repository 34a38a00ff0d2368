import Capture
import Pipeline
import Report

/// The records a live recording has written, waiting for the status line's analysis. The
/// analysis runs between forwarding turns, on the forwarding thread: done record by record it
/// would sit between a request going out and its answer coming back (a few hundred µs a call in
/// a debug build, which the tap's latency measurement showed), so records are kept here and
/// analysed together every `everyNs`, or sooner once `limitBytes` wait.
final class RecordStatusBacklog {
    static let everyNs: Int64 = 100_000_000
    static let limitBytes = 4 << 20

    private struct Entry {
        let number: UInt64
        let timeNs: Int64
        let originalLength: Int
        let range: Range<Int>
        let linkType: Int32
    }

    private var bytes: [UInt8] = []
    private var entries: [Entry] = []
    private var lastNs: Int64 = 0

    /// Keeps a copy of `record` (its bytes are lent only for the call).
    func keep(_ record: RawRecord) {
        let start = bytes.count
        bytes.append(contentsOf: record.bytes)
        entries.append(Entry(number: record.number, timeNs: record.timeNs, originalLength: record.originalLength,
                             range: start..<bytes.count, linkType: record.linkType))
    }

    /// Analyses what waits if it is time (or `force`).
    func drain(into analysis: inout LiveAnalysis<ReportCollector>, force: Bool = false) {
        let now = RecordingWriter.monotonicNs()
        guard force || bytes.count >= Self.limitBytes || now - lastNs >= Self.everyNs else { return }
        lastNs = now
        bytes.withUnsafeBytes { all in
            for entry in entries {
                analysis.consume(RawRecord(number: entry.number, timeNs: entry.timeNs, originalLength: entry.originalLength,
                                           bytes: UnsafeRawBufferPointer(rebasing: all[entry.range]), linkType: entry.linkType))
            }
        }
        entries.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: bytes.capacity <= Self.limitBytes)
    }
}
