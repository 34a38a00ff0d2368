import AnalysisCore
import MessagePack

/// The correlator's side of the router rules (`RouterModel`): only reached when the board has
/// a router, so the other boards' per-message path pays one test of an optional.
extension Correlator {
    /// Any message: its sender is still sending. A `$/reset` from a party that sent RPC before
    /// is that party starting over.
    mutating func routerSaw(_ envelope: Envelope, byteCount: Int, on stream: StreamID, at origin: RecordStamp,
                            into output: inout Sink) {
        router!.carried(byteCount, on: stream, at: origin.timeNs, byteTimeNs: directory[stream.index].byteTimeNs)
        let from = router!.ends[stream.index].from
        let hadSent = router!.parties[from].hasSentRPC
        router!.sent(on: stream, at: origin, kind: envelope.kind)
        if hadSent, envelope.kind == .request, envelope.method.elementsEqual("$/reset".utf8) {
            restarted(party: from, on: stream, at: origin, into: &output)
        }
    }

    /// Values that are not RPC: a party that sent RPC before and now prints its banner has
    /// started over (found here too, for a restart whose `$/reset` the cut value swallowed).
    mutating func routerSawNonRPC(_ sample: [UInt8], on stream: StreamID, at origin: RecordStamp, into output: inout Sink) {
        guard let banner = router!.setup.banner else { return }
        let start = Array(banner.utf8.prefix(min(24, sample.count)))
        guard start.count >= 12, sample.starts(with: start) else { return }
        let party = router!.ends[stream.index].from
        guard router!.parties[party].hasSentRPC else { return }
        restarted(party: party, on: stream, at: origin, into: &output)
    }

    /// A request: joined to the call it forwards. True for a leg (it is counted with that call,
    /// not as a call of its own).
    mutating func routerRequest(_ envelope: Envelope, bytes: UnsafeRawBufferPointer, method: Int, origin: RecordStamp,
                                on stream: StreamID, into output: inout Sink) -> Bool {
        let facts = directory[stream.index]
        let name = methods.names[method]
        let params = UnsafeRawBufferPointer(rebasing: bytes[min(envelope.firstValueOffset, bytes.count)...])
        // Registering again a method it registered already: a party that started over and whose
        // banner and `$/reset` a cut value swallowed.
        let from = router!.ends[stream.index].from
        if name == "$/register", router!.parties[from].hasSentRPC, let method = RouterModel.firstString(params),
           router!.parties[from].provides.contains(method) {
            restarted(party: from, on: stream, at: origin, into: &output)
            router!.sent(on: stream, at: origin, kind: .request)
        }
        guard let outer = router!.request(sequence: nextSequence, method: method, methodName: name, msgid: envelope.msgid,
                                          params: params, requestBytes: bytes.count, origin: origin, stream: stream,
                                          conversation: facts.requestConversation) else { return false }
        var leg = Hop(from: facts.names.from, to: facts.names.to, channel: facts.names.channel, msgid: envelope.msgid,
                      request: origin, response: nil, status: .unanswered,
                      wire: wireTime(request: bytes.count, response: nil, byteTimeNs: facts.byteTimeNs))
        // On a serial line, the bytes ahead of it that were still on the wire when the call came
        // to the router: the time the leg waited for the wire behind other messages.
        if facts.byteTimeNs > 0, let made = router!.calls[outer]?.request.timeNs {
            let wait = router!.busyBeforeLast(on: stream).saturatingSpan(since: made)
            if wait > 0 { leg.wireWaitNs = wait }
        }
        router!.legStarted(leg, of: outer)
        return true
    }

