import Dispatch
import class Foundation.Thread
import Synchronization

/// Work handed to a thread of its own: items are gathered in batches on the caller's thread,
/// and applied to `State` on the other in exactly the order they were added, so what the
/// state ends as is what applying them in line would have made. At most `inFlight` batches
/// wait; the caller waits for room past that, so memory stays flat however much is handed over.
/// The thread starts with the first full batch: a short run never starts one.
///
/// Batches come back to the caller's thread to be emptied there: values made on one thread and
/// freed on another contend for the allocator's lock (perf showed a third of the time in it).
public struct HandOff<State, Item: Sendable> {
    @usableFromInline var batch: [Item] = []
    @usableFromInline let batchSize: Int
    @usableFromInline let thread: HandOffThread<State, Item>

    /// `apply` runs on the other thread, given each batch in turn to apply item by item (a batch
    /// at a time, so that the loop is the caller's own, specialised code).
    public init(_ state: State, batchSize: Int = 1024, inFlight: Int = 8,
                apply: @escaping @Sendable (inout State, [Item]) -> Void) {
        self.batchSize = max(1, batchSize)
        thread = HandOffThread(state, inFlight: max(1, inFlight), apply: apply)
        batch.reserveCapacity(self.batchSize)
    }

    @inlinable
    public mutating func add(_ item: Item) {
        batch.append(item)
        if batch.count >= batchSize { submit() }
    }

    @usableFromInline
    mutating func submit() {
        var returned = thread.submit(batch)
        returned.removeAll(keepingCapacity: true)
        batch = returned
        batch.reserveCapacity(batchSize)
    }

    /// Waits until every item is applied, and gives back the state.
    public mutating func finish() -> State {
        let last = batch
        batch = []
        return thread.finish(last)
    }
}

/// The thread behind a `HandOff`.
///
/// `@unchecked Sendable`: `state` is used by the thread alone from its start until `done` is
/// signalled, and by the caller alone otherwise; the semaphores order the two, and the queues
/// of batches are behind mutexes.
@usableFromInline
final class HandOffThread<State, Item: Sendable>: @unchecked Sendable {
    private var state: State
    private let apply: @Sendable (inout State, [Item]) -> Void
    private var started = false
    private let queue = Mutex<[[Item]?]>([])
    /// Batches applied, on their way back to the caller's thread to be emptied there.
    private let applied = Mutex<[[Item]]>([])
    private let room: DispatchSemaphore
    private let waiting = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    init(_ state: State, inFlight: Int, apply: @escaping @Sendable (inout State, [Item]) -> Void) {
        self.state = state
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

    /// Hands over the last batch, waits for the thread, and returns the state.
    func finish(_ last: [Item]) -> State {
        guard started else {
            apply(&state, last)
            return state
        }
        if !last.isEmpty { enqueue(last) }
        enqueue(nil)
        done.wait()
        applied.withLock { $0.removeAll() }
        return state
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
            guard let batch = next else { break }
            apply(&state, batch)
            applied.withLock { $0.append(batch) }
        }
        done.signal()
    }
}
