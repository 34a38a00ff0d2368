import AnalysisCore
import MessagePack

/// The RPC stage: byte chunks of each direction in, transactions, notifications and findings
/// out to the sink each call is handed. It knows nothing of where the bytes came from, and it
/// owns no sink: the pipeline keeps the sink (and the replay behind it) and lends it per call.
public struct RPCAnalyzer<Sink: RPCSink> {
    /// Every stream, at its index: its assembler and its correlation state together.
    private var streams: [RPCStream] = []
    private(set) var correlator: Correlator<Sink>
    public let limits: FrameLimits
    /// Memory all streams hold for unfinished values, against `AnalysisCaps.bufferedBytes`.
    private var heldBytes = 0

    /// `wants`: what the sink it will be lent reads (`RPCSink.wants`).
    public init(limits: FrameLimits = FrameLimits(), caps: AnalysisCaps = AnalysisCaps(), wants: SinkWants,
                router: RouterSetup? = nil) {
        self.correlator = Correlator(caps: caps, wants: wants, router: router)
        self.limits = limits
    }

    /// How a stream's bytes are taken.
    public enum Decoding: Sendable {
        /// RPC by declaration.
        case rpc
        /// Only assumed to be RPC: its findings wait until it (or its reverse) shows an RPC
        /// message, and if `probeBytes` pass without one it is ignored, silently.
        case probing
        /// Not decoded: never fed.
        case notDecoded
    }

    /// The state of stream `id`, the next the registry minted: its requests are looked up in
    /// `requests` (its own direction's conversation), its responses in `responses` (the
    /// reverse direction's). Every stream the registry mints is added, in order.
    public mutating func addStream(_ id: StreamID, requests: ConversationID, responses: ConversationID,
                                   names: DirectionNames, decoding: Decoding = .rpc, cores: CorePair? = nil,
                                   line: SerialLine = SerialLine()) {
        precondition(id.index == streams.count, "streams are added in the order they are minted")
        let detection: StreamState.Detection = switch decoding {
        case .rpc: .confirmed
        case .probing: .probing(bytesLeft: Self.probeBytes)
        case .notDecoded: .ignored
        }
        correlator.add(StreamFacts(names: names, cores: cores, requestConversation: requests,
                                   responseConversation: responses, byteTimeNs: line.byteTimeNs,
                                   maxRequest: line.maxRequest ?? .max))
        streams.append(RPCStream(assembler: FrameAssembler(limits: limits, anchor: RPCMessageShape.anchor),
                                 state: StreamState(id: id, isDecoded: decoding != .notDecoded, detection: detection)))
    }

    /// Bytes a probing stream may carry without an RPC message before it is ignored.
    public static var probeBytes: Int { 16 * 1024 }

    /// A finding about one stream from the stage below (loss, for instance): held while the
    /// stream is probing, dropped if it turns out not to be RPC.
    public mutating func finding(_ finding: Finding, stream: StreamID, into sink: inout Sink) {
        correlator.emit(finding, on: &streams[stream.index].state, into: &sink)
    }

    /// Whether the stream was confirmed as RPC (a board channel, or an RPC message seen).
    public func isConfirmed(stream: StreamID) -> Bool {
        streams[stream.index].state.isConfirmed
    }

    /// Whether the stream was found not to be RPC.
    public func isIgnored(stream: StreamID) -> Bool {
        if case .ignored = streams[stream.index].state.detection { return true }
        return false
    }

    /// Feeds the payload of one record. `endsMessage`: the record is one whole transport
    /// message (message channels), so a value header cut by its end is junk.
    @inline(__always)
    public mutating func feed(stream: StreamID, _ bytes: UnsafeRawBufferPointer, origin: RecordStamp, endsMessage: Bool,
                              into sink: inout Sink) {
        let index = stream.index
        if !streams[index].state.isConfirmed {
            guard streams[index].state.spendProbe(bytes: bytes.count) else { return }
        }
        let before = streams[index].assembler.heldBytes
        streams[index].feed(bytes, origin: origin, endsMessage: endsMessage, into: &correlator, output: &sink)
        let after = streams[index].assembler.heldBytes
        heldBytes += after - before
        if !correlator.confirmationsDue.isEmpty { confirmDue(into: &sink) }
        if after > 0, heldBytes > correlator.caps.bufferedBytes { dropHeldBytes(of: stream, at: origin, into: &sink) }
    }

    /// An RPC message confirmed its conversation: the conversation's other streams are too,
    /// and hand on the findings they held.
    private mutating func confirmDue(into sink: inout Sink) {
        while let conversation = correlator.confirmationsDue.popLast() {
            for stream in correlator.streamsOfConversation[conversation.index] {
                for finding in streams[stream.index].state.confirm() { sink.finding(finding) }
            }
        }
    }

