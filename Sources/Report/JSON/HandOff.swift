import Dispatch
import class Foundation.Thread
import Synchronization

/// Work handed to a thread of its own: items are gathered in batches on the caller's thread,
/// and applied on the other in exactly the order they were added, so what they make there is
/// what applying them in line would have made. What they are applied to is the caller's, kept
/// in the `apply` closure (a `HandOffState` box); only the items' type is this type's own, so
/// that adding one is specialised code wherever the caller is not. At most `inFlight` batches
/// wait; the caller waits for room past that, so memory stays flat however much is handed over.
/// An item that holds memory of its own is added with its size (`add(_:holding:)`), and a batch
/// goes early once it holds `heldBytesPerBatch`: so that what waits stays small however large
/// each such item is. The thread starts with the first batch handed over: a short run never
/// starts one.
///
/// Batches come back to the caller's thread to be emptied there: values made on one thread and
/// freed on another contend for the allocator's lock (perf showed a third of the time in it).
public struct HandOff<Item: Sendable> {
    @usableFromInline var batch: HandOffBatch<Item>
    @usableFromInline let thread: HandOffThread<Item>

    /// `apply` runs on the other thread, given each batch in turn to apply item by item (a batch
    /// at a time, so that the loop is the caller's own, specialised code). It may empty the batch
    /// there (items that hold nothing allocated cost the caller nothing to free then); what it
    /// leaves is emptied on the caller's thread.
    public init(batchSize: Int = 1024, inFlight: Int = 8, heldBytesPerBatch: Int = 1 << 20,
                apply: @escaping (inout HandOffBatch<Item>) -> Void) {
        thread = HandOffThread(batchSize: max(1, batchSize), inFlight: max(1, inFlight),
                               heldBytesPerBatch: max(1, heldBytesPerBatch), apply: apply)
        batch = thread.emptyBatch()
    }

    @inlinable
    public mutating func add(_ item: consuming Item) {
        batch.append(item)
        if batch.isFull { submit() }
    }

    /// Adds an item that holds `bytes` of memory of its own (its storage beyond the item).
    @inlinable
    public mutating func add(_ item: consuming Item, holding bytes: Int) {
        batch.append(item)
        batch.held += bytes
        if batch.isFull || batch.held >= thread.heldBytesPerBatch { submit() }
    }

    @inlinable
    mutating func submit() {
        batch = thread.submit(batch)
    }

    /// Waits until every item is applied.
    public mutating func finish() {
        thread.finish(batch)
    }
}

/// Items handed over at once: storage of its own, allocated once and used again batch after
/// batch, so that adding an item is a store and a count (no uniqueness check or growth of an
/// array on the per-record path).
///
/// `@unchecked Sendable`: a batch is used by one thread at a time, the hand-off's semaphores and
/// mutexes passing it from one to the other.
public struct HandOffBatch<Item>: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<Item>
    @usableFromInline let capacity: Int
    /// Items added, initialised at the start of the storage.
    @usableFromInline var added = 0
    public var count: Int { added }
    /// What the items hold beyond themselves, as `HandOff.add(_:holding:)` was told.
    public var heldBytes: Int { held }
    @usableFromInline var held = 0

    init(capacity: Int) {
        base = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    @inlinable
    var isFull: Bool { added == capacity }

    @inlinable
    mutating func append(_ item: consuming Item) {
        (base + added).initialize(to: item)
        added += 1
    }

    /// The items, in the order they were added.
    public var items: UnsafeMutableBufferPointer<Item> { UnsafeMutableBufferPointer(start: base, count: added) }

    /// Frees the items (not the storage).
    public mutating func removeAll() {
        base.deinitialize(count: added)
        added = 0
        held = 0
    }

    func deallocate() {
        base.deinitialize(count: added)
        base.deallocate()
    }
}

/// The thread behind a `HandOff`.
///
/// `@unchecked Sendable`: `apply` (and what it holds) is used by the thread alone from its start
/// until `done` is signalled, and by the caller alone otherwise; the semaphores order the two,
/// and the queues of batches are behind mutexes.
@usableFromInline
final class HandOffThread<Item: Sendable>: @unchecked Sendable {
    private let apply: (inout HandOffBatch<Item>) -> Void
    private let batchSize: Int
    @usableFromInline let heldBytesPerBatch: Int
    private var started = false
    private let queue = Mutex<[HandOffBatch<Item>?]>([])
    /// Batches applied, on their way back to the caller's thread to be emptied and used again.
    private let applied = Mutex<[HandOffBatch<Item>]>([])
    private let room: DispatchSemaphore
    private let waiting = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    init(batchSize: Int, inFlight: Int, heldBytesPerBatch: Int, apply: @escaping (inout HandOffBatch<Item>) -> Void) {
        self.apply = apply
        self.batchSize = batchSize
        self.heldBytesPerBatch = heldBytesPerBatch
        room = DispatchSemaphore(value: inFlight)
    }

    /// A new batch. At most `inFlight` + 1 are made: one is made only when none has come back,
    /// so the others are all waiting or being applied.
    func emptyBatch() -> HandOffBatch<Item> {
        HandOffBatch(capacity: batchSize)
    }

    /// Hands over a full batch; returns an empty one to fill: one the thread is done with, or new.
    @usableFromInline
    func submit(_ batch: HandOffBatch<Item>) -> HandOffBatch<Item> {
        if !started {
            started = true
            let thread = Thread { [self] in run() }
            thread.name = "hand-off"
            thread.start()
        }
        enqueue(batch)
        let returned = applied.withLock { batches in batches.popLast() }
        guard var returned else { return emptyBatch() }
        returned.removeAll()
        return returned
    }

    /// Hands over the last batch, waits for the thread and frees every batch.
    func finish(_ last: HandOffBatch<Item>) {
        guard started else {
            var last = last
            apply(&last)
            return last.deallocate()
        }
        if last.count > 0 { enqueue(last) } else { last.deallocate() }
        enqueue(nil)
        done.wait()
        applied.withLock { batches in
            for batch in batches { batch.deallocate() }
            batches.removeAll()
        }
    }

    private func enqueue(_ batch: HandOffBatch<Item>?) {
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
