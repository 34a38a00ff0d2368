import AnalysisCore
import MessagePack
import RPC
import Testing
@testable import Replay

/// The seven rules added with fn.*, mem.*, board regions, non_reentrant and budgets.
struct TwoCoreRulesTests {
    static let board: Board = {
        var board = Board.rp2040
        board.nonReentrant = ["format_line"]
        board.regions = [Board.Region(name: "motor_state", lock: "5"), Board.Region(name: "config", readonlyAfterInit: true),
                         Board.Region(name: "rx_buffer", owner: 1)]
        board.methodBudgetsNs = ["servo_write": 2_000_000]
        return board
    }()

    func replayer() -> Replayer { Replayer(board: Self.board) }

    // MARK: Re-entrancy

    @Test func overlappingRunsOnTwoCoresAreAReentrancyViolation() {
        var r = replayer()
        r.trace(0, "fn.enter", [.string("format_line")], at: 100)
        r.trace(1, "fn.enter", [.string("format_line")], at: 120)
        r.trace(0, "fn.exit", [.string("format_line")], at: 130)
        r.trace(1, "fn.exit", [.string("format_line")], at: 140)
        let found = r.finish().all
        #expect(found.map(\.rule) == [.reentrancyViolation])
        #expect(found.first?.procedure == "format_line" && found.first?.accesses.count == 2)
    }

    @Test func runsOrderedByALockOrAMessageAreFineAndUnlistedProceduresAreNotWatched() {
        var r = replayer()
        r.trace(0, "fn.enter", [.string("format_line")], at: 100)
        r.trace(0, "fn.exit", [.string("format_line")], at: 110)
        r.mailbox(0, 1, bytes: 4, at: 120)
        r.mailbox(0, 1, bytes: 4, rx: true, at: 121)
        r.trace(1, "fn.enter", [.string("format_line")], at: 130)
        r.trace(1, "fn.exit", [.string("format_line")], at: 140)
        r.trace(0, "fn.enter", [.string("log_value")], at: 200)
        r.trace(1, "fn.enter", [.string("log_value")], at: 201)
        #expect(r.finish().rules.isEmpty)
    }

    @Test func unorderedRunsWithoutALockAreUnsynchronizedAccessCarryingTheProcedure() {
        var r = replayer()
        r.trace(0, "fn.enter", [.string("format_line")], at: 100)
        r.trace(0, "fn.exit", [.string("format_line")], at: 110)
        r.trace(1, "fn.enter", [.string("format_line")], at: 130)
        r.trace(1, "fn.exit", [.string("format_line")], at: 140)
        let found = r.finish().all
        #expect(found.map(\.rule) == [.unsynchronizedAccess])
        #expect(found.first?.procedure == "format_line" && found.first?.device == nil)
    }

    @Test func anInterruptHandlerEnteringWhatItInterruptedIsAViolationPlainRecursionIsNot() {
        var r = replayer()
        r.trace(0, "fn.enter", [.string("format_line")], at: 100)
        r.trace(0, "fn.enter", [.string("format_line")], at: 105)
        r.trace(0, "fn.exit", [.string("format_line")], at: 106)
        #expect(r.findings.all.isEmpty, "recursion on one core, no interrupt: not a concurrency problem")
        r.trace(0, "irq.enter", [.uint(20)], at: 110)
        r.trace(0, "fn.enter", [.string("format_line")], at: 111)
        let found = r.finish().all
        #expect(found.map(\.rule) == [.reentrancyViolation])
        #expect(found.first?.cores == ["core0"])
    }

    // MARK: Shared data

    @Test func fastTrackPairsRaceReadsDoNot() {
        var r = replayer()
        r.trace(0, "mem.read", [.string("motor_state")], at: 100)
        r.trace(1, "mem.read", [.string("motor_state")], at: 101)
        #expect(r.findings.all.isEmpty, "read-read never races")
        r.trace(1, "mem.write", [.string("motor_state")], at: 102)
        let found = r.finish().all
        #expect(found.map(\.rule) == [.dataRace])
        #expect(found.first?.region == "motor_state" && found.first?.lock == "5")
        #expect(found.first?.message.contains("did not hold its lock 5") == true)
    }

    @Test func theRegionsLockOrAHappensBeforeEdgeOrdersUses() {
        var r = replayer()
        for (core, at) in [(0, Int64(100)), (1, 200), (0, 300)] {
            r.trace(core, "lock.acquire", [.uint(5)], at: at)
            r.trace(core, "mem.write", [.string("motor_state")], at: at + 1)
            r.trace(core, "lock.release", [.uint(5)], at: at + 2)
        }
        r.trace(1, "mem.write", [.string("rx_buffer")], at: 400)
        r.mailbox(1, 0, bytes: 4, at: 401)
        r.mailbox(1, 0, bytes: 4, rx: true, at: 402)
        r.trace(0, "mem.read", [.string("rx_buffer")], at: 403)
        #expect(r.finish().rules.isEmpty)
    }