    /// An answer: the answering party is still answering, and the call leaves the router's
    /// tables. True for a leg's answer, handled here (kept with the call it forwards, which the
    /// report shows once).
    @inline(never)
    mutating func routerAnswered(_ request: PendingRequest, envelope: Envelope, bytes: UnsafeRawBufferPointer,
                                 origin: RecordStamp, on stream: StreamID, into output: inout Sink) -> Bool {
        router!.answered(by: stream, requestNs: request.origin.timeNs, method: request.methodIndex, msgid: envelope.msgid,
                         bytes: bytes, at: origin)
        guard let outer = router!.closed(request.sequence)?.outer else { return false }
        tellCallEnded(request, msgid: envelope.msgid, response: origin, into: &output)
        legEnded(request, of: outer, response: origin, status: envelope.errorIsNil ? .ok : .error, responseBytes: bytes.count)
        return true
    }

    /// A call closed unanswered: true for a leg, handled here.
    @inline(never)
    mutating func routerClosedLeg(_ request: PendingRequest, msgid: UInt64, into output: inout Sink) -> Bool {
        guard let outer = router!.closed(request.sequence)?.outer else { return false }
        tellCallEnded(request, msgid: msgid, response: nil, into: &output)
        legEnded(request, of: outer, response: nil, status: .unanswered, responseBytes: nil)
        return true
    }

    /// A leg ended, answered or not: kept with the call it forwards, which the report shows once.
    private mutating func legEnded(_ request: PendingRequest, of outer: UInt64, response: RecordStamp?,
                                   status: Transaction.Status, responseBytes: Int?) {
        if wants.contains(.values) { pendingParams.removeValue(forKey: request.sequence) }
        let byteTimeNs = directory[request.stream.index].byteTimeNs
        router!.legEnded(of: outer, response: response, status: status,
                         responseWireNs: byteTimeNs > 0 ? responseBytes.map { Int64($0) * byteTimeNs } : nil)
    }

    /// A call's own answer: what the router rules learn from it.
    @inline(never)
    mutating func routedCallEnded(_ request: PendingRequest, msgid: UInt64, response: RecordStamp, isError: Bool,
                                  error: MessagePackValue?, into output: inout Sink) {
        guard let routed = router!.closing else { return }
        let names = directory[request.stream.index].names
        let method = methods.names[request.methodIndex]
        if let name = routed.registers {
            if !isError {
                router!.registered(name, by: request.stream, at: request.origin)
            } else if RouterModel.routerErrorCode(error) == 5 || (error?.description.contains("already") ?? false) {
                let first = router!.route(of: name).map { " \($0.party) registered it first" } ?? ""
                output.finding(Finding(
                    .routeConflict, at: response.timeNs, record: response.number,
                    "\(names.from) tried to register \(name), which the router refused (\(error.map(\.description) ?? "error")):"
                        + "\(first.isEmpty ? " another party had registered it" : first); calls to \(name) still go there",
                    cores: [names.from, names.to], channel: names.channel, msgid: msgid, method: name))
            }
        }
        if isError, routed.leg == nil, RouterModel.routerErrorCode(error) == 2 {
            output.finding(Finding(
                .noRoute, at: response.timeNs, record: response.number,
                "\(names.from) called \(method) (msgid \(msgid)), which no party had registered: the router answered "
                    + "\(error.map(\.description) ?? "error 2")",
                cores: [names.from, names.to], channel: names.channel, msgid: msgid, method: method))
        }
        if let leg = routed.leg, let legResponse = leg.response {
            if leg.wireWaitNs != nil { statistics[request.methodIndex].routed.waitedForWire += 1 }
            statistics[request.methodIndex].recordRoute(
                forwardNs: leg.request.timeNs.saturatingSpan(since: request.origin.timeNs),
                legNs: legResponse.timeNs.saturatingSpan(since: leg.request.timeNs),
                backNs: response.timeNs.saturatingSpan(since: legResponse.timeNs),
                wireOutNs: leg.wire?.requestNs ?? 0, wireBackNs: leg.wire?.responseNs ?? 0)
        }
        cancelledCallEnded(request, msgid: msgid, answer: response, into: &output)
    }

