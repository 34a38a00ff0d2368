import AnalysisCore
import MessagePack
import RPC
import Testing
@testable import Replay

struct ReplayEngineTests {
    let long0 = "core0: " + String(repeating: "a", count: 60) + "\n"
    let long1 = "core1: " + String(repeating: "b", count: 60) + "\n"

    @Test func twoCoresPushingAtOnceInterleaveOnTheWire() throws {
        var r = Replayer()
        r.uart(0, long0, at: 1000)
        r.uart(1, long1, at: 1100)
        let findings = r.finish()
        #expect(findings.rules == ["device-overlap"])
        let overlap = try #require(findings.all.first)
        #expect(overlap.timeNs == 1_100_000)
        #expect(overlap.device == "UART0")
        #expect(overlap.accesses.map(\.core) == ["core0", "core1"])
        #expect(overlap.accesses.map(\.record) == [1, 2])
        let wire = try #require(overlap.wire)
        // Every byte of both lines left, and each writer's bytes kept their own order.
        #expect(wire.bytes.count == long0.utf8.count + long1.utf8.count)
        let fromCore0 = zip(wire.bytes, wire.writers).filter { $0.1 == "core0" }.map(\.0)
        let fromCore1 = zip(wire.bytes, wire.writers).filter { $0.1 == "core1" }.map(\.0)
        #expect(fromCore0 == Array(long0.utf8))
        #expect(fromCore1 == Array(long1.utf8))
        // Once both wait for FIFO space they take freed slots in turn.
        #expect(wire.writers.contains { $0 == "core1" })
        let switches = zip(wire.writers, wire.writers.dropFirst()).filter { $0 != $1 }.count
        #expect(switches > 10)
        #expect(overlap.endNs! > overlap.timeNs)
    }

    @Test func theLineTakesFrameBitsOverBaudPerByte() {
        #expect(Board.rp2040.channel(.uart, 0)?.byteTimeNs == 86_806)
        #expect(Board.parseFrame("8N1") == 10)
        #expect(Board.parseFrame("8E2") == 12)
        #expect(Board.parseFrame("9X1") == nil)
    }

    /// Both cores print a 68-byte line under spinlock 3; core 0 releases the lock at `release`
    /// and core 1 takes it 10 µs later.
    func printUnderLock(releasingAt release: Int64) -> [String] {
        var r = Replayer()
        r.trace(0, "lock.acquire", [.uint(3)], at: 1000)
        r.uart(0, long0, at: 1001)
        r.trace(0, "lock.release", [.uint(3)], at: release)
        r.trace(1, "lock.acquire", [.uint(3)], at: release + 10)
        r.uart(1, long1, at: release + 11)
        r.trace(1, "lock.release", [.uint(3)], at: release + 5000)
        return r.finish().rules
    }

    @Test func bytesQueuedBehindALockedWriterAreNotAnOverlap() {
        // 68 bytes: 35 wait for space and enter one per byte time (86.8 µs), the last at about
        // 4039 µs, when uart_puts returns; the lock is released after that.
        #expect(printUnderLock(releasingAt: 4100).isEmpty)
    }

    @Test func aRaceWithoutCollisionIsUnsynchronizedAccess() throws {
        var r = Replayer()
        r.uart(0, "tick\n", at: 1000)
        r.uart(1, "tock\n", at: 5000)
        let findings = r.finish()
        #expect(findings.rules == ["unsynchronized-access"])
        #expect(findings.all[0].accesses.map(\.locksHeld) == [[], []])
    }

    @Test func aMessageBetweenTheCoresOrdersTheirAccesses() {
        var r = Replayer()
        r.uart(0, "tick\n", at: 1000)
        r.mailbox(0, 1, bytes: 4, at: 1010)
        r.mailbox(0, 1, bytes: 4, rx: true, at: 1020)
        r.uart(1, "tock\n", at: 5000)
        #expect(r.finish().rules.isEmpty)
    }