    @Test func writeAfterWriteOnAnotherCoreWithoutOrderRaces() {
        var r = replayer()
        r.trace(0, "mem.write", [.string("scratch")], at: 100)
        r.trace(1, "mem.write", [.string("scratch")], at: 200)
        r.trace(1, "mem.write", [.string("scratch")], at: 300)
        let found = r.finish().all
        #expect(found.map(\.rule) == [.dataRace], "reported once per pair of cores")
        #expect(found.first?.lock == nil, "an undeclared region has no agreed lock")
    }

    @Test func readOnlyAfterTheFirstInitDoneAndOwnersOfRegions() {
        var r = replayer()
        r.trace(0, "mem.write", [.string("config")], at: 10)
        r.trace(0, "init.done", at: 20)
        r.trace(0, "core.start", [.uint(1)], at: 30)
        r.trace(1, "mem.read", [.string("config")], at: 40)
        #expect(r.findings.all.isEmpty)
        r.trace(0, "mem.write", [.string("config")], at: 50)
        r.trace(0, "mem.write", [.string("rx_buffer")], at: 60)
        let found = r.finish().all
        #expect(found.map(\.rule).sorted { $0.rawValue < $1.rawValue } == [.dataRace, .ownerViolation, .readonlyWrite])
        #expect(found.first { $0.rule == .ownerViolation }?.region == "rx_buffer")
    }

    // MARK: Calls

    @Test func aHandlerCallingBackIsNestedAndStaysADeadlockWhenNeitherReturns() {
        var r = replayer()
        r.call("read_sensor", msgid: 7, from: 0, to: 1, at: 100, answered: nil)
        r.call("log_line", msgid: 1, from: 1, to: 0, at: 120, answered: nil)
        let found = r.finish().all
        #expect(found.map(\.rule) == [.nestedCall, .rpcDeadlock])
        let deadlock = found.last!
        #expect(deadlock.calls.map(\.method) == ["read_sensor", "log_line"])
        #expect(deadlock.calls.map(\.msgid) == [7, 1])
        #expect(found.first?.calls.map(\.method) == ["read_sensor", "log_line"])
    }

    @Test func aNestedCallThatReturnsIsOnlyNestedAndSequentialCallsAreNothing() {
        var r = replayer()
        r.call("read_sensor", msgid: 7, from: 0, to: 1, at: 100, answered: 300)
        r.call("now_ms", msgid: 1, from: 1, to: 0, at: 120, answered: 150)
        r.endCalls(through: 300)
        r.call("read_sensor", msgid: 8, from: 0, to: 1, at: 400, answered: 450)
        r.endCalls(through: 450)
        r.call("now_ms", msgid: 2, from: 1, to: 0, at: 500, answered: 520)
        #expect(r.finish().rules == ["nested-call"])
    }

    @Test func aCycleThroughThreeCoresIsOneDeadlock() {
        var board = Board.rp2040
        board.cores.append(Board.Core(number: 2, name: "core2", clockHz: 0))
        var r = Replayer(board: board)
        r.call("a", msgid: 1, from: 0, to: 1, at: 100, answered: nil)
        r.call("b", msgid: 1, from: 1, to: 2, at: 110, answered: nil)
        r.call("c", msgid: 1, from: 2, to: 0, at: 120, answered: nil)
        let deadlocks = r.finish().all.filter { $0.rule == .rpcDeadlock }
        #expect(deadlocks.count == 1)
        #expect(Set(deadlocks.first?.cores ?? []) == ["core0", "core1", "core2"])
        #expect(deadlocks.first?.calls.count == 3)
    }

    @Test func aCallFromAnInterruptHandler() {
        var r = replayer()
        r.trace(0, "irq.enter", [.string("TIMER0")], at: 100)
        r.call("servo_write", msgid: 1, from: 0, to: 1, at: 110, answered: 150)
        r.trace(0, "irq.exit", [.string("TIMER0")], at: 160)
        r.call("servo_write", msgid: 2, from: 0, to: 1, at: 200, answered: 250)
        let found = r.finish().all
        #expect(found.map(\.rule) == [.callInInterrupt])
        #expect(found.first?.message.contains("TIMER0") == true && found.first?.method == "servo_write")
    }

    @Test func slowCallsAreFindingsUpToTenThenCounted() {
        var r = replayer()
        for i in 0..<15 {
            let start = Int64(i) * 10_000
            r.call("servo_write", msgid: UInt64(i), from: 0, to: 1, at: start, answered: start + (i % 3 == 0 ? 2_000 : 2_001))
        }
        let slow = r.finish().all.filter { $0.rule == .slowCall }
        #expect(slow.count == 10, "exactly the budget is not over it")
        #expect(r.engine.overBudget["servo_write"] == 10)
        #expect(slow.last?.message.contains("further slow calls") == true)
    }
}
