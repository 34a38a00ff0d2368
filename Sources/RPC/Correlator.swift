import AnalysisCore
import MessagePack

/// The part of the RPC stage that sees whole values: envelopes, pairing and statistics. What
/// it finds goes to the sink each call is lent; it keeps none.
struct Correlator<Sink: RPCSink>: FrameSink {
    typealias Output = Sink
    typealias Stream = StreamState
    /// What any call may read of each stream, at the stream's index.
    var directory: [StreamFacts] = []
    /// Conversations confirmed by the record in hand, whose other streams the stage confirms
    /// once the record is done (they are not lent to the calls about this stream).
    var confirmationsDue: [ConversationID] = []
    var methods: MethodTable
    var statistics: [MethodStatistics] = []
    /// Latencies the methods may still keep for exact percentiles.
    private var exactSamplesLeft = MethodStatistics.exactSampleBudget
    var pending = PendingTable()
    /// Decoded params of requests in flight, by request sequence; only filled for sinks that want values.
    var pendingParams: [UInt64: MessagePackValue] = [:]
    /// The streams taking part in each conversation, so that confirming one touches only them.
    var streamsOfConversation: [[StreamID]] = []
    var totals = CallTotals()
    var nextSequence: UInt64 = 0
    /// What the sink reads, fixed when the stage is built.
    let wants: SinkWants

    /// The router rules, when the board has a router.
    var router: RouterModel?
    /// Whether there is one: asked on the per-message path instead of `router`, whose test
    /// against nil copies the whole model.
    let routes: Bool

    init(caps: AnalysisCaps, wants: SinkWants, router: RouterSetup? = nil) {
        self.caps = caps
        self.wants = wants
        self.router = router.map { RouterModel(setup: $0, maxRoutes: caps.methodNames) }
        routes = router != nil
        methods = MethodTable(capacity: caps.methodNames, byteCapacity: caps.methodNameBytes)
    }

    let caps: AnalysisCaps
    var capsReached = CapsReached()
    /// Requests in the order they were made, to find the oldest still in flight at the cap on
    /// requests in flight. Kept only near the cap (built from the table when it is first passed,
    /// dropped when few are left in flight), so that ordinary traffic pays nothing for it.
    /// Answered ones are skipped when met, and compacted away.
    private(set) var requestOrder: [MadeRequest] = []
    private var requestOrderStart = 0
    private var tracksRequestOrder = false

    func isMessage(_ bytes: UnsafeRawBufferPointer) -> Bool {
        Envelope.parse(bytes) != nil
    }

    mutating func frame(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp, stream: inout StreamState,
                        into output: inout Sink) {
        _ = frameIfMessage(bytes, origin: origin, stream: &stream, into: &output)
    }

    mutating func value(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp, stream: inout StreamState,
                        into output: inout Sink) {
        stream.noteNonRPC(bytes, origin: origin)
    }

    /// The run of values since the last message lay in junk: the junk run reports its bytes.
    mutating func discardValues(stream: inout StreamState) {
        stream.nonRPCCount = 0
        stream.nonRPCBytes = 0
    }

    mutating func frameIfMessage(_ bytes: UnsafeRawBufferPointer, origin: RecordStamp, stream: inout StreamState,
                                 into output: inout Sink) -> Bool {
        guard let envelope = Envelope.parse(bytes) else { return false }
        if !stream.isConfirmed { confirm(&stream, into: &output) }
        if stream.nonRPCCount > 0 { flushNonRPCRun(&stream, into: &output) }
        let id = stream.id
        if wants.contains(.messages) { output.message(decodedMessage(envelope, bytes: bytes, origin: origin, on: id)) }
        if routes { routerSaw(envelope, byteCount: bytes.count, on: id, at: origin, into: &output) }
        switch envelope.kind {
        case .request: request(envelope, bytes: bytes, origin: origin, on: id, into: &output)
        case .response: response(envelope, bytes: bytes, origin: origin, on: id, into: &output)
        case .notification: notification(envelope, bytes: bytes, origin: origin, on: id, into: &output)
        }
        return true
    }

    mutating func junk(byteCount: Int, origin: RecordStamp, reason: JunkReason, stream: inout StreamState,
                       into output: inout Sink) {
        let names = directory[stream.id.index].names
        if routes { router!.skipped(byteCount, on: stream.id, at: origin) }
        let why = switch reason {
        case .invalidByte: "bytes that do not form a MessagePack value"
        case .tooLarge: "a value longer than the per-stream limit"
        case .headerCutByRecordEnd: "a value header cut short by the end of the message"
        case .truncatedAtEnd: "a value begun here and still unfinished when the capture ended"
        case .lostData: "an unfinished value whose rest the recorder lost"
        }
        emit(.malformedFrame, on: &stream, into: &output) { Finding(
            .malformedFrame, at: origin.timeNs, record: origin.number,
            "skipped \(byteCount) byte\(byteCount == 1 ? "" : "s") on \(names.channel) \(names.from)→\(names.to): \(why)",
            cores: [names.from, names.to], channel: names.channel, bytes: byteCount
        ) }
    }