    @Test func anEventBeforeTheDeliveryIsNotOrderedByTheMessage() {
        // Once a direction has shown its receiver side, a message is delivered when it is popped:
        // core1's write before the pop races. (Before the first pop is seen, a message is taken
        // as delivered when sent, which can hide a race but never invents one.)
        var r = Replayer()
        r.mailbox(0, 1, bytes: 4, at: 1)
        r.mailbox(0, 1, bytes: 4, rx: true, at: 2)
        r.uart(0, "tick\n", at: 1000)
        r.mailbox(0, 1, bytes: 4, at: 1010)
        r.uart(1, "tock\n", at: 3000)
        r.mailbox(0, 1, bytes: 4, rx: true, at: 4000)
        #expect(r.finish().rules == ["unsynchronized-access"])
    }

    @Test func aCommonLockKeepsAccessesApart() {
        var r = Replayer()
        r.trace(0, "lock.acquire", [.uint(3)], at: 10)
        r.trace(0, "dev.begin", [.string("SPI0")], at: 11)
        r.trace(0, "dev.end", [.string("SPI0")], at: 12)
        r.trace(0, "lock.release", [.uint(3)], at: 13)
        r.trace(1, "lock.acquire", [.uint(3)], at: 20)
        r.trace(1, "dev.begin", [.string("SPI0")], at: 21)
        r.trace(1, "dev.end", [.string("SPI0")], at: 22)
        r.trace(1, "lock.release", [.uint(3)], at: 23)
        #expect(r.finish().rules.isEmpty)
    }

    @Test func theCoreStartOrdersEverythingBeforeIt() {
        var r = Replayer()
        r.uart(0, "boot\n", at: 10)
        r.trace(0, "init.done", at: 100)
        r.trace(0, "core.start", [.uint(1)], at: 110)
        r.uart(1, "hello\n", at: 5000)
        #expect(r.finish().rules.isEmpty)
    }

    @Test func fifoOccupancyCountsWordsOfTheBoardsSize() {
        var r = Replayer()
        for i in 0..<9 { r.mailbox(0, 1, bytes: 4, at: Int64(i)) }
        r.mailbox(0, 1, bytes: 4, rx: true, at: 50)
        let findings = r.finish()
        #expect(findings.rules == ["fifo-overflow"])
        #expect(findings.all[0].record == 9)
        // Without any receiver-side record nothing is known of pops: no finding.
        var blind = Replayer()
        for i in 0..<20 { blind.mailbox(0, 1, bytes: 4, at: Int64(i)) }
        #expect(blind.finish().rules.isEmpty)
    }

    @Test func aRecordLongerThanTheFIFOIsNoEvidenceOfOverflow() {
        // 9 words pushed as one record on an empty 8-word FIFO and popped 2 µs later: the ninth
        // push waited for space.
        var r = Replayer()
        r.mailbox(0, 1, bytes: 36, at: 0)
        r.mailbox(0, 1, bytes: 36, rx: true, at: 2)
        #expect(r.finish().rules.isEmpty)
        // Two such records back to back, each popped before the next starts: still none.
        var twice = Replayer()
        twice.mailbox(0, 1, bytes: 36, at: 0)
        twice.mailbox(0, 1, bytes: 36, rx: true, at: 2)
        twice.mailbox(0, 1, bytes: 36, at: 20)
        twice.mailbox(0, 1, bytes: 36, rx: true, at: 22)
        #expect(twice.finish().rules.isEmpty)
    }

    @Test func morePushedThanPoppedAndHeldIsAnOverflowAtTheEnd() throws {
        // 12 words in, 3 out: the FIFO holds 8 at most, so at least one word was dropped.
        var r = Replayer()
        r.mailbox(0, 1, bytes: 48, at: 0)
        r.mailbox(0, 1, bytes: 12, rx: true, at: 5)
        let findings = r.finish()
        #expect(findings.rules == ["fifo-overflow"])
        let finding = try #require(findings.all.first)
        #expect(finding.message.contains("at least 1 word was dropped"))
        #expect(finding.record == 1)
        // Still in the FIFO at the end, within its depth: none.
        var inFlight = Replayer()
        inFlight.mailbox(0, 1, bytes: 32, at: 0)
        inFlight.mailbox(0, 1, bytes: 4, rx: true, at: 5)
        #expect(inFlight.finish().rules.isEmpty)
    }

