/// Every finding name of the report contract (shared/spec/report.md). The raw values are the
/// contract's names: scripts match on them, so they are never renamed.
public enum Rule: String, Sendable, CaseIterable {
    // Decoding and correlation.
    case malformedRecord = "malformed-record"
    case malformedFrame = "malformed-frame"
    case nonRPCValue = "non-rpc-value"
    case captureLoss = "capture-loss"
    case unansweredRequest = "unanswered-request"
    case orphanResponse = "orphan-response"
    case duplicateRequestID = "duplicate-request-id"
    case oversizedMessage = "oversized-message"
    // Replay in the board model.
    case deviceOverlap = "device-overlap"
    case unsynchronizedAccess = "unsynchronized-access"
    case ownerViolation = "owner-violation"
    case fifoOverflow = "fifo-overflow"
    case earlyCoreStart = "early-core-start"
    case heapAfterLock = "heap-after-lock"
    case allocInInterrupt = "alloc-in-interrupt"
    case lockMisuse = "lock-misuse"
    case lockOrderInversion = "lock-order-inversion"
    case duplicateMapKey = "duplicate-map-key"
    // Added later: about the capture and the analysis itself.
    case truncatedCapture = "truncated-capture"
    case analysisLimit = "analysis-limit"
    case boardMismatch = "board-mismatch"
    // Added later: the rest of the two-core rules.
    case reentrancyViolation = "reentrancy-violation"
    case dataRace = "data-race"
    case readonlyWrite = "readonly-write"
    case nestedCall = "nested-call"
    case rpcDeadlock = "rpc-deadlock"
    case callInInterrupt = "call-in-interrupt"
    case slowCall = "slow-call"
    // Added later: calls through a router between processors (the UNO Q's arduino-router).
    case peerWedged = "peer-wedged"
    case peerRestart = "peer-restart"
    case callCancelled = "call-cancelled"
    case noRoute = "no-route"
    case routeConflict = "route-conflict"

    public var severity: Severity {
        switch self {
        case .nonRPCValue, .duplicateMapKey, .callCancelled: .note
        case .malformedRecord, .malformedFrame, .captureLoss, .unansweredRequest, .orphanResponse,
             .duplicateRequestID, .unsynchronizedAccess, .lockOrderInversion, .analysisLimit, .boardMismatch,
             .dataRace, .nestedCall, .slowCall, .peerRestart, .noRoute, .routeConflict: .warning
        case .truncatedCapture, .oversizedMessage, .deviceOverlap, .ownerViolation, .fifoOverflow, .earlyCoreStart,
             .heapAfterLock, .allocInInterrupt, .lockMisuse, .reentrancyViolation, .readonlyWrite, .rpcDeadlock,
             .callInInterrupt, .peerWedged: .error
        }
    }

    /// One sentence a person reads next to the rule's name.
    public var summary: String {
        switch self {
        case .malformedRecord: "A capture record that is not of its link type's format."
        case .malformedFrame: "Stream bytes that are not a MessagePack value; they were skipped."
        case .nonRPCValue: "A well-formed MessagePack value that is not a MessagePack-RPC message."
        case .captureLoss: "The recorder lost data on a stream; its analysis may be incomplete."
        case .unansweredRequest: "A request with no response by the end of the capture."
        case .orphanResponse: "A response whose msgid has no request in flight."
        case .duplicateRequestID: "A request reusing a msgid that is still in flight on the same direction."
        case .oversizedMessage: "A message longer than the channel allows; the real link truncates it."
        case .deviceOverlap: "Two cores use one device in overlapping intervals."
        case .unsynchronizedAccess: "Two cores use one device with no ordering and no common lock between them."
        case .ownerViolation: "A core uses a device that the board assigns to the other core."
        case .fifoOverflow: "More words in a mailbox FIFO than it holds: the extra writes were dropped."
        case .earlyCoreStart: "A core started, or active, before initialisation finished or before its start."
        case .heapAfterLock: "An allocation after the core's heap was locked."
        case .allocInInterrupt: "An allocation inside an interrupt handler."
        case .lockMisuse: "A lock released while not held, released by another core, or held at the end."
        case .lockOrderInversion: "Two locks taken in opposite orders by two cores: a possible deadlock."
        case .duplicateMapKey: "A MessagePack map with the same string key twice; the last one wins."
        case .truncatedCapture: "The capture ends inside a record or is damaged; only the records before that were analysed."
        case .analysisLimit: "A cap on the analysis's memory was reached; from there on some state was dropped."
        case .boardMismatch: "Traffic on a channel or core that the board does not declare; its checks do not cover it."
        case .reentrancyViolation: "Two cores, or a core and its own interrupt handler, inside one non-reentrant procedure at once."
        case .dataRace: "Two uses of one shared data region, at least one a write, with no ordering and no common lock."
        case .readonlyWrite: "A write to data the board declares read-only once initialisation is done."
        case .nestedCall: "A core called the core whose call to it was still in flight: a handler calling back."
        case .rpcDeadlock: "Calls waiting on each other in a cycle, none answered by the end of the capture."
        case .callInInterrupt: "A blocking RPC call made from inside an interrupt handler."
        case .slowCall: "A call answered later than its method's latency budget."
        case .peerWedged: "A party stopped answering the calls made to it while it went on sending."
        case .peerRestart: "A party started over mid-capture: the calls it had in flight were abandoned."
        case .callCancelled: "A caller gave up on a call ($/cancelRequest); linked to the call on each hop."
        case .noRoute: "A call to a method no party has registered: the router answered that it has no route."
        case .routeConflict: "A party tried to register a method another party had registered already."
        }
    }

