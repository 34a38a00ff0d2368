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

    public var severity: Severity {
        switch self {
        case .nonRPCValue, .duplicateMapKey: .note
        case .malformedRecord, .malformedFrame, .captureLoss, .unansweredRequest, .orphanResponse,
             .duplicateRequestID, .unsynchronizedAccess, .lockOrderInversion: .warning
        case .oversizedMessage, .deviceOverlap, .ownerViolation, .fifoOverflow, .earlyCoreStart,
             .heapAfterLock, .allocInInterrupt, .lockMisuse: .error
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
        }
    }
}