    private mutating func request(_ envelope: Envelope, bytes: UnsafeRawBufferPointer, origin: RecordStamp, on stream: StreamID,
                                  into output: inout Sink) {
        let conversation = directory[stream.index].requestConversation
        let methodIndex = methodIndex(of: envelope.method, origin: origin, into: &output)
        if bytes.count > directory[stream.index].maxRequest {
            reportOversizedRequest(envelope, byteCount: bytes.count, method: methodIndex, origin: origin, on: stream, into: &output)
        }
        let isLeg = routes && routerRequest(envelope, bytes: bytes, method: methodIndex, origin: origin, on: stream,
                                                   into: &output)
        if !isLeg { statistics[methodIndex].calls += 1 }
        if wants.contains(.values) {
            let params = Envelope.value(in: bytes, at: envelope.firstValueOffset)
            noteDuplicateKeys(params, origin: origin, on: stream, into: &output)
            pendingParams[nextSequence] = params
        }
        let request = PendingRequest(sequence: nextSequence, methodIndex: methodIndex, origin: origin,
                                     stream: stream)
        nextSequence += 1
        if wants.contains(.callEvents), let cores = directory[stream.index].cores {
            output.callStarted(CallEvent(sequence: request.sequence, method: UInt32(methodIndex), msgid: envelope.msgid,
                                         caller: cores.from, callee: cores.to, request: origin))
        }
        if let superseded = pending.insert(request, conversation: conversation, msgid: envelope.msgid) {
            let names = directory[stream.index].names
            output.finding(.duplicateRequestID) { Finding(
                .duplicateRequestID, at: origin.timeNs, record: origin.number,
                "\(names.from) reused msgid \(envelope.msgid) for \(methods.names[methodIndex]) while its "
                    + "\(methods.names[superseded.methodIndex]) call from record \(superseded.origin.number) was still in flight",
                cores: [names.from, names.to], channel: names.channel, msgid: envelope.msgid
            ) }
            close(superseded, msgid: envelope.msgid, into: &output)
        }
        if tracksRequestOrder {
            requestOrder.append(MadeRequest(conversation: conversation, msgid: envelope.msgid, sequence: request.sequence))
            // Answered entries pile up behind the live ones, taken ones before them: either way,
            // compact once they make up half the queue.
            if requestOrder.count - requestOrderStart > 2 * pending.totalCount + 1024
                || requestOrderStart > requestOrder.count / 2 + 1024 {
                compactRequestOrder()
            }
        }
        if pending.totalCount > caps.requestsInFlight {
            if !tracksRequestOrder {
                requestOrder = pending.inFlight().sorted { $0.sequence < $1.sequence }
                requestOrderStart = 0
                tracksRequestOrder = true
            }
            closeOldestInFlight(at: origin, into: &output)
        }
    }

    /// The cap on requests in flight is reached: the oldest waiting is given up as unanswered.
    private mutating func closeOldestInFlight(at origin: RecordStamp, into output: inout Sink) {
        if capsReached.first(.requests) {
            output.finding(caps.reached(.requests, at: origin.timeNs, record: origin.number,
                                      consequence: "the oldest requests still waiting are reported unanswered from here on"))
        }
        while requestOrderStart < requestOrder.count {
            let oldest = requestOrder[requestOrderStart]
            requestOrderStart += 1
            guard pending.lookup(conversation: oldest.conversation, msgid: oldest.msgid)?.sequence == oldest.sequence,
                  let request = pending.remove(conversation: oldest.conversation, msgid: oldest.msgid) else { continue }
            giveUp(request, msgid: oldest.msgid, because: "was still unanswered when the cap on requests in flight was reached", into: &output)
            return
        }
    }

    private mutating func compactRequestOrder() {
        if pending.totalCount < caps.requestsInFlight / 4 {
            requestOrder = []
            tracksRequestOrder = false
        } else {
            requestOrder = requestOrder[requestOrderStart...].filter {
                pending.lookup(conversation: $0.conversation, msgid: $0.msgid)?.sequence == $0.sequence
            }
        }
        requestOrderStart = 0
    }

