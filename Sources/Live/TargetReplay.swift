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
}

/// `rpc-analyze replay capture.pcap --target tcp://HOST:PORT`: sends a recorded client's
/// requests and notifications to a live server in their recorded order, waits for the answers
/// and compares each with the recorded one.
public final class TargetReplay {
    private let descriptor: Int32
    private let ignore: [[Substring]]
    private let timeoutNs: Int64
    private var incoming: [UInt8] = []
    private var inFlight: [UInt64: (index: Int, sentNs: Int64)] = [:]
    private var outcomes: [ReplayOutcome?] = []
    private var calls: [RecordedCall] = []

    public init(target: HostPort, ignore: [String], timeoutSeconds: Double) throws {
        descriptor = try Socket.connect(to: target)
        self.ignore = ignore.map { $0.split(separator: ".") }
        timeoutNs = Int64(timeoutSeconds * 1e9)
    }

    deinit { close(descriptor) }

    /// Replays `messages`; with `pace`, keeps the recorded gaps between them.
    public func run(_ messages: [RecordedMessage], pace: Bool) throws -> [ReplayOutcome] {
        let first = messages.first?.timeNs ?? 0
        let start = Socket.nowNs()
        for message in messages {
            if pace {
                let due = start + (message.timeNs - first)
                while Socket.nowNs() < due { try receive(untilNs: due) }
            }
            switch message {
            case .notification(let method, let params, _):
                try send(.array([.uint(2), .string(method), params]))
            case .call(let call):
                // A msgid still in flight is waited for first, as the recorded client did.
                while inFlight[call.msgid] != nil {
                    guard try receive(untilNs: Socket.nowNs() + timeoutNs) else { break }
                }
                inFlight.removeValue(forKey: call.msgid)
                calls.append(call)
                outcomes.append(nil)
                if call.latencyNs != nil { inFlight[call.msgid] = (calls.count - 1, Socket.nowNs()) }
                try send(.array([.uint(0), .uint(call.msgid), .string(call.method), call.params]))
                _ = try receive(untilNs: Socket.nowNs())
            }
        }
        let deadline = Socket.nowNs() + timeoutNs
        while !inFlight.isEmpty, try receive(untilNs: deadline) {}
        return calls.indices.map { index in
            outcomes[index] ?? ReplayOutcome(
                call: calls[index], latencyNowNs: nil,
                differences: calls[index].latencyNs == nil ? [] : ["no answer within the timeout"]
            )
        }
    }

    private func send(_ value: MessagePackValue) throws {
        try MessagePackEncoder.encode(value).withUnsafeBytes { try Socket.send(descriptor, $0) }
    }

    /// Reads and handles answers until `untilNs`; false when nothing more can come (timeout or
    /// a closed connection).
    @discardableResult
    private func receive(untilNs: Int64) throws -> Bool {
        repeat {
            let waitMs = Int32(max(0, min(200, (untilNs - Socket.nowNs()) / 1_000_000)))
            var descriptors = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&descriptors, 1, waitMs)
            if ready < 0, errno != EINTR { throw Socket.error("poll") }
            if ready > 0 {
                var buffer = [UInt8](repeating: 0, count: 65536)
                let count = recv(descriptor, &buffer, buffer.count, 0)
                guard count > 0 else { return false }
                incoming.append(contentsOf: buffer[..<count])
                handleIncoming()
                return true
            }
        } while Socket.nowNs() < untilNs
        return false
    }

    private func handleIncoming() {
        let now = Socket.nowNs()
        var consumed = 0
        incoming.withUnsafeBytes { raw in
            var reader = MessagePackReader(raw)
            while !reader.isAtEnd {
                let start = reader.offset
                guard reader.skipValue() else { break }
                consumed = reader.offset
                guard let value = MessagePackValue.decode(UnsafeRawBufferPointer(rebasing: raw[start..<reader.offset])),
                      case .array(let parts) = value, parts.count == 4, parts[0] == .uint(1),
                      case .uint(let msgid) = parts[1], let waiting = inFlight.removeValue(forKey: msgid) else { continue }
                answered(index: waiting.index, latency: now - waiting.sentNs, error: parts[2], result: parts[3])
            }
        }
        incoming.removeFirst(consumed)
    }

    private func answered(index: Int, latency: Int64, error: MessagePackValue, result: MessagePackValue) {
        let call = calls[index]
        var differences: [String] = []
        compare(call.error ?? .nil, error, path: ["error"], into: &differences)
        compare(call.result ?? .nil, result, path: ["result"], into: &differences)
        outcomes[index] = ReplayOutcome(call: call, latencyNowNs: latency, differences: differences)
    }

    private func ignored(_ path: [String]) -> Bool {
        ignore.contains { pattern in
            pattern.count <= path.count && zip(pattern, path).allSatisfy { $0 == "*" || $0 == $1 }
        }
    }

    /// Walks both values; reports each place they differ, by path (`result.ids.1`).
    private func compare(_ then: MessagePackValue, _ now: MessagePackValue, path: [String], into out: inout [String]) {
        guard !ignored(path) else { return }
        switch (then, now) {
        case (.array(let a), .array(let b)) where a.count == b.count:
            for i in a.indices { compare(a[i], b[i], path: path + [String(i)], into: &out) }
        case (.map(let a), .map(let b)) where a.count == b.count && zip(a, b).allSatisfy({ $0.key == $1.key }):
            for (x, y) in zip(a, b) { compare(x.value, y.value, path: path + [x.key.textValue ?? x.key.description], into: &out) }
        default:
            if then != now {
                out.append("\(path.joined(separator: ".")): recorded \(then.preview(limit: 80)), now \(now.preview(limit: 80))")
            }
        }
    }
}
