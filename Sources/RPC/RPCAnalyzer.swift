import AnalysisCore
import MessagePack

/// The RPC stage: byte chunks of each direction in, transactions, notifications and findings
/// out to `sink`. It knows nothing of where the bytes came from.
public struct RPCAnalyzer<Sink: RPCSink> {
    private var assemblers: [FrameAssembler] = []
    private var correlator: Correlator<Sink>
    public let limits: FrameLimits

    public init(sink: Sink, limits: FrameLimits = FrameLimits()) {
        self.correlator = Correlator(sink: sink)
        self.limits = limits
    }

    public var sink: Sink {
        get { correlator.sink }
        _modify { yield &correlator.sink }
    }

    /// After junk, a stream picks up again only where an RPC message could start.
    static var messageShape: ResyncAnchor { ResyncAnchor(lengths: 3...4, maxFirstElement: 2) }

    /// Registers one direction of a byte stream; returns the number to feed it by. A `probing`
    /// stream is only assumed to be RPC: its findings wait until it (or its reverse) shows an RPC
    /// message, and if `probeBytes` pass without one it is ignored, silently.
    public mutating func addStream(_ direction: Direction, names: DirectionNames, probing: Bool = false) -> Int {
        assemblers.append(FrameAssembler(limits: limits, anchor: Self.messageShape))
        correlator.streams.append(StreamState(
            direction: direction, names: names,
            requestConversation: correlator.conversation(direction),
            responseConversation: correlator.conversation(direction.reversed),
            detection: probing ? .probing(bytesLeft: Self.probeBytes) : .confirmed
        ))
        return assemblers.count - 1
    }

    /// Bytes a probing stream may carry without an RPC message before it is ignored.
    public static var probeBytes: Int { 16 * 1024 }

    /// A finding about one stream from the stage below (loss, for instance): held while the
    /// stream is probing, dropped if it turns out not to be RPC.
    public mutating func finding(_ finding: Finding, stream: Int) {
        correlator.currentStream = stream
        correlator.emit(finding)
    }

    /// Whether the stream was confirmed as RPC (a board channel, or an RPC message seen).
    public func isConfirmed(stream: Int) -> Bool {
        if case .confirmed = correlator.streams[stream].detection { return true }
        return false
    }

    /// Whether the stream was found not to be RPC.
    public func isIgnored(stream: Int) -> Bool {
        if case .ignored = correlator.streams[stream].detection { return true }
        return false
    }

    /// Feeds the payload of one record. `endsMessage`: the record is one whole transport
    /// message (message channels), so a value header cut by its end is junk.
    @inline(__always)
    public mutating func feed(stream: Int, _ bytes: UnsafeRawBufferPointer, origin: RecordStamp, endsMessage: Bool) {
        if case .confirmed = correlator.streams[stream].detection {} else {
            guard correlator.spendProbe(stream: stream, bytes: bytes.count) else { return }
        }
        correlator.currentStream = stream
        assemblers[stream].feed(bytes, origin: origin, endsMessage: endsMessage, into: &correlator)
    }

    /// Bytes of `stream` were lost at this point (sequence gap, loss flag, record cut short).
    public mutating func discontinuity(stream: Int) {
        correlator.currentStream = stream
        assemblers[stream].discontinuity(into: &correlator)
    }

    /// Ends the analysis: unfinished values, pending junk and unanswered requests are reported.
    public mutating func finish() {
        for stream in assemblers.indices where !isIgnored(stream: stream) {
            correlator.currentStream = stream
            assemblers[stream].finish(into: &correlator)
            correlator.flushNonRPCRun(stream: stream)
        }
        correlator.closeUnanswered()
    }

    /// Per-method statistics, in order of first call.
    public var statistics: [MethodStatistics] { correlator.statistics.filter { $0.calls > 0 } }

    /// Requests still waiting for their answer.
    public var requestsInFlight: Int { correlator.pending.totalCount }

    /// Calls, errors, unanswered calls and notifications so far.
    public var totals: CallTotals { correlator.totals }
}

/// A request in flight. Plain data, so the pending table copies it as bytes; its decoded
/// params, when a renderer wants them, wait in `Correlator.pendingParams`.
struct PendingRequest {
    var sequence: UInt64
    var methodIndex: Int
    var origin: RecordStamp
    var stream: Int
}