    /// What to look at, for the help text of SARIF rules and `--help`.
    public var advice: String {
        switch self {
        case .malformedRecord: "Check the recorder: the record is shorter than the 12-byte header, or its magic, version or kind is wrong."
        case .malformedFrame: "Bytes on the stream did not form a MessagePack value (noise, a cut header, or a value past the limits); the stream resynchronised at the next RPC-shaped value."
        case .nonRPCValue: "Handshake bytes and console text are expected on some links; on an RPC channel this may mean a peer that speaks another protocol."
        case .captureLoss: "The recorder dropped records (seq gap), flagged a loss, or cut a record at its snap length: findings on that stream may be missing or spurious."
        case .unansweredRequest: "A call that never returns: look for a callee that crashed, blocked, or dropped the request."
        case .orphanResponse: "An answer to a call not in flight: the request was lost, answered twice, or the msgid is wrong."
        case .duplicateRequestID: "A client reused a msgid before its answer came; answers can no longer be told apart."
        case .oversizedMessage: "The transport's buffer is smaller than the message; split it or raise the buffer size."
        case .deviceOverlap: "Both cores drove the device at the same moment; serialise access with a lock or delegate the device to one core."
        case .unsynchronizedAccess: "Nothing orders the two uses (no message, no lock release/acquire, no core start between them): under another timing they collide."
        case .ownerViolation: "The board assigns this device to one core; the other must ask it (for example over RPC) instead of using it."
        case .fifoOverflow: "The sender pushed into a full mailbox FIFO without waiting for space; the extra words were lost."
        case .earlyCoreStart: "A core was launched, or ran, before initialisation finished: shared state may not be ready."
        case .heapAfterLock: "Allocation after the heaps were locked: move it before the lock, or allocate statically."
        case .allocInInterrupt: "Allocation in an interrupt handler can deadlock or corrupt the heap; allocate beforehand."
        case .lockMisuse: "A lock released by a core that does not hold it, or never released."
        case .lockOrderInversion: "Two cores take the same two locks in opposite orders: a possible deadlock. Take them in one global order."
        case .duplicateMapKey: "A map repeats a key; readers disagree on which value wins."
        case .truncatedCapture: "The file was cut (a recorder stopped mid-write, a copy that did not finish) or corrupted; a CI job must not pass on part of a capture. Record again, or cut the file at a record boundary (editcap) to analyse what is there on purpose."
        case .analysisLimit: "The capture holds more of something (streams, connections, requests in flight, method names, locks held) than the analysis keeps by default; raise the cap with the option the message names."
        case .boardMismatch: "The board file names other channels or cores than the capture uses (uart1 on a capture of uart0, say): checks that depend on the board are off for that traffic. Fix the board file or pass the board the capture came from."
        case .reentrancyViolation: "The procedure keeps state between calls (a static buffer, module-level variables): make it re-entrant (state on the caller's stack), guard it with a lock, or call it from one core only, with interrupts masked if a handler calls it too."
        case .dataRace: "Nothing orders the two uses and no lock guards both: another timing corrupts the data. Take the region's lock around every use, or hand the data over with a message."
        case .readonlyWrite: "Configuration and device descriptions are set during initialisation and only read after: move the write before init.done, or stop declaring the region read-only."
        case .nestedCall: "An RPC handler that calls back the core that called it waits for that core, which is waiting for the handler. Single-threaded RPC servers (Arduino's RPC library on the GIGA R1 runs every handler in one thread) deadlock on it: answer first and notify later, or let the caller poll."
        case .rpcDeadlock: "Each caller waits on a callee that waits on the next: no call of the cycle can return. Break the cycle: no callbacks from handlers, or a handler that answers before it calls."
        case .callInInterrupt: "A call blocks until its answer, which an interrupt handler must never wait for: the core stalls. Set a flag or queue the request, and call from the main loop or a task."
        case .slowCall: "The callee answered later than the board's budget for the method (methods.NAME.budget_us): look at what the handler waits on, or raise the budget if it was too tight."
        case .peerWedged: "The party's RPC loop is stuck on something it was sent just before (named in the finding). Arduino_RPClite never consumes a notification it has no handler for, such as the $/cancelRequest the Python bridge sends when a call times out, nor a request larger than its 256-byte buffer: every later request waits behind it until the MCU is reset. On the MCU, provide a handler for $/cancelRequest (Bridge.provide(\"$/cancelRequest\", ...)), or on the Linux side give calls to slow MCU methods a timeout longer than the method takes, and keep requests under the buffer size."
        case .peerRestart: "The party reset (a watchdog, a crash, a power dip, or a reflash) while calls to it were in flight: they are lost, not deadlocked. Look at what it was doing when it restarted (the calls named); a caller must expect an MCU reset and call again after the MCU's $/reset."
        case .callCancelled: "The caller stopped waiting (its timeout) and sent $/cancelRequest. Check that the callee honours cancels; an answer that still comes after the cancel means the timeout is shorter than the method takes."
        case .noRoute: "No party had registered the method when it was called: check the method's name, and that the providing sketch or app called Bridge.provide (or $/register) before the call was made (a sketch that was still starting, or that crashed)."
        case .routeConflict: "Each method name can be provided by one party only: the router refused the second registration, so calls still go to the first. Rename one of them, or stop the older provider first."
        }
    }
}