    /// The transaction with its route: its legs, the router, who made its error, its wire time.
    @inline(never)
    func routedTransaction(_ plain: Transaction, responseBytes: Int?, on stream: StreamID) -> Transaction {
        guard let routed = router!.closing else { return plain }
        var transaction = plain
        describeRoute(&transaction, routed, responseBytes: responseBytes, on: stream)
        return transaction
    }

    private func describeRoute(_ transaction: inout Transaction, _ routed: RouterModel.RoutedCall, responseBytes: Int?,
                               on stream: StreamID) {
        let byteTimeNs = directory[stream.index].byteTimeNs
        let wire = wireTime(request: routed.requestBytes, response: responseBytes, byteTimeNs: byteTimeNs)
        var hops: [Hop] = []
        if let leg = routed.leg {
            hops = [
                Hop(from: transaction.caller, to: transaction.callee, channel: transaction.channel, msgid: transaction.msgid,
                    request: transaction.request, response: transaction.response, status: transaction.status, wire: wire),
                leg,
            ]
        }
        var origin: String?
        if transaction.status == .error {
            if let leg = routed.leg, leg.status == .error {
                origin = leg.to
            } else if routed.leg != nil || RouterModel.routerErrorCode(transaction.error) != nil {
                origin = "router"
            } else {
                origin = transaction.callee
            }
        }
        guard !hops.isEmpty || origin != nil || wire != nil else { return }
        transaction.route = Route(hops: hops, via: hops.isEmpty ? nil : router!.setup.program, errorOrigin: origin, wire: wire)
    }

    func wireTime(request: Int, response: Int?, byteTimeNs: Int64) -> WireTime? {
        guard byteTimeNs > 0 else { return nil }
        return WireTime(requestNs: Int64(request) * byteTimeNs, responseNs: response.map { Int64($0) * byteTimeNs })
    }

    /// A notification: `$/cancelRequest [msgid]` marks the call it cancels; one its receiver
    /// has no handler for is a cause that party may get stuck on.
    mutating func routerNotification(_ envelope: Envelope, bytes: UnsafeRawBufferPointer, origin: RecordStamp,
                                     on stream: StreamID) {
        let facts = directory[stream.index]
        let params = UnsafeRawBufferPointer(rebasing: bytes[min(envelope.firstValueOffset, bytes.count)...])
        let isCancel = envelope.method.elementsEqual("$/cancelRequest".utf8)
        if isCancel, let target = RouterModel.firstInteger(params),
           let request = pending.lookup(conversation: facts.requestConversation, msgid: target) {
            router!.cancelled(request.sequence, at: origin)
        }
        let receiver = router!.ends[stream.index].to
        let provides = router!.parties[receiver].provides
        guard !provides.isEmpty else { return }
        let name = String(decoding: envelope.method, as: UTF8.self)
        guard !provides.contains(name) else { return }
        let shown = Envelope.value(in: params, at: 0).description
        router!.noteCause(to: receiver, .init(stamp: origin, text: "\(facts.names.from) sent it the notification \(name) "
            + "\(shown.prefix(60)) (record \(origin.number)), which it has no handler for"))
    }

    /// A call given up unanswered: a leg is reported with its call, and a cancelled call by its
    /// cancel. True when handled here.
    mutating func routerGaveUp(_ request: PendingRequest, msgid: UInt64, into output: inout Sink) -> Bool {
        guard let routed = router!.calls[request.sequence] else { return false }
        if routed.outer != nil || routed.cancel != nil {
            close(request, msgid: msgid, into: &output)
            return true
        }
        guard let leg = routed.leg else { return false }
        let names = directory[request.stream.index].names
        output.finding(.unansweredRequest) { Finding(
            .unansweredRequest, at: request.origin.timeNs, record: request.origin.number,
            "\(methods.names[request.methodIndex]) (msgid \(msgid)) from \(names.from) to \(names.to) was never answered; "
                + "\(router!.setup.program) forwarded it to \(leg.to) as msgid \(leg.msgid) on \(leg.channel)"
                + (leg.response == nil ? ", which never answered either" : ", which answered"),
            cores: [names.from, names.to], channel: names.channel, msgid: msgid
        ) }
        close(request, msgid: msgid, into: &output)
        return true
    }

