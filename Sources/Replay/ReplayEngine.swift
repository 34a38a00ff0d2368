import AnalysisCore
import MessagePack
import RPC

/// The board model the capture is replayed into: events arrive in capture order, each core
/// keeps a vector clock and its held locks, and the checks turn what they see into findings.
public struct ReplayEngine {
    public let board: Board
    // Per-core state inline (VectorClock.maxCores is 8): no array to check for sharing on
    // every record's tick.
    private var clocks = InlineArray<8, VectorClock>(repeating: VectorClock())
    private var ordering = MessageOrdering()
    private var mailboxes = MailboxCheck()
    private var devices: DeviceAccessCheck
    private var locks: LockCheck
    private let caps: AnalysisCaps
    private var capsReached = CapsReached()
    /// Lock orders fall under the replay-objects cap but are told apart in their own finding.
    private var reportedLockOrders = false
    private var lifecycle = CoreLifecycleCheck()
    private var procedures: ProcedureCheck
    private var regions: RegionCheck
    private var calls: CallCheck
    /// Each core's interrupt depth, kept beside the lifecycle check so that every call can ask.
    private var interruptDepth = InlineArray<8, Int>(repeating: 0)
    private var uarts: [Int: UARTLine] = [:]
    private var lastTimeNs: Int64 = 0
    /// What the per-record path needs of each channel, resolved once: indexed by kind * 256 + number.
    private var traits: [ChannelTraits]
    /// Cores whose first activity has been noted.
    private var active = InlineArray<8, Bool>(repeating: false)

    /// The numbers the per-record path reads, without the channel's names.
    private struct ChannelTraits {
        var resolved = false
        var known = false
        var maxMessage = Int.max
        /// Mailbox FIFO depth in words (0: not checked) and bytes per word.
        var fifoDepth = 0
        var wordSize = 4
        /// A point-to-point link (`link` in the board): no shared device.
        var isLink = false
    }

    public init(board: Board, caps: AnalysisCaps = AnalysisCaps()) {
        self.board = board
        self.caps = caps
        devices = DeviceAccessCheck(maxDevices: caps.replayObjects)
        ordering.maxWaiting = caps.replayMessages
        locks = LockCheck(maxLocks: caps.replayObjects)
        procedures = ProcedureCheck(board: board)
        regions = RegionCheck(maxRegions: caps.replayObjects)
        calls = CallCheck(maxUnanswered: caps.replayObjects, board: board)
        traits = Array(repeating: ChannelTraits(), count: 3 * 256)
    }

    private static func slot(_ kind: Board.ChannelKind, _ number: Int) -> Int {
        let base = switch kind {
        case .mailbox: 0
        case .message: 256
        case .uart: 512
        }
        return base + (number & 0xFF)
    }

    @inline(__always)
    private mutating func traits(_ kind: Board.ChannelKind, _ number: Int) -> ChannelTraits {
        let slot = Self.slot(kind, number)
        let known = traits[slot]
        return known.resolved ? known : resolveTraits(kind, number, slot: slot)
    }

    /// A channel's first record: what the board says of it, kept for the next.
    @inline(never)
    private mutating func resolveTraits(_ kind: Board.ChannelKind, _ number: Int, slot: Int) -> ChannelTraits {
        var resolved = ChannelTraits(resolved: true)
        if let channel = board.channel(kind, number) {
            resolved.known = true
            resolved.maxMessage = channel.maxMessage ?? .max
            resolved.fifoDepth = channel.fifoDepth ?? 0
            resolved.wordSize = max(1, channel.wordSize ?? 4)
            resolved.isLink = channel.link != nil
        }
        traits[slot] = resolved
        return resolved
    }

    @inline(__always)
    private mutating func noteActivity(_ core: Int, at stamp: RecordStamp) {
        guard Self.isCore(core), !active[core] else { return }
        active[core] = true
        lifecycle.activity(core: core, at: stamp)
    }

    /// Calls over their method's budget, by method (the first few of each are findings).
    public var overBudget: [String: Int] { calls.overBudget }

    private static func isCore(_ number: Int) -> Bool { VectorClock.covers(number) }

    /// Program order: every event of a core moves its clock on.
    private mutating func tick(_ core: Int) -> Epoch {
        clocks[core].tick(core)
        return Epoch(core: core, tick: clocks[core][core])
    }

    // MARK: Channel records