/// One direction as the correlator sees it. Kept outside the generic correlator so that
/// touching it needs no generic metadata at run time.
struct StreamState {
    var direction: Direction
    var names: DirectionNames
    /// Number of the (channel, caller, callee) this direction's requests travel on.
    var requestConversation: Int
    /// Number of the conversation its responses answer: the reverse direction's.
    var responseConversation: Int
    var detection: Detection

    enum Detection {
        case confirmed
        /// Assumed RPC until proven: findings wait in `held`.
        case probing(bytesLeft: Int)
        case ignored
    }

    var held: [Finding] = []
    /// A run of well-formed values that are not RPC messages, reported as one note.
    var nonRPCCount = 0
    var nonRPCBytes = 0
    var nonRPCOrigin = RecordStamp(number: 0, timeNs: 0)
    /// The run's first bytes, to show what it was.
    var nonRPCSample: [UInt8] = []
}

/// The part of the RPC stage that sees whole values: envelopes, pairing and statistics.
struct Correlator<Sink: RPCSink>: FrameSink {
    var sink: Sink
    var streams: [StreamState] = []
    var currentStream = 0
    var methods = MethodTable()
    var statistics: [MethodStatistics] = []
    var pending = PendingTable()
    /// Decoded params of requests in flight, by request sequence; only filled for sinks that want values.
    var pendingParams: [UInt64: MessagePackValue] = [:]
    /// Conversation numbers by direction; the reverse direction answers on the same number.
    var conversations: [Direction: Int] = [:]
    var totals = CallTotals()
    var nextSequence: UInt64 = 0

    init(sink: Sink) {
        self.sink = sink
    }

    /// A probing stream's findings wait until it is confirmed.
    mutating func emit(_ finding: Finding) {
        switch streams[currentStream].detection {
        case .confirmed: sink.finding(finding)
        case .probing: if streams[currentStream].held.count < 64 { streams[currentStream].held.append(finding) }
        case .ignored: break
        }
    }

    /// Counts bytes against a probing stream's budget; false once it is ignored.
    mutating func spendProbe(stream: Int, bytes: Int) -> Bool {
        switch streams[stream].detection {
        case .confirmed: return true
        case .ignored: return false
        case .probing(let left):
            guard left > 0 else {
                streams[stream].detection = .ignored
                streams[stream].held = []
                return false
            }
            streams[stream].detection = .probing(bytesLeft: left - bytes)
            return true
        }
    }

    /// An RPC message on one direction confirms both directions of its conversation.
    mutating func confirm(conversation: Int) {
        for i in streams.indices
        where streams[i].requestConversation == conversation || streams[i].responseConversation == conversation {
            if case .confirmed = streams[i].detection { continue }
            streams[i].detection = .confirmed
            let held = streams[i].held
            streams[i].held = []
            for finding in held { sink.finding(finding) }
        }
    }

    mutating func conversation(_ direction: Direction) -> Int {
        if let known = conversations[direction] { return known }
        let number = conversations.count
        conversations[direction] = number
        return number
    }

    mutating func frame(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp) {
        guard let envelope = Envelope.parse(bytes) else {
            noteNonRPC(bytes, origin: origin)
            return
        }
        if case .confirmed = streams[currentStream].detection {} else {
            confirm(conversation: streams[currentStream].requestConversation)
        }
        if streams[currentStream].nonRPCCount > 0 { flushNonRPCRun(stream: currentStream) }
        if sink.wantsMessages { sink.message(decodedMessage(envelope, bytes: bytes, origin: origin)) }
        switch envelope.kind {
        case .request: request(envelope, bytes: bytes, origin: origin)
        case .response: response(envelope, bytes: bytes, origin: origin)
        case .notification: notification(envelope, bytes: bytes, origin: origin)
        }
    }

    mutating func junk(byteCount: Int, origin: RecordStamp, reason: JunkReason) {
        let names = streams[currentStream].names
        let why = switch reason {
        case .invalidByte: "bytes that do not form a MessagePack value"
        case .tooLarge: "a value longer than the per-stream limit"
        case .headerCutByRecordEnd: "a value header cut short by the end of the message"
        case .truncatedAtEnd: "an unfinished value at the end of the capture"
        case .lostData: "an unfinished value whose rest the recorder lost"
        }
        emit(Finding(
            .malformedFrame, at: origin.timeNs, record: origin.number,
            "skipped \(byteCount) byte\(byteCount == 1 ? "" : "s") on \(names.channel) \(names.from)→\(names.to): \(why)",
            cores: [names.from, names.to], channel: names.channel, bytes: byteCount
        ))
    }

