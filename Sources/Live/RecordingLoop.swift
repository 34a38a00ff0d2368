import Capture
#if canImport(Glibc)
import Glibc
#endif

/// One source of a recording run by `RecordingLoop`: the proxy, the serial tap. Each says which
/// descriptors it waits on, acts on what poll said of them, and does its timed work once a
/// turn. None of its calls may wait: one poll loop serves every source, so that a peer that
/// stalls holds up only what it is part of, never another direction or another source.
public protocol RecordingSource: AnyObject {
    /// Appends the descriptors to wait on this turn (fd -1 for one asked for nothing).
    func watch(into descriptors: inout [pollfd])
    /// What poll said of the descriptors `watch` appended, in the same order.
    func serve(_ polled: ArraySlice<pollfd>)
    /// Once a turn, after `serve`: writing held bytes, reconnecting, looking at line settings.
    func tick()
    /// Whether the source has done what it was asked (`--stop-after`): the loop then stops.
    var isDone: Bool { get }
    /// The loop stops: what waits is recorded, descriptors closed, files it made removed.
    func finish()
}

/// Runs sources in one poll loop with one `LiveRecorder`, until a stop signal (or a source is
/// done), waking at least every 100 ms to write the capture (so it is on disk within that) and
/// to see the signal.
public enum RecordingLoop {
    /// The loop wakes this often whatever happens: the writer's pace and the signals' bound.
    public static let wakeMilliseconds: Int32 = 100

    public static func run(_ sources: [any RecordingSource], recorder: LiveRecorder, turn: () -> Void) throws(LiveError) {
        defer {
            for source in sources { source.finish() }
            recorder.writer?.close()
            turn()
        }
        var descriptors: [pollfd] = []
        var counts = [Int](repeating: 0, count: sources.count)
        while !StopSignal.requested {
            descriptors.removeAll(keepingCapacity: true)
            for (index, source) in sources.enumerated() {
                let before = descriptors.count
                source.watch(into: &descriptors)
                counts[index] = descriptors.count - before
            }
            if poll(&descriptors, nfds_t(descriptors.count), wakeMilliseconds) < 0 {
                if errno == EINTR { continue }
                throw Socket.error("poll")
            }
            var start = 0
            for (index, source) in sources.enumerated() {
                source.serve(descriptors[start..<start + counts[index]])
                start += counts[index]
            }
            for source in sources { source.tick() }
            recorder.writer?.flushIfDue()
            turn()
            if sources.contains(where: \.isDone) { break }
        }
    }
}
