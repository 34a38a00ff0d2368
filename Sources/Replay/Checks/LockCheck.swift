import AnalysisCore

/// Locks (spinlocks, hardware semaphores, mutexes) from `lock.acquire` and `lock.release`:
/// who holds what, the happens-before a release gives the next acquire, `lock-misuse` and
/// `lock-order-inversion`.
struct LockCheck {
    private struct LockState {
        var holder: Int?
        var acquiredAt = RecordStamp(number: 0, timeNs: 0)
        /// The releasing core's clock, handed to the next acquirer.
        var releaseClock: VectorClock?
    }

    private var locks: [String: LockState] = [:]
    /// Locks each core holds, in the order it took them (each once).
    private(set) var held: [Int: [String]] = [:]
    /// "A then B" orders seen, with the core and record that showed them first.
    private var orders: [String: [String: (core: Int, stamp: RecordStamp)]] = [:]
    private var orderCount = 0
    private var reportedInversions: Set<Set<String>> = []
    /// Locks tracked at most; a lock past it is not tracked.
    let maxLocks: Int
    /// "A then B" pairs remembered at most.
    var maxOrders: Int { maxLocks * 16 }
    /// An acquire is ordered after this many of the locks its core holds, the latest: deeper
    /// nesting than that is rare, and ordering against every held lock makes a core that never
    /// releases cost time and memory in the square of its locks.
    static let orderedAgainst = 16
    /// Set when a lock or an order was not tracked for a cap; the engine reports it.
    private(set) var reachedLockCap = false
    private(set) var reachedOrderCap = false

    init(maxLocks: Int = 4_096) {
        self.maxLocks = maxLocks
    }

    func locksHeld(by core: Int) -> [String] { held[core] ?? [] }

    /// Returns the clock the acquirer must join (the last release of the lock), if any.
    mutating func acquire<Sink: FindingSink>(
        _ lock: String, core: Int, at stamp: RecordStamp, board: Board, into sink: inout Sink
    ) -> VectorClock? {
        if locks[lock] == nil, locks.count >= maxLocks {
            reachedLockCap = true
            return nil
        }
        let before = held[core] ?? []
        for earlier in before.suffix(Self.orderedAgainst) where earlier != lock {
            if orders[earlier]?[lock] == nil {
                guard orderCount < maxOrders else {
                    reachedOrderCap = true
                    continue
                }
                orderCount += 1
                orders[earlier, default: [:]][lock] = (core, stamp)
            }
            if let opposite = orders[lock]?[earlier], opposite.core != core,
               !reportedInversions.contains([lock, earlier]) {
                reportedInversions.insert([lock, earlier])
                sink.finding(Finding(
                    .lockOrderInversion, at: stamp.timeNs, record: stamp.number,
                    "\(board.coreName(opposite.core)) took lock \(lock) then \(earlier), \(board.coreName(core)) took "
                        + "\(earlier) then \(lock): if each holds its first lock while waiting for its second, both wait forever",
                    cores: [board.coreName(opposite.core), board.coreName(core)], lock: "\(earlier), \(lock)",
                    accesses: [
                        Finding.Access(core: board.coreName(opposite.core), timeNs: opposite.stamp.timeNs,
                                       record: opposite.stamp.number, action: "acquired \(earlier) holding \(lock)",
                                       locksHeld: [lock]),
                        Finding.Access(core: board.coreName(core), timeNs: stamp.timeNs, record: stamp.number,
                                       action: "acquired \(lock) holding \(earlier)", locksHeld: before),
                    ]
                ))
            }
        }
        if !before.contains(lock) { held[core, default: []].append(lock) }
        locks[lock, default: LockState()].holder = core
        locks[lock]!.acquiredAt = stamp
        return locks[lock]?.releaseClock
    }

    mutating func release<Sink: FindingSink>(
        _ lock: String, core: Int, clock: VectorClock, at stamp: RecordStamp, board: Board, into sink: inout Sink
    ) {
        guard locks[lock] != nil || locks.count < maxLocks else {
            reachedLockCap = true
            return
        }
        let holder = locks[lock]?.holder
        if holder != core {
            let why = holder.map { "it is held by \(board.coreName($0)) (since record \(locks[lock]!.acquiredAt.number))" }
                ?? "it is not held"
            sink.finding(Finding(
                .lockMisuse, at: stamp.timeNs, record: stamp.number,
                "\(board.coreName(core)) released lock \(lock), but \(why)",
                cores: [board.coreName(core)] + (holder.map { [board.coreName($0)] } ?? []), lock: lock
            ))
        }
        if let holder { held[holder]?.removeAll { $0 == lock } }
        held[core]?.removeAll { $0 == lock }
        locks[lock, default: LockState()].holder = nil
        locks[lock]!.releaseClock = clock
    }

    /// Locks still held when the capture ends.
    func finish<Sink: FindingSink>(at timeNs: Int64, board: Board, into sink: inout Sink) {
        for (lock, state) in locks.sorted(by: { $0.key < $1.key }) {
            guard let holder = state.holder else { continue }
            sink.finding(Finding(
                .lockMisuse, at: state.acquiredAt.timeNs, record: state.acquiredAt.number,
                "\(board.coreName(holder)) still held lock \(lock) when the capture ended (acquired at record \(state.acquiredAt.number))",
                cores: [board.coreName(holder)], endNs: timeNs, lock: lock
            ))
        }
    }
}
