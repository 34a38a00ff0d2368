import MessagePack
#if canImport(Glibc)
import Glibc
#endif

/// One message a recorded client sent.
public enum RecordedMessage: Sendable {
    case call(RecordedCall)
    case notification(method: String, params: MessagePackValue, timeNs: Int64)

    /// When the recorded client sent it.
    public var timeNs: Int64 {
        switch self {
        case .call(let call): call.requestNs
        case .notification(_, _, let time): time
        }
    }
}

public struct RecordedCall: Sendable {
    public var msgid: UInt64
    public var method: String
    public var params: MessagePackValue
    public var requestNs: Int64
    /// Nil when the call was never answered in the recording.
    public var latencyNs: Int64?
    public var error: MessagePackValue?
    public var result: MessagePackValue?

    public init(msgid: UInt64, method: String, params: MessagePackValue, requestNs: Int64, latencyNs: Int64?,
                error: MessagePackValue?, result: MessagePackValue?) {
        self.msgid = msgid
        self.method = method
        self.params = params
        self.requestNs = requestNs
        self.latencyNs = latencyNs
        self.error = error
        self.result = result
    }
}

/// How one call went against the target, compared with the recording.
public struct ReplayOutcome: Sendable {
    public var call: RecordedCall
    public var latencyNowNs: Int64?
    /// `path: recorded …, now …` for every difference outside the ignored paths.
    public var differences: [String]
    /// The request's and the answer's encoded sizes (0 for an answer that never came): what a
    /// serial line carries, to work out its wire time.
    public var requestBytes = 0
    public var answerBytes = 0
}

/// `rpc-analyze replay capture.pcap --target …`: sends a recorded client's requests and
/// notifications to a live peer in their recorded order, answers what the peer asks of it
/// (through its `ReplayResponder`), waits for the answers and compares each with the recorded
/// one. Other links (stand-ins for the recording's other apps) are served in the same loop.
public final class TargetReplay {
    private let main: ReplayLink
    private var links: [(link: ReplayLink, responder: ReplayResponder)]
    private let comparer: ValueComparer
    private let timeoutNs: Int64
    private var inFlight: [UInt64: (index: Int, sentNs: Int64)] = [:]
    private var outcomes: [ReplayOutcome?] = []
    private var calls: [RecordedCall] = []
    private var requestBytes: [Int] = []
    /// Answers to the replay's own set-up calls (registrations), by link and msgid.
    private var setupAnswers: [Int: [UInt64: (error: MessagePackValue, result: MessagePackValue)]] = [:]

    public init(main: ReplayLink, responder: ReplayResponder, ignore: [String], timeoutSeconds: Double) {
        self.main = main
        links = [(main, responder)]
        comparer = ValueComparer(ignore: ignore)
        timeoutNs = Int64(timeoutSeconds * 1e9)
    }

    /// Serves another connection in the same loop: its requests go to `responder`.
    public func serve(_ link: ReplayLink, responder: ReplayResponder) {
        links.append((link, responder))
    }

    /// Why the main link can send no more, once it cannot.
    public var closedReason: String? { main.closedReason }
    public var bytesRead: Int { main.bytesRead }
    public var nonRPCText: String { main.nonRPCText }

    /// A call made for the replay's own sake (registering a method), not compared: its answer,
    /// or nil when none came within the timeout.
    public func setupCall(on link: ReplayLink, msgid: UInt64, method: String, params: MessagePackValue) throws(LiveError)
        -> (error: MessagePackValue, result: MessagePackValue)? {
        guard let index = links.firstIndex(where: { $0.link === link }) else { return nil }
        try link.send(.array([.uint(0), .uint(msgid), .string(method), params]))
        let deadline = Socket.nowNs() + timeoutNs
        while setupAnswers[index]?[msgid] == nil, link.closedReason == nil, Socket.nowNs() < deadline {
            try pump(untilNs: deadline)
        }
        return setupAnswers[index]?.removeValue(forKey: msgid)
    }

    /// Serves every link until `condition` holds, the main link closes or `durationNs` passes;
    /// whether `condition` held.
    public func wait(atMostNs durationNs: Int64, for condition: () -> Bool) throws(LiveError) -> Bool {
        let deadlineNs = Socket.nowNs() + durationNs
        while !condition(), main.closedReason == nil, Socket.nowNs() < deadlineNs {
            try pump(untilNs: deadlineNs)
        }
        return condition()
    }

