import AnalysisCore
import RPC

/// What was in the capture, for the report's header.
public struct CaptureSummary: Sendable {
    public var file: String
    public var linkType: Int32
    public var linkTypeName: String
    /// Every link type the records carry, in order of first use: a merged pcapng has several.
    public var linkTypes: [Int32] = []
    public var linkTypeNames: [String] = []
    public var records: UInt64 = 0
    /// Bytes of record data as captured (headers included, file framing not).
    public var bytes: UInt64 = 0
    public var firstNs: Nanoseconds?
    public var lastNs: Nanoseconds?
    public var malformedRecords = 0
    public var traceEvents = 0
    public var directions: [DirectionSummary] = []
    /// The board's name, nil for the generic board.
    public var board: String?
    /// Findings left out by --select/--ignore, and accepted by --baseline.
    public var findingsIgnored = 0
    public var findingsBaselined = 0
    /// The display filter (`-Y`) and what it was offered and showed.
    public var display: (filter: String, counts: DisplayFilterCounts)?

    public var durationNs: Int64 {
        guard let firstNs, let lastNs else { return 0 }
        return lastNs.saturatingSpan(since: firstNs)
    }
}

/// Traffic of one direction of one channel.
public struct DirectionSummary: Sendable {
    public var names: DirectionNames
    public var kind: String
    public var records = 0
    public var payloadBytes = 0
    public var receiverSideRecords = 0
    public var lostRecords = 0
    /// False for a network stream found not to be MessagePack-RPC, or not selected: reports
    /// leave it out.
    public var isRPC = true
    /// False for a stream left out because it is not on the --port given.
    public var isSelected = true
    /// On a serial line the board gives a baud for: how busy the wire was.
    public var line: LineUse?
}