    /// One mailbox, message or UART record. `wire` is read only for UART writes, to show what
    /// the line carried.
    @usableFromInline
    mutating func handle(_ event: ChannelEvent, wire: UnsafeRawBufferPointer, into sink: inout FindingBuffer) {
        let from = Int(event.from), to = Int(event.to)
        lastTimeNs = max(lastTimeNs, event.stamp.timeNs)
        noteActivity(event.isReceiverSide ? to : from, at: event.stamp)
        let channelTraits = traits(event.kind, Int(event.channel))
        guard channelTraits.known else { return }
        switch event.kind {
        case .uart where !channelTraits.isLink:
            // An empty record wrote nothing (a recorder's loss mark carries only its seq).
            guard !event.isReceiverSide, Self.isCore(from), !wire.isEmpty else { return }
            uartWrite(event, wire: wire, into: &sink)
        case .message, .mailbox, .uart:
            // A point-to-point link's directions are wires of their own, not a device the two
            // ends share: its records order the ends as messages do.
            let byteCount = Int(event.byteCount)
            if event.kind == .message, !event.isReceiverSide, byteCount > channelTraits.maxMessage {
                reportOversized(event, limit: channelTraits.maxMessage, into: &sink)
            }
            let key = MessageOrdering.DirectionID(kind: event.kind, channel: event.channel, from: event.from, to: event.to)
            if channelTraits.fifoDepth > 0 {
                mailboxes.record(event, key: key, depth: channelTraits.fifoDepth, wordSize: channelTraits.wordSize,
                                 board: board, into: &sink)
            }
            guard Self.isCore(from), Self.isCore(to) else { return }
            let number = Int(event.direction)
            if event.isReceiverSide {
                if let sent = ordering.receive(key, number: number, byteCount: byteCount) {
                    clocks[to].join(sent)
                    _ = tick(to)
                }
            } else {
                _ = tick(from)
                if let sent = ordering.send(key, number: number, clock: clocks[from], byteCount: byteCount) {
                    clocks[to].join(sent)
                }
                if ordering.reachedCap { reportMessageCap(at: event.stamp, into: &sink) }
            }
        }
    }

    // The rare findings of a channel record, out of line: building one in the per-record
    // function gave it a frame of 1.8 kB to set up on every record.

    @inline(never)
    private mutating func reportOversized(_ event: ChannelEvent, limit: Int, into sink: inout FindingBuffer) {
        let channel = board.channel(event.kind, Int(event.channel))!
        let fromName = board.coreName(Int(event.from)), toName = board.coreName(Int(event.to))
        sink.finding(Finding(
            .oversizedMessage, at: event.stamp.timeNs, record: event.stamp.number,
            "\(fromName) sent a \(event.byteCount)-byte message to \(toName) on \(channel.name), which carries at most "
                + "\(limit): the real link truncates it",
            cores: [fromName, toName], channel: channel.name, bytes: Int(event.byteCount)
        ))
    }

    @inline(never)
    private mutating func reportMessageCap(at stamp: RecordStamp, into sink: inout FindingBuffer) {
        guard capsReached.first(.replayMessages) else { return }
        sink.finding(caps.reached(.replayMessages, at: stamp.timeNs, record: stamp.number,
                                  consequence: "the oldest messages still waiting count as delivered at once "
                                    + "(which may hide a race, never invent one)"))
    }

    @inline(never)
    private mutating func uartWrite<Sink: FindingSink>(
        _ event: ChannelEvent, wire payload: UnsafeRawBufferPointer, into sink: inout Sink
    ) {
        let number = Int(event.channel)
        // Taken out while it is worked on: its queues and wire log are not copied per write.
        guard var line = uarts.removeValue(forKey: number)
            ?? board.channel(.uart, number).map(UARTLine.init(channel:)) else { return }
        defer { uarts[number] = line }
        let core = Int(event.from)
        if let drained = line.advance(to: event.stamp.timeNs) { reportUARTOverlap(drained, device: line.device, into: &sink) }
        // Cores still pushing now overlap this write: the line reports that when the bytes
        // have left, so the race check leaves those pairs alone.
        let overlapping = line.pushingCores(besides: core)
        var access = DeviceAccess(core: core, epoch: tick(core), locks: locks.locksHeld(by: core), stamp: event.stamp,
                                  action: .wrote(ByteSample(payload), channel: line.channelName))
        let waitingElsewhere = uarts.values.reduce(0) { $0 + $1.waitingBytes }
        let dropped = line.write(payload, access: access, maxWaiting: max(0, caps.uartQueuedBytes - waitingElsewhere))
        if dropped > 0, capsReached.first(.uartQueuedBytes) {
            sink.finding(caps.reached(.uartQueuedBytes, at: event.stamp.timeNs, record: event.stamp.number,
                                      consequence: "bytes written faster than the line carries them are left out of its "
                                        + "model from record \(event.stamp.number) on (\(dropped) of this write), so "
                                        + "its overlaps are judged on the bytes kept"))
        }
        access.endNs = event.stamp.timeNs
        devices.access(access, device: line.device, clock: clocks[core], board: board, checkOverlap: false,
                       overlapping: overlapping, into: &sink)
    }

