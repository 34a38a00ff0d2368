import AnalysisCore
import Dispatch
import class Foundation.Thread
import Pipeline
import RPC
import Synchronization

/// `--format jsonl` with its lines rendered and written on a thread of their own: the analysis
/// hands over what it found in batches and goes on reading, so that a machine with a core to
/// spare decodes and writes at once (rendering a line costs about twice what finding it does).
/// The lines are the ones `JSONLinesSink` writes, in the same order: its methods are called
/// in the order the analysis called this sink's. Memory stays flat: at most
/// `batchesInFlight` batches wait, and the analysis waits for room past that.
public struct JSONLinesOnWriterThread: AnalysisSink {
    private var batch: [JSONLinesItem] = []
    private let writer: JSONLinesWriterThread
    public var wantsValues: Bool { true }

    static let batchSize = 1024

    public init(_ sink: JSONLinesSink) {
        writer = JSONLinesWriterThread(sink)
        batch.reserveCapacity(Self.batchSize)
    }

    public mutating func transaction(_ transaction: Transaction) { add(.transaction(transaction)) }
    public mutating func notification(_ notification: Notification) { add(.notification(notification)) }
    public mutating func finding(_ finding: Finding) { add(.finding(finding)) }
    public mutating func finish(totals: CallTotals) { add(.totals(totals)) }

    private mutating func add(_ item: JSONLinesItem) {
        batch.append(item)
        guard batch.count == Self.batchSize else { return }
        var next = writer.submit(batch)
        // Emptied here, not on the writer: the values were allocated on this thread, and
        // freeing them on the other contends for the allocator's lock (perf: a third of the time).
        next.removeAll(keepingCapacity: true)
        batch = next
        batch.reserveCapacity(Self.batchSize)
    }

    /// Waits until every line is written, and gives back the sink that wrote them (its counts).
    public mutating func drained() -> JSONLinesSink {
        let last = batch
        batch = []
        return writer.finish(last)
    }
}

/// What the analysis handed over, in the order it did.
enum JSONLinesItem: Sendable {
    case transaction(Transaction)
    case notification(Notification)
    case finding(Finding)
    case totals(CallTotals)
}

/// The thread behind `JSONLinesOnWriterThread`, started at the first full batch (a capture
/// with fewer lines never starts one).
///
/// `@unchecked Sendable`: `sink` is used by the writer thread alone from `start` until `done`
/// is signalled, and by the caller alone otherwise; the semaphores order the two, and the
/// queue of batches is behind a mutex.
final class JSONLinesWriterThread: @unchecked Sendable {
    static let batchesInFlight = 8

    private var sink: JSONLinesSink
    private var started = false
    private let queue = Mutex<[[JSONLinesItem]?]>([])
    /// Batches written, on their way back to the analysis's thread to be emptied there.
    private let written = Mutex<[[JSONLinesItem]]>([])
    private let room = DispatchSemaphore(value: JSONLinesWriterThread.batchesInFlight)
    private let waiting = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    init(_ sink: JSONLinesSink) {
        self.sink = sink
    }

    /// Hands over a full batch; returns one the writer is done with (or an empty one), to be
    /// emptied and refilled by the caller.
    func submit(_ batch: [JSONLinesItem]) -> [JSONLinesItem] {
        if !started {
            started = true
            let thread = Thread { [self] in run() }
            thread.name = "jsonl writer"
            thread.start()
        }
        enqueue(batch)
        let returned = written.withLock { batches in
            defer { batches.removeAll(keepingCapacity: true) }
            return batches
        }
        return returned.last ?? []
    }

    /// Hands over the last batch, waits for the thread, and returns the sink.
    func finish(_ last: [JSONLinesItem]) -> JSONLinesSink {
        guard started else {
            write(last)
            return sink
        }
        if !last.isEmpty { enqueue(last) }
        enqueue(nil)
        done.wait()
        written.withLock { $0.removeAll() }
        return sink
    }

    private func enqueue(_ batch: [JSONLinesItem]?) {
        room.wait()
        queue.withLock { $0.append(batch) }
        waiting.signal()
    }

    private func run() {
        while true {
            waiting.wait()
            let next = queue.withLock { $0.removeFirst() }
            guard let batch = next else {
                // Every wait on `room` is matched: a semaphore freed below its start value traps.
                room.signal()
                break
            }
            write(batch)
            written.withLock { $0.append(batch) }
            room.signal()
        }
        done.signal()
    }

    private func write(_ batch: [JSONLinesItem]) {
        for item in batch {
            switch item {
            case .transaction(let transaction): sink.transaction(transaction)
            case .notification(let notification): sink.notification(notification)
            case .finding(let finding): sink.finding(finding)
            case .totals(let totals): sink.finish(totals: totals)
            }
        }
    }
}
