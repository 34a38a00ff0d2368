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

    /// Registers one direction of a byte stream; returns the number to feed it by.
    public mutating func addStream(_ direction: Direction, names: DirectionNames) -> Int {
        assemblers.append(FrameAssembler(limits: limits, anchor: Self.messageShape))
        correlator.streams.append(.init(direction: direction, names: names))
        return assemblers.count - 1
    }

    /// Feeds the payload of one record. `endsMessage`: the record is one whole transport
    /// message (message channels), so a value header cut by its end is junk.
    @inline(__always)
    public mutating func feed(stream: Int, _ bytes: UnsafeRawBufferPointer, origin: RecordStamp, endsMessage: Bool) {
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
        for stream in assemblers.indices {
            correlator.currentStream = stream
            assemblers[stream].finish(into: &correlator)
            correlator.flushNonRPCRun(stream: stream)
        }
        correlator.closeUnanswered()
    }

    /// Per-method statistics, in order of first call.
    public var statistics: [MethodStatistics] { correlator.statistics.filter { $0.calls > 0 } }

    public var requestsInFlight: Int { correlator.pending.count }
}

struct PendingKey: Hashable {
    var channel: Int
    var caller: Int
    var callee: Int
    var msgid: UInt64

    /// One word into the hasher instead of four: this runs twice per call.
    func hash(into hasher: inout Hasher) {
        hasher.combine(msgid &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: channel << 32 ^ caller << 16 ^ callee))
    }
}

struct PendingRequest {
    var sequence: UInt64
    var methodIndex: Int
    var origin: RecordStamp
    var stream: Int
    var params: MessagePackValue?
}

/// One direction as the correlator sees it. Kept outside the generic correlator so that
/// touching it needs no generic metadata at run time.
struct StreamState {
    var direction: Direction
    var names: DirectionNames
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
    var pending: [PendingKey: PendingRequest] = [:]
    var nextSequence: UInt64 = 0

    init(sink: Sink) {
        self.sink = sink
    }

    mutating func frame(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp) {
        guard let envelope = Envelope.parse(bytes) else {
            noteNonRPC(bytes, origin: origin)
            return
        }
        flushNonRPCRun(stream: currentStream)
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
        sink.finding(Finding(
            .malformedFrame, at: origin.timeNs, record: origin.number,
            "skipped \(byteCount) byte\(byteCount == 1 ? "" : "s") on \(names.channel) \(names.from)→\(names.to): \(why)",
            cores: [names.from, names.to], channel: names.channel, bytes: byteCount
        ))
    }

    private mutating func request(_ envelope: Envelope, bytes: UnsafeRawBufferPointer, origin: RecordStamp) {
        let direction = streams[currentStream].direction
        let methodIndex = methodIndex(of: envelope.method)
        statistics[methodIndex].calls += 1
        let key = PendingKey(channel: direction.channel, caller: direction.from, callee: direction.to,
                             msgid: envelope.msgid)
        let params = sink.wantsValues ? Envelope.value(in: bytes, at: envelope.firstValueOffset) : nil
        let request = PendingRequest(sequence: nextSequence, methodIndex: methodIndex, origin: origin,
                                     stream: currentStream, params: params)
        nextSequence += 1
        if let superseded = pending.updateValue(request, forKey: key) {
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
        let direction = streams[currentStream].direction
        let key = PendingKey(channel: direction.channel, caller: direction.to, callee: direction.from,
                             msgid: envelope.msgid)
        guard let request = pending.removeValue(forKey: key) else {
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
        let requestNames = streams[request.stream].names
        sink.transaction(Transaction(
            sequence: request.sequence, method: methods.names[request.methodIndex], msgid: envelope.msgid,
            caller: requestNames.from, callee: requestNames.to, channel: requestNames.channel,
            request: request.origin, response: origin, status: isError ? .error : .ok,
            params: request.params,
            result: sink.wantsValues ? Envelope.value(in: bytes, at: envelope.secondValueOffset) : nil,
            error: isError ? Envelope.value(in: bytes, at: envelope.firstValueOffset) : nil
        ))
    }

    private mutating func notification(_ envelope: Envelope, bytes: UnsafeRawBufferPointer, origin: RecordStamp) {
        let names = streams[currentStream].names
        let methodIndex = methods.index(of: envelope.method)
        sink.notification(Notification(
            method: methods.names[methodIndex], from: names.from, to: names.to, channel: names.channel,
            origin: origin,
            params: sink.wantsValues ? Envelope.value(in: bytes, at: envelope.firstValueOffset) : nil
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
        sink.finding(Finding(
            .nonRPCValue, at: state.nonRPCOrigin.timeNs, record: state.nonRPCOrigin.number,
            "\(what) on \(names.channel) \(names.from)→\(names.to)",
            cores: [names.from, names.to], channel: names.channel, bytes: state.nonRPCBytes
        ))
        streams[stream].nonRPCCount = 0
        streams[stream].nonRPCBytes = 0
    }

    static var sampleLength: Int { 48 }

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
        let remaining = pending.sorted { $0.value.sequence < $1.value.sequence }
        pending.removeAll()
        for (key, request) in remaining {
            let names = streams[request.stream].names
            sink.finding(Finding(
                .unansweredRequest, at: request.origin.timeNs, record: request.origin.number,
                "\(methods.names[request.methodIndex]) (msgid \(key.msgid)) from \(names.from) to \(names.to) "
                    + "was never answered",
                cores: [names.from, names.to], channel: names.channel, msgid: key.msgid
            ))
            close(request, msgid: key.msgid)
        }
    }

    private mutating func close(_ request: PendingRequest, msgid: UInt64) {
        statistics[request.methodIndex].unanswered += 1
        let names = streams[request.stream].names
        sink.transaction(Transaction(
            sequence: request.sequence, method: methods.names[request.methodIndex], msgid: msgid,
            caller: names.from, callee: names.to, channel: names.channel, request: request.origin,
            response: nil, status: .unanswered, params: request.params, result: nil, error: nil
        ))
    }
}