    private mutating func reportUARTOverlap<Sink: FindingSink>(
        _ drained: (UARTLine.Overlap, [UARTLine.WireByte], Int64), device: String, into sink: inout Sink
    ) {
        let (overlap, wire, endNs) = drained
        let excerpt = Finding.WireExcerpt(bytes: wire.map(\.byte), writers: wire.map { board.coreName($0.core) })
        var switches = 0
        for i in wire.indices.dropFirst() where wire[i].core != wire[i - 1].core { switches += 1 }
        let detail = switches > 1
            ? "their bytes interleave on the wire: \(MessagePackValue.string(String(decoding: excerpt.bytes.prefix(48), as: UTF8.self)).description)…"
            : "the bytes queued one behind the other this time, but nothing kept the two writers apart"
        devices.reportOverlap(device: device, first: overlap.first, second: overlap.second, endNs: endNs, board: board,
                              wire: excerpt, detail: detail, into: &sink)
    }

    // MARK: Trace events

    @usableFromInline
    mutating func handle(_ event: TraceEvent, into sink: inout FindingBuffer) {
        let core = event.core
        lastTimeNs = max(lastTimeNs, event.origin.timeNs)
        guard Self.isCore(core) else { return }
        noteActivity(core, at: event.origin)
        let epoch = tick(core)
        let stamp = event.origin
        switch event.action {
        case .coreStart(let started):
            guard Self.isCore(Int(clamping: started)) else { return }
            let started = Int(started)
            lifecycle.coreStart(starter: core, started: started, at: stamp, board: board, into: &sink)
            clocks[started].join(clocks[core])
        case .initDone:
            lifecycle.initDone(core: core, at: stamp, board: board, into: &sink)
            regions.initialised = true
        case .lockAcquire(let lock):
            if let released = locks.acquire(lock, core: core, at: stamp, board: board, into: &sink) {
                clocks[core].join(released)
            }
        case .lockRelease(let lock):
            locks.release(lock, core: core, clock: clocks[core], at: stamp, board: board, into: &sink)
        case .deviceBegin(let device):
            let access = DeviceAccess(core: core, epoch: epoch, locks: locks.locksHeld(by: core), stamp: stamp,
                                      action: .began(device: device))
            devices.access(access, device: device, clock: clocks[core], board: board, checkOverlap: true, into: &sink)
        case .deviceEnd(let device):
            devices.end(core: core, device: device, at: stamp.timeNs)
        case .heapAlloc(let bytes):
            lifecycle.allocation(core: core, bytes: Int(clamping: bytes), at: stamp, board: board, into: &sink)
        case .heapLock:
            lifecycle.heapLock(core: core, at: stamp)
        case .interruptEnter(let irq):
            lifecycle.interrupt(core: core, irq: irq, entering: true)
            interruptDepth[core] += 1
        case .interruptExit(let irq):
            lifecycle.interrupt(core: core, irq: irq, entering: false)
            interruptDepth[core] = max(0, interruptDepth[core] - 1)
        case .functionEnter(let name):
            let run = ProcedureCheck.Run(epoch: epoch, locks: locks.locksHeld(by: core), stamp: stamp,
                                         interruptDepth: interruptDepth[core])
            procedures.enter(name, run: run, core: core, clock: clocks[core], board: board, into: &sink)
        case .functionExit(let name):
            procedures.exit(name, core: core, epoch: epoch)
        case .memoryRead(let name), .memoryWrite(let name):
            let isWrite = if case .memoryWrite = event.action { true } else { false }
            let use = RegionCheck.Use(core: core, epoch: epoch, locks: locks.locksHeld(by: core), stamp: stamp, isWrite: isWrite)
            regions.access(name, use: use, clock: clocks[core], board: board, into: &sink)
        case .fault, .partyName, .unknown:
            break
        }
        reportCapsReached(at: stamp, into: &sink)
    }