    private mutating func response(_ envelope: Envelope, bytes: UnsafeRawBufferPointer, origin: RecordStamp, on stream: StreamID,
                                   into output: inout Sink) {
        let conversation = directory[stream.index].responseConversation
        guard let request = pending.remove(conversation: conversation, msgid: envelope.msgid) else {
            let names = directory[stream.index].names
            output.finding(.orphanResponse) { Finding(
                .orphanResponse, at: origin.timeNs, record: origin.number,
                "response msgid \(envelope.msgid) from \(names.from) to \(names.to) matches no request in flight",
                cores: [names.from, names.to], channel: names.channel, msgid: envelope.msgid
            ) }
            return
        }
        let isError = !envelope.errorIsNil
        if routes, routerAnswered(request, envelope: envelope, bytes: bytes, origin: origin, on: stream, into: &output) { return }
        statistics[request.methodIndex].recordAnswer(latencyNs: origin.timeNs.saturatingSpan(since: request.origin.timeNs), isError: isError,
                                                     budget: &exactSamplesLeft)
        tellCallEnded(request, msgid: envelope.msgid, response: origin, into: &output)
        totals.transactions += 1
        if isError { totals.errors += 1 }
        if routes {
            routedCallEnded(request, msgid: envelope.msgid, response: origin, isError: isError,
                            error: isError ? Envelope.value(in: bytes, at: envelope.firstValueOffset) : nil, into: &output)
        }
        let params = wants.contains(.values) ? pendingParams.removeValue(forKey: request.sequence) : nil
        guard wants.contains(.transactions) else { return }
        let requestNames = directory[request.stream.index].names
        let result = wants.contains(.values) ? Envelope.value(in: bytes, at: envelope.secondValueOffset) : nil
        let error = isError ? Envelope.value(in: bytes, at: envelope.firstValueOffset) : nil
        if let result { noteDuplicateKeys(result, origin: origin, on: stream, into: &output) }
        if let error { noteDuplicateKeys(error, origin: origin, on: stream, into: &output) }
        let transaction = Transaction(
            sequence: request.sequence, method: methods.names[request.methodIndex], msgid: envelope.msgid,
            caller: requestNames.from, callee: requestNames.to, channel: requestNames.channel,
            request: request.origin, response: origin, status: isError ? .error : .ok,
            params: params, result: result, error: error
        )
        // Handed on as made: a copy to change would cost every answer a copy of the transaction.
        guard routes else { return output.transaction(transaction) }
        output.transaction(routedTransaction(transaction, responseBytes: bytes.count, on: request.stream))
    }

    private mutating func notification(_ envelope: Envelope, bytes: UnsafeRawBufferPointer, origin: RecordStamp,
                                       on stream: StreamID, into output: inout Sink) {
        totals.notifications += 1
        if routes { routerNotification(envelope, bytes: bytes, origin: origin, on: stream) }
        guard wants.contains(.transactions) else { return }
        let names = directory[stream.index].names
        let methodIndex = methods.index(of: envelope.method)
        let params = wants.contains(.values) ? Envelope.value(in: bytes, at: envelope.firstValueOffset) : nil
        if let params { noteDuplicateKeys(params, origin: origin, on: stream, into: &output) }
        output.notification(Notification(
            method: methods.names[methodIndex], from: names.from, to: names.to, channel: names.channel,
            origin: origin, params: params
        ))
    }

    /// A request longer than its receiver takes (a board channel's `max_request`); on a board
    /// with a router, a cause the receiver may get stuck on.
    @inline(never)
    private mutating func reportOversizedRequest(_ envelope: Envelope, byteCount: Int, method: Int, origin: RecordStamp,
                                                 on stream: StreamID, into output: inout Sink) {
        let facts = directory[stream.index]
        let name = methods.names[method]
        let text = "\(facts.names.from) sent a \(byteCount)-byte request (\(name), msgid \(envelope.msgid)) to "
            + "\(facts.names.to) on \(facts.names.channel), which takes requests of at most \(facts.maxRequest) bytes"
        output.finding(Finding(.oversizedMessage, at: origin.timeNs, record: origin.number,
                               text + ": the receiver cannot read it whole", cores: [facts.names.from, facts.names.to],
                               channel: facts.names.channel, msgid: envelope.msgid, bytes: byteCount, method: name))
        if routes { router!.noteCause(to: router!.ends[stream.index].to, .init(stamp: origin, text: text)) }
    }

