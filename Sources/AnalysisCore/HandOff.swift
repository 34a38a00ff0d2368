import Dispatch
import class Foundation.Thread
import Synchronization

/// Work handed to a thread of its own: items are gathered in batches on the caller's thread,
/// and applied on the other in exactly the order they were added, so what they make there is
/// what applying them in line would have made. What they are applied to is the caller's, kept
/// in the `apply` closure (a `HandOffState` box); only the items' type is this type's own, so
/// that adding one is specialised code wherever the caller is not. At most `inFlight` batches
/// wait; the caller waits for room past that, so memory stays flat however much is handed over.
/// The thread starts with the first full batch: a short run never starts one.
///
/// Batches come back to the caller's thread to be emptied there: values made on one thread and
/// freed on another contend for the allocator's lock (perf showed a third of the time in it).
public struct HandOff<Item: Sendable> {
    @usableFromInline var batch: [Item] = []
    @usableFromInline let batchSize: Int
    @usableFromInline let thread: HandOffThread<Item>

    /// `apply` runs on the other thread, given each batch in turn to apply item by item (a batch
    /// at a time, so that the loop is the caller's own, specialised code). It may empty the batch
    /// there (items that hold nothing allocated cost the caller nothing to free then); what it
    /// leaves is emptied on the caller's thread.
    public init(batchSize: Int = 1024, inFlight: Int = 8, apply: @escaping (inout [Item]) -> Void) {
        self.batchSize = max(1, batchSize)
        thread = HandOffThread(inFlight: max(1, inFlight), apply: apply)
        batch.reserveCapacity(self.batchSize)
    }

    @inlinable
    public mutating func add(_ item: consuming Item) {
        batch.append(item)
        if batch.count >= batchSize { submit() }
    }

    @inlinable
    mutating func submit() {
        var returned = thread.submit(batch)
        returned.removeAll(keepingCapacity: true)
        batch = returned
        batch.reserveCapacity(batchSize)
    }

    /// Waits until every item is applied.
    public mutating func finish() {
        let last = batch
        batch = []
        thread.finish(last)
    }
}

/// The thread behind a `HandOff`.
///
/// `@unchecked Sendable`: `apply` (and what it holds) is used by the thread alone from its start
/// until `done` is signalled, and by the caller alone otherwise; the semaphores order the two,
/// and the queues of batches are behind mutexes.
@usableFromInline
final class HandOffThread<Item: Sendable>: @unchecked Sendable {
    private let apply: (inout [Item]) -> Void
    private var started = false
    private let queue = Mutex<[[Item]?]>([])
    /// Batches applied, on their way back to the caller's thread to be emptied there.
    private let applied = Mutex<[[Item]]>([])
    private let room: DispatchSemaphore
    private let waiting = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    init(inFlight: Int, apply: @escaping (inout [Item]) -> Void) {
        self.apply = apply
        room = DispatchSemaphore(value: inFlight)
    }

    /// Hands over a full batch; returns one the thread is done with (or an empty one).
    @usableFromInline
    func submit(_ batch: [Item]) -> [Item] {
        if !started {
            started = true
            let thread = Thread { [self] in run() }
            thread.name = "hand-off"
            thread.start()
        }
        enqueue(batch)
        let returned = applied.withLock { batches in
            defer { batches.removeAll(keepingCapacity: true) }
            return batches
        }
        return returned.last ?? []
    }

    /// Hands over the last batch and waits for the thread.
    func finish(_ last: [Item]) {
        guard started else {
            var last = last
            return apply(&last)
        }
        if !last.isEmpty { enqueue(last) }
        enqueue(nil)
        done.wait()
        applied.withLock { $0.removeAll() }
    }

    private func enqueue(_ batch: [Item]?) {
        room.wait()
        queue.withLock { $0.append(batch) }
        waiting.signal()
    }

    private func run() {
        while true {
            waiting.wait()
            let next = queue.withLock { $0.removeFirst() }
            // Every wait on `room` is matched: a semaphore freed below its start value traps.
            defer { room.signal() }
            guard var batch = next else { break }
            apply(&batch)
            applied.withLock { $0.append(batch) }
        }
        done.signal()
    }
}

/// What a `HandOff`'s items are applied to, shared by the caller and the `apply` closure.
///
/// `@unchecked Sendable`: the hand-off's thread alone uses `value` between the first batch and
/// `finish`, the caller alone before and after.
public final class HandOffState<Value>: @unchecked Sendable {
    public var value: Value

    public init(_ value: Value) {
        self.value = value
    }
}