    private mutating func request(_ envelope: Envelope, bytes: UnsafeRawBufferPointer, origin: RecordStamp) {
        let conversation = streams[currentStream].requestConversation
        let methodIndex = methodIndex(of: envelope.method)
        statistics[methodIndex].calls += 1
        if sink.wantsValues {
            let params = Envelope.value(in: bytes, at: envelope.firstValueOffset)
            noteDuplicateKeys(params, origin: origin)
            pendingParams[nextSequence] = params
        }
        let request = PendingRequest(sequence: nextSequence, methodIndex: methodIndex, origin: origin,
                                     stream: currentStream)
        nextSequence += 1
        if let superseded = pending.insert(request, conversation: conversation, msgid: envelope.msgid) {
            let names = streams[currentStream].names
            sink.finding(Finding(
                .duplicateRequestID, at: origin.timeNs, record: origin.number,
                "\(names.from) reused msgid \(envelope.msgid) for \(methods.names[methodIndex]) while its "
                    + "\(methods.names[superseded.methodIndex]) call from record \(superseded.origin.number) was still in flight",
                cores: [names.from, names.to], channel: names.channel, msgid: envelope.msgid
            ))
            close(superseded, msgid: envelope.msgid)
        }
    }

    private mutating func response(_ envelope: Envelope, bytes: UnsafeRawBufferPointer, origin: RecordStamp) {
        let conversation = streams[currentStream].responseConversation
        guard let request = pending.remove(conversation: conversation, msgid: envelope.msgid) else {
            let names = streams[currentStream].names
            sink.finding(Finding(
                .orphanResponse, at: origin.timeNs, record: origin.number,
                "response msgid \(envelope.msgid) from \(names.from) to \(names.to) matches no request in flight",
                cores: [names.from, names.to], channel: names.channel, msgid: envelope.msgid
            ))
            return
        }
        let isError = !envelope.errorIsNil
        statistics[request.methodIndex].recordAnswer(latencyNs: origin.timeNs - request.origin.timeNs, isError: isError)
        totals.transactions += 1
        if isError { totals.errors += 1 }
        let params = sink.wantsValues ? pendingParams.removeValue(forKey: request.sequence) : nil
        guard sink.wantsTransactions else { return }
        let requestNames = streams[request.stream].names
        let result = sink.wantsValues ? Envelope.value(in: bytes, at: envelope.secondValueOffset) : nil
        let error = isError ? Envelope.value(in: bytes, at: envelope.firstValueOffset) : nil
        if let result { noteDuplicateKeys(result, origin: origin) }
        if let error { noteDuplicateKeys(error, origin: origin) }
        sink.transaction(Transaction(
            sequence: request.sequence, method: methods.names[request.methodIndex], msgid: envelope.msgid,
            caller: requestNames.from, callee: requestNames.to, channel: requestNames.channel,
            request: request.origin, response: origin, status: isError ? .error : .ok,
            params: params, result: result, error: error
        ))
    }

    private mutating func notification(_ envelope: Envelope, bytes: UnsafeRawBufferPointer, origin: RecordStamp) {
        totals.notifications += 1
        guard sink.wantsTransactions else { return }
        let names = streams[currentStream].names
        let methodIndex = methods.index(of: envelope.method)
        let params = sink.wantsValues ? Envelope.value(in: bytes, at: envelope.firstValueOffset) : nil
        if let params { noteDuplicateKeys(params, origin: origin) }
        sink.notification(Notification(
            method: methods.names[methodIndex], from: names.from, to: names.to, channel: names.channel,
            origin: origin, params: params
        ))
    }

    private mutating func methodIndex(of name: UnsafeRawBufferPointer) -> Int {
        let index = methods.index(of: name)
        while statistics.count <= index {
            statistics.append(MethodStatistics(method: methods.names[statistics.count]))
        }
        return index
    }