    private mutating func methodIndex(of name: UnsafeRawBufferPointer, origin: RecordStamp, into output: inout Sink) -> Int {
        let index = methods.index(of: name)
        if methods.reachedCap, capsReached.first(.methods) {
            output.finding(caps.reached(.methods, at: origin.timeNs, record: origin.number,
                                      consequence: "calls of further methods are counted under \"\(MethodTable.overflowName)\""
                                        + " (cap of \(caps.methodNameBytes) bytes of names: --limit method-bytes=N)"))
        }
        while statistics.count <= index {
            let name = methods.names[statistics.count]
            if wants.contains(.callEvents) { output.methodNamed(UInt32(statistics.count), name) }
            statistics.append(MethodStatistics(method: name))
        }
        return index
    }

    private func decodedMessage(_ envelope: Envelope, bytes: UnsafeRawBufferPointer, origin: RecordStamp,
                                on stream: StreamID) -> DecodedMessage {
        DecodedMessage(
            kind: envelope.kind, msgid: envelope.msgid, method: String(decoding: envelope.method, as: UTF8.self),
            names: directory[stream.index].names, origin: origin, byteCount: bytes.count,
            first: Envelope.value(in: bytes, at: envelope.firstValueOffset),
            second: envelope.kind == .response ? Envelope.value(in: bytes, at: envelope.secondValueOffset) : .nil
        )
    }

    mutating func noteDuplicateKeys(_ value: MessagePackValue, origin: RecordStamp, on stream: StreamID, into output: inout Sink) {
        guard let key = value.firstDuplicateStringKey else { return }
        let names = directory[stream.index].names
        output.finding(Finding(
            .duplicateMapKey, at: origin.timeNs, record: origin.number,
            "a map repeats the key \"\(key)\"; its JSON rendering keeps the last value",
            cores: [names.from, names.to], channel: names.channel
        ))
    }

    mutating func closeUnanswered(into output: inout Sink) {
        let remaining = pending.removeAll().sorted { $0.request.sequence < $1.request.sequence }
        for (msgid, request) in remaining { giveUp(request, msgid: msgid, because: "was never answered", into: &output) }
    }

    /// Reports a request as unanswered and closes it.
    mutating func giveUp(_ request: PendingRequest, msgid: UInt64, because why: String, into output: inout Sink) {
        if routes, routerGaveUp(request, msgid: msgid, into: &output) { return }
        let names = directory[request.stream.index].names
        output.finding(.unansweredRequest) { Finding(
            .unansweredRequest, at: request.origin.timeNs, record: request.origin.number,
            "\(methods.names[request.methodIndex]) (msgid \(msgid)) from \(names.from) to \(names.to) \(why)",
            cores: [names.from, names.to], channel: names.channel, msgid: msgid
        ) }
        close(request, msgid: msgid, into: &output)
    }

    /// The replay learns that a call between cores ended, answered or not.
    ///
    /// `mutating` though it changes nothing: called from mutating code on a generic correlator,
    /// a non-mutating method is given a copy of the whole correlator (300 bytes) every call.
    mutating func tellCallEnded(_ request: PendingRequest, msgid: UInt64, response: RecordStamp?, into output: inout Sink) {
        guard wants.contains(.callEvents), let cores = directory[request.stream.index].cores else { return }
        output.callEnded(CallEvent(sequence: request.sequence, method: UInt32(request.methodIndex), msgid: msgid,
                                   caller: cores.from, callee: cores.to, request: request.origin, response: response))
    }

    mutating func close(_ request: PendingRequest, msgid: UInt64, into output: inout Sink) {
        if routes, routerClosedLeg(request, msgid: msgid, into: &output) { return }
        tellCallEnded(request, msgid: msgid, response: nil, into: &output)
        statistics[request.methodIndex].unanswered += 1
        totals.transactions += 1
        totals.unanswered += 1
        let params = wants.contains(.values) ? pendingParams.removeValue(forKey: request.sequence) : nil
        if routes { cancelledCallEnded(request, msgid: msgid, answer: nil, into: &output) }
        guard wants.contains(.transactions) else { return }
        let names = directory[request.stream.index].names
        let transaction = Transaction(
            sequence: request.sequence, method: methods.names[request.methodIndex], msgid: msgid,
            caller: names.from, callee: names.to, channel: names.channel, request: request.origin,
            response: nil, status: .unanswered, params: params, result: nil, error: nil
        )
        guard routes else { return output.transaction(transaction) }
        output.transaction(routedTransaction(transaction, responseBytes: nil, on: request.stream))
    }
}

/// A request as made, for finding the oldest still in flight. A named type, not a tuple: an
/// array of tuples has its type built at run time on the per-message path.
struct MadeRequest {
    var conversation: ConversationID
    var msgid: UInt64
    var sequence: UInt64
}