    /// A check that stopped tracking something for a cap says so once.
    private mutating func reportCapsReached<Sink: FindingSink>(at stamp: RecordStamp, into sink: inout Sink) {
        guard locks.reachedLockCap || locks.reachedOrderCap || devices.reachedCap || regions.reachedCap else { return }
        if (locks.reachedLockCap || devices.reachedCap || regions.reachedCap), capsReached.first(.replayObjects) {
            sink.finding(caps.reached(.replayObjects, at: stamp.timeNs, record: stamp.number,
                                      consequence: "further locks, devices and data regions are not checked"))
        }
        if locks.reachedOrderCap, !reportedLockOrders {
            reportedLockOrders = true
            sink.finding(caps.reached(.replayObjects, at: stamp.timeNs, record: stamp.number,
                                      consequence: "further lock orders are not remembered for lock-order-inversion"))
        }
    }

    // MARK: Calls

    /// A request between cores was sent: is the caller inside an interrupt handler, and is the
    /// callee's call to it still in flight?
    @usableFromInline
    mutating func handle(started call: CallEvent, into sink: inout FindingBuffer) {
        let caller = Int(call.caller)
        guard Self.isCore(caller) else { return }
        if interruptDepth[caller] > 0 {
            calls.startedInInterrupt(call, handler: lifecycle.interrupt(of: caller).name, into: &sink)
        }
        calls.started(call, into: &sink)
    }

    /// A call between cores ended. A method that uses devices on its callee holds them from
    /// request to response. It is seen when it completes, so its use is checked against what the
    /// other cores did meanwhile with the callee's clock at the response: ordering is, if
    /// anything, overstated, which can hide a race but never invents one.
    @usableFromInline
    mutating func handle(ended call: CallEvent, into sink: inout FindingBuffer) {
        calls.ended(call, into: &sink)
        let callee = Int(call.callee)
        guard Self.isCore(callee), let used = calls.methods.devices(of: call.method) else { return }
        for device in used {
            let access = DeviceAccess(
                core: callee, epoch: Epoch(core: callee, tick: clocks[callee][callee]),
                locks: locks.locksHeld(by: callee), stamp: call.request,
                action: .called(method: calls.methods.name(of: call.method), caller: Int(call.caller)), endNs: call.response?.timeNs ?? lastTimeNs
            )
            devices.access(access, device: device, clock: clocks[callee], board: board, checkOverlap: true, into: &sink)
        }
    }

    // MARK: End

    /// The capture is over: UART bytes still queued leave the wire, locks still held are reported.
    @usableFromInline
    mutating func handleEnd(into sink: inout FindingBuffer) {
        for number in uarts.keys.sorted() {
            guard var line = uarts.removeValue(forKey: number) else { continue }
            if let drained = line.advance(to: .max) { reportUARTOverlap(drained, device: line.device, into: &sink) }
        }
        locks.finish(at: lastTimeNs, board: board, into: &sink)
        mailboxes.finish(into: &sink)
        calls.finish(into: &sink)
    }

    // MARK: Entry point

    /// Takes one input. Inlined where it is called, so that the caller's switch on the case it
    /// just made folds away and each input goes straight to its handler. Not generic: it reports
    /// into a buffer of the caller's, so no generic call into the engine (which, unspecialised
    /// across modules, looked up type metadata on every call), and no buffer swapped in and out.
    @inlinable @inline(__always)
    public mutating func consume(_ input: ReplayInput, into found: inout FindingBuffer) {
        switch input {
        case .channel(let event, let wire): handle(event, wire: wire, into: &found)
        case .trace(let event): handle(event, into: &found)
        case .method(let number, let name): nameMethod(number, name)
        case .callStarted(let call): handle(started: call, into: &found)
        case .callEnded(let call): handle(ended: call, into: &found)
        case .finish: handleEnd(into: &found)
        }
    }

    @usableFromInline
    mutating func nameMethod(_ number: UInt32, _ name: String) {
        calls.name(number, name)
    }
}

/// The findings of the engine's latest events, until its caller drains them.
public struct FindingBuffer: FindingSink {
    public private(set) var findings: [Finding] = []

    public init() {}

    public var isEmpty: Bool { findings.isEmpty }

    public mutating func finding(_ finding: Finding) { findings.append(finding) }

    /// Hands the findings to `sink` in the order they were made, and forgets them.
    public mutating func drain<Sink: FindingSink>(into sink: inout Sink) {
        for finding in findings { sink.finding(finding) }
        findings.removeAll(keepingCapacity: true)
    }
}
