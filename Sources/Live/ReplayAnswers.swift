import MessagePack

/// What a replay does with the requests and notifications the peer sends it: the router
/// forwarding a call for a method the replayed app provides, or the MCU calling the router.
public protocol ReplayResponder: AnyObject {
    /// The answer to a request: `(error, result)`, one of them nil as on the wire.
    func answer(method: String, params: MessagePackValue) -> (error: MessagePackValue, result: MessagePackValue)
    func notified(method: String, params: MessagePackValue)
}

/// The answers a party gave in the recording, looked up by method and params: the peer's
/// msgids are its own (the router rewrites them per connection), so they cannot be the key.
public struct RecordedAnswers: Sendable {
    public struct Answer: Sendable {
        public var params: MessagePackValue
        public var error: MessagePackValue
        public var result: MessagePackValue
        public init(params: MessagePackValue, error: MessagePackValue, result: MessagePackValue) {
            self.params = params
            self.error = error
            self.result = result
        }
    }

    private var byMethod: [String: [Answer]] = [:]
    /// How many of each method's answers were used, so that the same call asked twice gets the
    /// recorded answers in their recorded order (a counter, a toggle).
    private var used: [String: Int] = [:]

    public init() {}

    public mutating func add(method: String, _ answer: Answer) {
        byMethod[method, default: []].append(answer)
    }

    public var methods: [String] { Array(byMethod.keys) }

    /// The next unused recorded answer to `method` with these params, else the last one given
    /// with these params, else nil: with other params a recorded answer would be a guess.
    public mutating func take(method: String, params: MessagePackValue) -> Answer? {
        guard let answers = byMethod[method] else { return nil }
        let matching = answers.indices.filter { answers[$0].params == params }
        guard let last = matching.last else { return nil }
        let key = method + "\u{0}" + params.preview(limit: 200)
        let count = used[key, default: 0]
        used[key] = count + 1
        return answers[count < matching.count ? matching[count] : last]
    }
}

/// Stands in for an app whose recorded connection is replayed: answers the calls the router
/// forwards for the app's methods with the app's recorded answers.
public final class AppStandIn: ReplayResponder {
    private var answers: RecordedAnswers
    public private(set) var notifications: [String: Int] = [:]
    public private(set) var unanswerable: [String] = []

    public init(answers: RecordedAnswers) { self.answers = answers }

    public func answer(method: String, params: MessagePackValue) -> (error: MessagePackValue, result: MessagePackValue) {
        if let recorded = answers.take(method: method, params: params) { return (recorded.error, recorded.result) }
        let call = "\(method)\(params.preview(limit: 60))"
        unanswerable.append(call)
        // RPClite's and the Python bridge's generic code: the caller sees an error, not a hang.
        return (.array([.uint(0xFF), .string("rpc-analyze replay: no recorded answer for \(call)")]), .nil)
    }

    public func notified(method: String, params: MessagePackValue) {
        notifications[method, default: 0] += 1
    }
}