    /// Replays `messages`; with `pace`, keeps the recorded gaps between them.
    public func run(_ messages: [RecordedMessage], pace: Bool) throws(LiveError) -> [ReplayOutcome] {
        let first = messages.first?.timeNs ?? 0
        let start = Socket.nowNs()
        for message in messages {
            if main.closedReason != nil { notSent(message); continue }
            if pace {
                let due = start + (message.timeNs - first)
                while Socket.nowNs() < due, main.closedReason == nil { try pump(untilNs: due) }
            }
            switch message {
            case .notification(let method, let params, _):
                try sendOrNote(.array([.uint(2), .string(method), params]))
            case .call(let call):
                // A msgid still in flight is waited for first, as the recorded client did
                // (unless that call went unanswered in the recording too).
                let deadline = Socket.nowNs() + timeoutNs
                while let waiting = inFlight[call.msgid], calls[waiting.index].latencyNs != nil,
                      main.closedReason == nil, Socket.nowNs() < deadline {
                    try pump(untilNs: deadline)
                }
                if main.closedReason != nil { notSent(message); continue }
                inFlight.removeValue(forKey: call.msgid)
                calls.append(call)
                outcomes.append(nil)
                requestBytes.append(0)
                // Calls the recording has no answer to are waited for too: an answer now is a
                // change (a wedge fixed, or a call that should have failed).
                inFlight[call.msgid] = (calls.count - 1, Socket.nowNs())
                requestBytes[calls.count - 1] = try sendOrNote(.array([.uint(0), .uint(call.msgid), .string(call.method), call.params]))
                try pump(untilNs: Socket.nowNs())
            }
        }
        let deadline = Socket.nowNs() + timeoutNs
        while !inFlight.isEmpty, main.closedReason == nil, Socket.nowNs() < deadline { try pump(untilNs: deadline) }
        let missing = main.closedReason.map { "no answer: \(main.name) \($0)" } ?? "no answer within the timeout"
        return calls.indices.map { index in
            var outcome = outcomes[index] ?? ReplayOutcome(
                call: calls[index], latencyNowNs: nil,
                differences: calls[index].latencyNs == nil ? [] : [missing]
            )
            outcome.requestBytes = requestBytes[index]
            return outcome
        }
    }

    /// A write that fails because the peer went away ends the sending, not the report.
    @discardableResult
    private func sendOrNote(_ value: MessagePackValue) throws(LiveError) -> Int {
        do {
            return try main.send(value)
        } catch {
            guard main.closedReason != nil else { throw error }
            return 0
        }
    }

    private func notSent(_ message: RecordedMessage) {
        guard case .call(let call) = message else { return }
        calls.append(call)
        requestBytes.append(0)
        outcomes.append(ReplayOutcome(call: call, latencyNowNs: nil,
                                      differences: ["not sent: \(main.name) \(main.closedReason ?? "closed")"]))
    }

    /// Polls every open link until something is read or `untilNs` passes (at least once),
    /// handling what arrives.
    private func pump(untilNs: Int64) throws(LiveError) {
        repeat {
            let open = links.indices.filter { links[$0].link.closedReason == nil }
            guard !open.isEmpty else { return }
            var descriptors = open.map { pollfd(fd: links[$0].link.descriptor, events: Int16(POLLIN), revents: 0) }
            let waitMs = Int32(max(0, min(100, (untilNs - Socket.nowNs()) / 1_000_000)))
            let ready = poll(&descriptors, nfds_t(descriptors.count), waitMs)
            if ready < 0, errno != EINTR { throw Socket.error("poll") }
            guard ready > 0 else { continue }
            for (slot, index) in open.enumerated() where descriptors[slot].revents != 0 {
                // POLLHUP without POLLIN still gets a read: it says 0 bytes or EIO, and why.
                for message in links[index].link.readAvailable() { try handle(message, on: index) }
            }
            return
        } while Socket.nowNs() < untilNs
    }

    private func handle(_ message: IncomingMessage, on index: Int) throws(LiveError) {
        let (link, responder) = links[index]
        switch message {
        case .request(let msgid, let method, let params):
            let (error, result) = responder.answer(method: method, params: params)
            do { try link.send(.array([.uint(1), .uint(msgid), error, result])) } catch where link !== main {}
        case .notification(let method, let params):
            responder.notified(method: method, params: params)
        case .response(let msgid, let error, let result, let bytes):
            if index == 0, let waiting = inFlight.removeValue(forKey: msgid) {
                let call = calls[waiting.index]
                var differences: [String] = []
                if call.latencyNs == nil {
                    let now = error != .nil ? "error \(error.preview(limit: 80))" : "result \(result.preview(limit: 80))"
                    differences.append("recorded no answer, now answered: \(now)")
                } else {
                    comparer.compare(call.error ?? .nil, error, path: ["error"], into: &differences)
                    comparer.compare(call.result ?? .nil, result, path: ["result"], into: &differences)
                }
                outcomes[waiting.index] = ReplayOutcome(call: call, latencyNowNs: Socket.nowNs() - waiting.sentNs,
                                                        differences: differences, answerBytes: bytes)
            } else {
                setupAnswers[index, default: [:]][msgid] = (error, result)
            }
        }
    }
}
