extension Rule {
    /// The rule's place in `allCases`: per-rule counts live in an array, so that counting a
    /// finding hashes nothing.
    public var ordinal: Int {
        switch self {
        case .malformedRecord: 0
        case .malformedFrame: 1
        case .nonRPCValue: 2
        case .captureLoss: 3
        case .unansweredRequest: 4
        case .orphanResponse: 5
        case .duplicateRequestID: 6
        case .oversizedMessage: 7
        case .deviceOverlap: 8
        case .unsynchronizedAccess: 9
        case .ownerViolation: 10
        case .fifoOverflow: 11
        case .earlyCoreStart: 12
        case .heapAfterLock: 13
        case .allocInInterrupt: 14
        case .lockMisuse: 15
        case .lockOrderInversion: 16
        case .duplicateMapKey: 17
        case .truncatedCapture: 18
        case .analysisLimit: 19
        case .boardMismatch: 20
        case .reentrancyViolation: 21
        case .dataRace: 22
        case .readonlyWrite: 23
        case .nestedCall: 24
        case .rpcDeadlock: 25
        case .callInInterrupt: 26
        case .slowCall: 27
        case .peerWedged: 28
        case .peerRestart: 29
        case .callCancelled: 30
        case .noRoute: 31
        case .routeConflict: 32
        }
    }
}