    @Test func oversizedMessagesAgainstTheChannelLimit() {
        var r = Replayer(board: .gigaR1)
        r.message(0, 1, bytes: 496, at: 1)
        r.message(0, 1, bytes: 497, at: 2)
        let findings = r.finish()
        #expect(findings.rules == ["oversized-message"])
        #expect(findings.all[0].bytes == 497)
        #expect(findings.all[0].channel == "rpc")
    }

    @Test func locksMisusedAndTakenInOppositeOrders() {
        var r = Replayer()
        r.trace(0, "lock.acquire", [.uint(1)], at: 1)
        r.trace(0, "lock.acquire", [.uint(2)], at: 2)
        r.trace(0, "lock.release", [.uint(2)], at: 3)
        r.trace(0, "lock.release", [.uint(1)], at: 4)
        r.trace(1, "lock.acquire", [.uint(2)], at: 5)
        r.trace(1, "lock.acquire", [.uint(1)], at: 6)
        r.trace(0, "lock.release", [.uint(1)], at: 7)
        let findings = r.finish()
        // core0 releases lock 1 that core1 holds; lock 2 is still held at the end. A lock released
        // by the wrong core counts as released.
        #expect(findings.rules.sorted() == ["lock-misuse", "lock-misuse", "lock-order-inversion"])
        #expect(findings.all.first { $0.rule == .lockOrderInversion }?.accesses.count == 2)
    }

    @Test func lifecycleChecks() {
        var r = Replayer()
        r.trace(0, "core.start", [.uint(1)], at: 1)
        r.trace(0, "init.done", at: 2)
        r.trace(1, "heap.lock", at: 3)
        r.trace(1, "heap.alloc", [.uint(8)], at: 4)
        r.trace(0, "irq.enter", [.string("USB")], at: 5)
        r.trace(0, "heap.alloc", [.uint(8)], at: 6)
        r.trace(0, "irq.exit", [.string("USB")], at: 7)
        r.trace(0, "heap.alloc", [.uint(8)], at: 8)
        #expect(r.finish().rules == ["early-core-start", "heap-after-lock", "alloc-in-interrupt"])
    }

    @Test func withoutInitDoneEventsAnEarlyStartCannotBeJudged() {
        var r = Replayer()
        r.trace(0, "core.start", [.uint(1)], at: 1)
        #expect(r.finish().rules.isEmpty)
    }

    @Test func callsHoldTheirMethodsDevicesOnTheCallee() {
        var r = Replayer(board: .gigaR1)
        // The M4 serves servo_write from 100 to 300 µs; the M7 touching the Servo meanwhile
        // both overlaps the call and breaks ownership.
        r.trace(0, "dev.begin", [.string("Servo")], at: 150)
        r.trace(0, "dev.end", [.string("Servo")], at: 160)
        let method = r.number(of: "servo_write")
        r.feed(.callEnded(CallEvent(sequence: 0, method: method, msgid: 1, caller: 0, callee: 1,
                                    request: RecordStamp(number: 1, timeNs: 100_000),
                                    response: RecordStamp(number: 5, timeNs: 300_000))))
        #expect(r.finish().rules.sorted() == ["device-overlap", "owner-violation"])
    }

    @Test func vectorClocksJoinAndOrder() {
        var a = VectorClock(), b = VectorClock()
        a.tick(0)
        let epoch = Epoch(core: 0, tick: a[0])
        #expect(!epoch.happensBefore(b))
        b.join(a)
        #expect(epoch.happensBefore(b))
        a.tick(0)
        #expect(!Epoch(core: 0, tick: a[0]).happensBefore(b))
    }
}

extension ReplayEngineTests {
    @Test func releasingTheLockWhileStillPushingStillOverlaps() {
        // The same program with the lock released too early, 35 bytes still waiting: core 1's
        // bytes interleave with core 0's tail.
        #expect(printUnderLock(releasingAt: 3000) == ["device-overlap"])
    }
}