    /// A cancelled call closed: one note for it, on every hop it took.
    mutating func cancelledCallEnded(_ request: PendingRequest, msgid: UInt64, answer: RecordStamp?, into output: inout Sink) {
        guard let routed = router!.closing, let cancel = routed.cancel else { return }
        let names = directory[request.stream.index].names
        let method = methods.names[request.methodIndex]
        var text = "\(names.from) cancelled \(method) (msgid \(msgid)) "
            + "\(Self.duration(cancel.stamp.timeNs.saturatingSpan(since: request.origin.timeNs))) after calling it"
        if let leg = routed.leg, let forwarded = cancel.forwarded {
            text += "; \(router!.setup.program) passed the cancel on to \(leg.to) (msgid \(cancel.forwardedMsgid ?? leg.msgid) "
                + "on \(leg.channel)) \(Self.duration(forwarded.timeNs.saturatingSpan(since: cancel.stamp.timeNs))) later"
        }
        let answers = [answer, routed.leg?.response].compactMap { $0 }.filter { $0.timeNs >= cancel.stamp.timeNs }
        if let late = answers.max(by: { $0.timeNs < $1.timeNs }) {
            text += "; an answer still came \(Self.duration(late.timeNs.saturatingSpan(since: cancel.stamp.timeNs))) "
                + "after the cancel (record \(late.number))"
        } else if answer == nil && routed.leg?.response == nil {
            text += "; no answer came by the end of the capture"
        }
        output.finding(Finding(.callCancelled, at: cancel.stamp.timeNs, record: cancel.stamp.number, text,
                               cores: [names.from, names.to], channel: names.channel, msgid: msgid, method: method))
    }

    /// A party started over: the calls it had in flight, made to it or by it, are abandoned
    /// (closed as unanswered here, so the replay sees no call still waiting on it).
    mutating func restarted(party: Int, on stream: StreamID, at origin: RecordStamp, into output: inout Sink) {
        let name = router!.parties[party].name
        // Its `$/reset` after the banner is the same restart.
        router!.restarted(party)
        var abandoned: [String] = []
        for made in pending.inFlight().sorted(by: { $0.sequence < $1.sequence }) {
            guard let call = router!.calls[made.sequence] else { continue }
            let ends = router!.ends[call.stream.index]
            guard ends.to == party || ends.from == party,
                  let request = pending.remove(conversation: made.conversation, msgid: made.msgid) else { continue }
            let names = directory[request.stream.index].names
            abandoned.append("\(methods.names[request.methodIndex]) (msgid \(made.msgid), \(names.from) to \(names.to))")
            close(request, msgid: made.msgid, into: &output)
        }
        var text = "\(name) started over (its banner or a $/reset after its earlier traffic, record \(origin.number))"
        text += abandoned.isEmpty ? "; no call was in flight with it"
            : ": \(abandoned.count) call\(abandoned.count == 1 ? "" : "s") in flight with it abandoned, not deadlocked: "
                + abandoned.prefix(8).joined(separator: ", ") + (abandoned.count > 8 ? ", ..." : "")
        let cut = router!.parties[party].lastAnswer
        if let answered = cut.stamp, let banner = router!.setup.banner,
           let overlap = RouterModel.bannerStart(endingOf: cut.tail, banner: banner) {
            text += "; its answer to \(methods.names[cut.method]) (msgid \(cut.msgid), record \(answered.number)) was cut by the "
                + "restart and completed by the first \(overlap) bytes of its banner (\"\(banner.prefix(overlap))\"): the "
                + "result passed on is wrong"
        }
        if let junk = router!.parties[party].lastJunk, origin.timeNs.saturatingSpan(since: junk.stamp.timeNs) < 2_000_000_000 {
            text += "; the \(junk.bytes) byte\(junk.bytes == 1 ? "" : "s") it had sent before (skipped at record \(junk.stamp.number)) "
                + "were a value the restart cut short"
        }
        output.finding(Finding(.peerRestart, at: origin.timeNs, record: origin.number, text, cores: [name],
                               channel: directory[stream.index].names.channel))
    }