    private func decodedMessage(_ envelope: Envelope, bytes: UnsafeRawBufferPointer, origin: RecordStamp) -> DecodedMessage {
        DecodedMessage(
            kind: envelope.kind, msgid: envelope.msgid, method: String(decoding: envelope.method, as: UTF8.self),
            names: streams[currentStream].names, origin: origin, byteCount: bytes.count,
            first: Envelope.value(in: bytes, at: envelope.firstValueOffset),
            second: envelope.kind == .response ? Envelope.value(in: bytes, at: envelope.secondValueOffset) : .nil
        )
    }

    private mutating func noteNonRPC(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp) {
        if streams[currentStream].nonRPCCount == 0 {
            streams[currentStream].nonRPCOrigin = origin
            streams[currentStream].nonRPCSample.removeAll(keepingCapacity: true)
        }
        let room = Self.sampleLength - streams[currentStream].nonRPCSample.count
        if room > 0 { streams[currentStream].nonRPCSample.append(contentsOf: bytes.prefix(room)) }
        streams[currentStream].nonRPCCount += 1
        streams[currentStream].nonRPCBytes += bytes.count
    }

    mutating func flushNonRPCRun(stream: Int) {
        guard streams[stream].nonRPCCount > 0 else { return }
        let state = streams[stream]
        let names = state.names
        let what = state.nonRPCCount == 1
            ? "a MessagePack value that is not an RPC message: \(Self.describe(state.nonRPCSample, total: state.nonRPCBytes))"
            : "\(state.nonRPCCount) MessagePack values (\(state.nonRPCBytes) bytes) that are not RPC messages: "
                + Self.describe(state.nonRPCSample, total: state.nonRPCBytes)
        emit(Finding(
            .nonRPCValue, at: state.nonRPCOrigin.timeNs, record: state.nonRPCOrigin.number,
            "\(what) on \(names.channel) \(names.from)→\(names.to)",
            cores: [names.from, names.to], channel: names.channel, bytes: state.nonRPCBytes
        ))
        streams[stream].nonRPCCount = 0
        streams[stream].nonRPCBytes = 0
    }

    static var sampleLength: Int { 48 }

    /// Values are decoded only for renderers that show them, so only those raise this note.
    private mutating func noteDuplicateKeys(_ value: MessagePackValue, origin: RecordStamp) {
        guard let key = value.firstDuplicateStringKey else { return }
        let names = streams[currentStream].names
        sink.finding(Finding(
            .duplicateMapKey, at: origin.timeNs, record: origin.number,
            "a map repeats the key \"\(key)\"; its JSON rendering keeps the last value",
            cores: [names.from, names.to], channel: names.channel
        ))
    }

    /// Text when the bytes are printable (console output, banners), else the value or hex.
    static func describe(_ sample: [UInt8], total: Int) -> String {
        let more = total > sample.count ? "…" : ""
        let printable = sample.allSatisfy { (0x20...0x7E).contains($0) || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        if printable && sample.count > 1 {
            return MessagePackValue.string(String(decoding: sample, as: UTF8.self)).description + more
        }
        if let value = MessagePackValue.decode(sample) { return value.preview(limit: 60) }
        return "bytes " + sample.hexString + more
    }

    /// Reports every request still in flight, in request order.
    mutating func closeUnanswered() {
        let remaining = pending.removeAll().sorted { $0.request.sequence < $1.request.sequence }
        for (msgid, request) in remaining {
            let names = streams[request.stream].names
            sink.finding(Finding(
                .unansweredRequest, at: request.origin.timeNs, record: request.origin.number,
                "\(methods.names[request.methodIndex]) (msgid \(msgid)) from \(names.from) to \(names.to) "
                    + "was never answered",
                cores: [names.from, names.to], channel: names.channel, msgid: msgid
            ))
            close(request, msgid: msgid)
        }
    }

    private mutating func close(_ request: PendingRequest, msgid: UInt64) {
        statistics[request.methodIndex].unanswered += 1
        totals.transactions += 1
        totals.unanswered += 1
        let params = sink.wantsValues ? pendingParams.removeValue(forKey: request.sequence) : nil
        guard sink.wantsTransactions else { return }
        let names = streams[request.stream].names
        sink.transaction(Transaction(
            sequence: request.sequence, method: methods.names[request.methodIndex], msgid: msgid,
            caller: names.from, callee: names.to, channel: names.channel, request: request.origin,
            response: nil, status: .unanswered, params: params, result: nil, error: nil
        ))
    }
}
