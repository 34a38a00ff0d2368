import AnalysisCore

/// Shared data regions (`mem.read`/`mem.write`): `data-race` in FastTrack's sense (write-write
/// and read-write pairs neither ordered by happens-before nor under a common lock; reads never
/// race with reads), `owner-violation` for a write by a core the board does not let write it,
/// and `readonly-write` for a write to read-only data after the capture's first `init.done`.
///
/// Per region the state is bounded by the number of cores: the last write, and each core's
/// last read since that write (the read set, dropped at every write).
struct RegionCheck {
    struct Use {
        var core: Int
        var epoch: Epoch
        var locks: [String]
        var stamp: RecordStamp
        var isWrite: Bool
    }

    private struct RegionState {
        var lastWrite: Use?
        var reads: [Use] = []
        var reportedRaces: Set<Set<Int>> = []
        var reportedOwners: Set<Int> = []
        var reportedReadonly = false
    }

    private var regions: [String: RegionState] = [:]
    let maxRegions: Int
    private(set) var reachedCap = false
    /// Set by the capture's first `init.done`, on any core.
    var initialised = false

    init(maxRegions: Int) {
        self.maxRegions = maxRegions
    }

    mutating func access<Sink: FindingSink>(_ name: String, use: Use, clock: VectorClock, board: Board,
                                            into sink: inout Sink) {
        if regions[name] == nil {
            guard regions.count < maxRegions else {
                reachedCap = true
                return
            }
            regions[name] = RegionState()
        }
        var state = regions.removeValue(forKey: name)!
        defer { regions[name] = state }
        let declared = board.region(named: name)
        let coreName = board.coreName(use.core)
        if use.isWrite {
            if let declared, declared.readonlyAfterInit, initialised, !state.reportedReadonly {
                state.reportedReadonly = true
                sink.finding(Finding(
                    .readonlyWrite, at: use.stamp.timeNs, record: use.stamp.number,
                    "\(coreName) wrote \(name), which the board declares read-only once initialisation is done "
                        + "(the capture's first init.done came before)",
                    cores: [coreName], region: name, accesses: [Self.describe(use, name, board)]
                ))
            }
            if let owner = declared?.owner, owner != use.core, state.reportedOwners.insert(use.core).inserted {
                sink.finding(Finding(
                    .ownerViolation, at: use.stamp.timeNs, record: use.stamp.number,
                    "\(coreName) wrote \(name), which only \(board.coreName(owner)) may write",
                    cores: [coreName], region: name, accesses: [Self.describe(use, name, board)]
                ))
            }
            var earlier = state.reads
            if let write = state.lastWrite { earlier.append(write) }
            for other in earlier where other.core != use.core {
                checkRace(other, use, name, declared, clock, board, &state, into: &sink)
            }
            state.lastWrite = use
            state.reads = []
        } else {
            if let write = state.lastWrite, write.core != use.core {
                checkRace(write, use, name, declared, clock, board, &state, into: &sink)
            }
            state.reads.removeAll { $0.core == use.core }
            state.reads.append(use)
        }
    }

    private func checkRace<Sink: FindingSink>(
        _ earlier: Use, _ later: Use, _ name: String, _ declared: Board.Region?, _ clock: VectorClock, _ board: Board,
        _ state: inout RegionState, into sink: inout Sink
    ) {
        guard !earlier.epoch.happensBefore(clock), Set(earlier.locks).isDisjoint(with: later.locks),
              state.reportedRaces.insert([earlier.core, later.core]).inserted else { return }
        let kinds = earlier.isWrite && later.isWrite ? "wrote" : earlier.isWrite ? "wrote and read" : "read and wrote"
        var message = "\(board.coreName(earlier.core)) and \(board.coreName(later.core)) \(kinds) \(name) with nothing "
            + "ordering the two and no lock in common"
        var lock: String?
        if let agreed = declared?.lock {
            lock = agreed
            let without = [earlier, later].filter { !$0.locks.contains(agreed) }.map { board.coreName($0.core) }
            message += ": \(without.joined(separator: " and ")) did not hold its lock \(agreed)"
        }
        sink.finding(Finding(
            .dataRace, at: later.stamp.timeNs, record: later.stamp.number, message,
            cores: [board.coreName(earlier.core), board.coreName(later.core)], lock: lock, region: name,
            accesses: [Self.describe(earlier, name, board), Self.describe(later, name, board)]
        ))
    }

    private static func describe(_ use: Use, _ name: String, _ board: Board) -> Finding.Access {
        Finding.Access(core: board.coreName(use.core), timeNs: use.stamp.timeNs, record: use.stamp.number,
                       action: "\(use.isWrite ? "mem.write" : "mem.read") \(name)", locksHeld: use.locks)
    }
}
