import AnalysisCore

/// Start-up, heaps and interrupts per core: `early-core-start`, `heap-after-lock` and
/// `alloc-in-interrupt`. Captures without these trace events raise nothing.
struct CoreLifecycleCheck {
    private struct CoreState {
        var initDone = false
        var firstActivity: RecordStamp?
        var startedBy: (core: Int, stamp: RecordStamp)?
        var heapLockedAt: RecordStamp?
        var interruptDepth = 0
        var currentInterrupt: String?
        var reportedHeap = false
        var reportedInterrupt = false
    }

    private var cores: [Int: CoreState] = [:]
    /// `core.start` events whose starter had not finished initialisation yet: reported if its
    /// `init.done` shows up later (a capture that never records `init.done` raises nothing).
    private var startsBeforeInit: [(starter: Int, started: Int, stamp: RecordStamp)] = []

    /// Any event of `core` (a trace event or a record it sent).
    mutating func activity(core: Int, at stamp: RecordStamp) {
        if cores[core]?.firstActivity == nil { cores[core, default: CoreState()].firstActivity = stamp }
    }

    mutating func coreStart<Sink: FindingSink>(starter: Int, started: Int, at stamp: RecordStamp, board: Board,
                                               into sink: inout Sink) {
        if !(cores[starter]?.initDone ?? false) {
            startsBeforeInit.append((starter, started, stamp))
        }
        if let early = cores[started]?.firstActivity, early.number < stamp.number {
            sink.finding(Finding(
                .earlyCoreStart, at: early.timeNs, record: early.number,
                "\(board.coreName(started)) was active at record \(early.number), before \(board.coreName(starter)) "
                    + "started it at record \(stamp.number)",
                cores: [board.coreName(started), board.coreName(starter)], endNs: stamp.timeNs
            ))
        }
        cores[started, default: CoreState()].startedBy = (starter, stamp)
    }

    mutating func initDone<Sink: FindingSink>(core: Int, at stamp: RecordStamp, board: Board, into sink: inout Sink) {
        cores[core, default: CoreState()].initDone = true
        for early in startsBeforeInit where early.starter == core {
            sink.finding(Finding(
                .earlyCoreStart, at: early.stamp.timeNs, record: early.stamp.number,
                "\(board.coreName(core)) started \(board.coreName(early.started)) at record \(early.stamp.number), "
                    + "before its own initialisation finished (init.done at record \(stamp.number))",
                cores: [board.coreName(core), board.coreName(early.started)], endNs: stamp.timeNs
            ))
        }
        startsBeforeInit.removeAll { $0.starter == core }
    }

    mutating func heapLock(core: Int, at stamp: RecordStamp) {
        if cores[core]?.heapLockedAt == nil { cores[core, default: CoreState()].heapLockedAt = stamp }
    }

    mutating func allocation<Sink: FindingSink>(core: Int, bytes: Int?, at stamp: RecordStamp, board: Board,
                                                into sink: inout Sink) {
        let state = cores[core] ?? CoreState()
        let size = bytes.map { "\($0) bytes" } ?? "memory"
        if let locked = state.heapLockedAt, !state.reportedHeap {
            cores[core, default: CoreState()].reportedHeap = true
            sink.finding(Finding(
                .heapAfterLock, at: stamp.timeNs, record: stamp.number,
                "\(board.coreName(core)) allocated \(size) after locking its heap at record \(locked.number)",
                cores: [board.coreName(core)], bytes: bytes
            ))
        }
        if state.interruptDepth > 0, !state.reportedInterrupt {
            cores[core, default: CoreState()].reportedInterrupt = true
            sink.finding(Finding(
                .allocInInterrupt, at: stamp.timeNs, record: stamp.number,
                "\(board.coreName(core)) allocated \(size) inside interrupt handler \(state.currentInterrupt ?? "?")",
                cores: [board.coreName(core)], bytes: bytes
            ))
        }
    }

    /// The interrupt handler the core is in, if any (the innermost).
    func interrupt(of core: Int) -> (depth: Int, name: String?) {
        let state = cores[core]
        return (state?.interruptDepth ?? 0, state?.currentInterrupt)
    }

    mutating func interrupt(core: Int, irq: String, entering: Bool) {
        var state = cores[core] ?? CoreState()
        if entering {
            state.interruptDepth += 1
            state.currentInterrupt = irq
        } else {
            state.interruptDepth = max(0, state.interruptDepth - 1)
            if state.interruptDepth == 0 { state.currentInterrupt = nil }
        }
        cores[core] = state
    }
}