    /// Too much is held across streams: this stream's unfinished value is given up as lost.
    private mutating func dropHeldBytes(of stream: StreamID, at origin: RecordStamp, into sink: inout Sink) {
        if correlator.capsReached.first(.bufferedBytes) {
            sink.finding(correlator.caps.reached(
                .bufferedBytes, at: origin.timeNs, record: origin.number,
                consequence: "a stream's unfinished value is dropped as lost when more would be held"))
        }
        discontinuity(stream: stream, into: &sink)
    }

    /// Bytes of `stream` were lost at this point (sequence gap, loss flag, record cut short).
    public mutating func discontinuity(stream: StreamID, into sink: inout Sink) {
        let index = stream.index
        let before = streams[index].assembler.heldBytes
        streams[index].discontinuity(into: &correlator, output: &sink)
        heldBytes += streams[index].assembler.heldBytes - before
        if !correlator.confirmationsDue.isEmpty { confirmDue(into: &sink) }
    }

    /// A message record of `stream` is about to be fed (`FrameAssembler.recordBoundary`).
    public mutating func messageRecordStarts(stream: StreamID, with payload: UnsafeRawBufferPointer, into sink: inout Sink) {
        let index = stream.index
        guard streams[index].assembler.heldBytes > 0 else { return }
        let before = streams[index].assembler.heldBytes
        streams[index].recordBoundary(before: payload, into: &correlator, output: &sink)
        heldBytes += streams[index].assembler.heldBytes - before
        if !correlator.confirmationsDue.isEmpty { confirmDue(into: &sink) }
    }

    /// Ends the analysis: unfinished values, pending junk and unanswered requests are reported.
    public mutating func finish(into sink: inout Sink) {
        for index in streams.indices where !isIgnored(stream: StreamID(index)) {
            streams[index].finish(into: &correlator, output: &sink)
            correlator.flushNonRPCRun(&streams[index].state, into: &sink)
            if !correlator.confirmationsDue.isEmpty { confirmDue(into: &sink) }
        }
        if correlator.router != nil { correlator.findWedgedParties(into: &sink) }
        correlator.closeUnanswered(into: &sink)
    }

    /// Per-method statistics, in order of first call, with each method's budget and the calls
    /// that broke it when `budgets` (ns by method) and `overBudget` (calls by method) are given.
    public func statistics(budgets: [String: Int64], overBudget: [String: Int]) -> [MethodStatistics] {
        statistics.map { stats in
            var annotated = stats
            annotated.budgetNs = budgets[stats.method]
            annotated.overBudget = overBudget[stats.method] ?? 0
            return annotated
        }
    }

    /// Per-method statistics, in order of first call.
    public var statistics: [MethodStatistics] { correlator.statistics.filter { $0.calls > 0 } }

    /// Requests still waiting for their answer.
    public var requestsInFlight: Int { correlator.pending.totalCount }

    /// Calls, errors, unanswered calls and notifications so far.
    public var totals: CallTotals { correlator.totals }
}

/// The first bytes of every RPC message: an array of 3 or 4 whose type is 0, 1 or 2.
public enum RPCMessageShape {
    public static var anchor: ResyncAnchor { ResyncAnchor(lengths: 3...4, maxFirstElement: 2) }
}

/// A request in flight. Plain data, so the pending table copies it as bytes; its decoded
/// params, when a renderer wants them, wait in `Correlator.pendingParams`.
struct PendingRequest {
    var sequence: UInt64
    var methodIndex: Int
    var origin: RecordStamp
    var stream: StreamID
}

extension RPCStream {
    // The assembler lends the correlator this stream's state with every frame: the two are
    // parts of one value here, so both may be lent at once.

    @inline(__always)
    mutating func feed<Sink: RPCSink>(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp, endsMessage: Bool,
                                      into correlator: inout Correlator<Sink>, output: inout Sink) {
        assembler.feed(bytes, origin: origin, endsMessage: endsMessage, stream: &state, into: &correlator, output: &output)
    }

    mutating func discontinuity<Sink: RPCSink>(into correlator: inout Correlator<Sink>, output: inout Sink) {
        assembler.discontinuity(stream: &state, into: &correlator, output: &output)
    }

    mutating func finish<Sink: RPCSink>(into correlator: inout Correlator<Sink>, output: inout Sink) {
        assembler.finish(stream: &state, into: &correlator, output: &output)
    }

    mutating func recordBoundary<Sink: RPCSink>(before next: UnsafeRawBufferPointer, into correlator: inout Correlator<Sink>,
                                                output: inout Sink) {
        assembler.recordBoundary(before: next, stream: &state, into: &correlator, output: &output)
    }
}

/// What the stage needs of a serial line a stream runs on.
public struct SerialLine: Sendable {
    /// Time one byte takes on the wire (0: not a serial line).
    public var byteTimeNs: Int64
    /// The largest request the stream's receiver takes.
    public var maxRequest: Int?

    public init(byteTimeNs: Int64 = 0, maxRequest: Int? = nil) {
        self.byteTimeNs = byteTimeNs
        self.maxRequest = maxRequest
    }
}