    /// At the end: a party that answers none of the calls made to it from some point on, while
    /// it still sends, is wedged. Found before the calls are given up as unanswered.
    mutating func findWedgedParties(into output: inout Sink) {
        var waiting: [Int: [(sequence: UInt64, call: RouterModel.RoutedCall)]] = [:]
        // The router's tables hold exactly the requests in flight (each leaves them as it closes).
        for (sequence, call) in router!.calls where !call.legInFlight {
            waiting[router!.ends[call.stream.index].to, default: []].append((sequence, call))
        }
        for (party, calls) in waiting.sorted(by: { $0.key < $1.key }) {
            let ordered = calls.sorted { $0.sequence < $1.sequence }
            let first = ordered[0]
            let facts = router!.parties[party]
            let since = first.call.request.timeNs
            guard facts.latestAnsweredRequestNs < since else { continue }
            let cause = facts.causes.last { $0.stamp.timeNs <= since }
            let stillSent = facts.lastSent.map { $0.timeNs > since } ?? false
            // Two or more calls unanswered while it still sends, or anything after a cause it is
            // known to stick on; a party that went silent with no cause may simply be gone.
            guard (stillSent && ordered.count >= 2) || cause != nil else { continue }
            let names = directory[first.call.stream.index].names
            let method = methods.names[first.call.key.method]
            var text = "\(facts.name) stopped answering: none of the \(ordered.count) call\(ordered.count == 1 ? "" : "s") "
                + "made to it from record \(first.call.request.number) on was answered (the first: \(method), msgid "
                + "\(first.call.msgid) from \(names.from) on \(names.channel))"
            if stillSent, let last = facts.lastSent {
                text += ", while it went on sending for \(Self.duration(last.timeNs.saturatingSpan(since: since))) after it "
                    + "(its last message: \(Self.kindName(facts.lastSentKind)), record \(last.number))"
            } else {
                text += ", and it sent nothing more"
            }
            if let cause { text += "; just before, \(cause.text)" }
            output.finding(Finding(.peerWedged, at: since, record: first.call.request.number, text,
                                   cores: [facts.name, names.from], channel: names.channel, msgid: first.call.msgid,
                                   method: method))
        }
    }

    static func kindName(_ kind: Envelope.Kind?) -> String {
        switch kind {
        case .request: "a call"
        case .response: "an answer"
        case .notification: "a notification"
        case nil: "none"
        }
    }

    /// `870 ns`, `86.8 µs`, `2.004 ms`, `1.250 s`.
    static func duration(_ ns: Int64) -> String {
        func fixed(_ value: Int64, _ unit: Int64, _ digits: Int) -> String {
            let whole = value / unit
            var fraction = String((value % unit) * Int64(pow10(digits)) / unit)
            fraction = String(repeating: "0", count: max(0, digits - fraction.count)) + fraction
            return "\(whole).\(fraction)"
        }
        switch ns {
        case ..<1_000: return "\(ns) ns"
        case ..<1_000_000: return fixed(ns, 1_000, 1) + " µs"
        case ..<1_000_000_000: return fixed(ns, 1_000_000, 3) + " ms"
        default: return fixed(ns, 1_000_000_000, 3) + " s"
        }
    }

    private static func pow10(_ digits: Int) -> Int { (0..<digits).reduce(1) { value, _ in value * 10 } }
}
