import AnalysisCore

/// Non-reentrant procedures (the board's `non_reentrant`, seen through `fn.enter`/`fn.exit`):
/// `reentrancy-violation` when two cores are inside one at once, or a core's interrupt handler
/// enters it while the code it interrupted is inside; `unsynchronized-access` carrying the
/// procedure when two cores' runs of it are not ordered and share no lock (no overlap seen
/// this time, but another timing makes one).
struct ProcedureCheck {
    /// One run of the procedure on one core.
    struct Run {
        var epoch: Epoch
        var locks: [String]
        var stamp: RecordStamp
        /// The core's interrupt depth when it entered: a deeper entry is its own handler.
        var interruptDepth: Int
        var exit: Epoch?
    }

    private struct ProcedureState {
        /// Runs in progress per core number, innermost last (a handler's run above the code it
        /// interrupted). By core number, walked in that order: findings come out the same on every run.
        var open = [[Run]](repeating: [], count: VectorClock.maxCores)
        /// Each core's last finished run.
        var last = [Run?](repeating: nil, count: VectorClock.maxCores)
        var reported: Set<Set<Int>> = []
    }

    static let maxDepth = 64
    private var procedures: [String: ProcedureState] = [:]
    private let watched: Set<String>

    init(board: Board) {
        watched = Set(board.nonReentrant)
    }

    mutating func enter<Sink: FindingSink>(_ name: String, run: Run, core: Int, clock: VectorClock, board: Board,
                                           into sink: inout Sink) {
        guard watched.contains(name) else { return }
        // Taken out while it is worked on: a copy left in the table would be copied on every change.
        var state = procedures.removeValue(forKey: name) ?? ProcedureState()
        defer { procedures[name] = state }
        state.open[core].append(run)
        // Entries whose exits were lost must not pile up: a core is rarely more than a few deep.
        if state.open[core].count > Self.maxDepth { state.open[core].removeFirst() }
        let coreName = board.coreName(core)
        // Inside it on another core right now: the two runs overlap.
        if let other = state.open.indices.first(where: { $0 != core && !state.open[$0].isEmpty }) {
            let inside = state.open[other].last!
            guard state.reported.insert([core, other]).inserted else { return }
            sink.finding(Finding(
                .reentrancyViolation, at: run.stamp.timeNs, record: run.stamp.number,
                "\(coreName) entered \(name) while \(board.coreName(other)) was still inside it (since record "
                    + "\(inside.stamp.number)): \(name) is not re-entrant",
                cores: [board.coreName(other), coreName], procedure: name,
                accesses: [Self.describe(inside, core: other, name, board), Self.describe(run, core: core, name, board)]
            ))
            return
        }
        // Inside it on this core, in code an interrupt handler of this core interrupted.
        let runs = state.open[core]
        if runs.count > 1, let outer = runs.dropLast().last(where: { $0.interruptDepth < run.interruptDepth }) {
            guard state.reported.insert([core]).inserted else { return }
            sink.finding(Finding(
                .reentrancyViolation, at: run.stamp.timeNs, record: run.stamp.number,
                "an interrupt handler on \(coreName) entered \(name) while the code it interrupted was inside it "
                    + "(since record \(outer.stamp.number)): \(name) is not re-entrant",
                cores: [coreName], procedure: name,
                accesses: [Self.describe(outer, core: core, name, board), Self.describe(run, core: core, name, board)]
            ))
            return
        }
        // No overlap: is the other core's last run ordered before this one, or under a common lock?
        for other in state.last.indices where other != core {
            guard let previous = state.last[other] else { continue }
            let ordered = previous.exit.map { $0.happensBefore(clock) } ?? false
            let commonLock = !Set(previous.locks).isDisjoint(with: run.locks)
            guard !ordered, !commonLock, state.reported.insert([core, other]).inserted else { continue }
            sink.finding(Finding(
                .unsynchronizedAccess, at: run.stamp.timeNs, record: run.stamp.number,
                "\(board.coreName(other)) and \(coreName) ran \(name) with nothing ordering the two runs and no lock "
                    + "in common: a different timing makes them overlap, and \(name) is not re-entrant",
                cores: [board.coreName(other), coreName], procedure: name,
                accesses: [Self.describe(previous, core: other, name, board), Self.describe(run, core: core, name, board)]
            ))
        }
    }

    mutating func exit(_ name: String, core: Int, epoch: Epoch) {
        guard watched.contains(name), var runs = procedures[name]?.open[core], var run = runs.popLast() else { return }
        run.exit = epoch
        procedures[name]!.open[core] = runs
        procedures[name]!.last[core] = run
    }

    private static func describe(_ run: Run, core: Int, _ name: String, _ board: Board) -> Finding.Access {
        Finding.Access(core: board.coreName(core), timeNs: run.stamp.timeNs, record: run.stamp.number,
                       action: run.interruptDepth > 0 ? "fn.enter \(name) in an interrupt handler" : "fn.enter \(name)",
                       locksHeld: run.locks)
    }
}
