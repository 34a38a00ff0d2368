import MessagePack

/// The replay's side of the UNO Q's serial link: answers the MCU as arduino-router does
/// (internal/msgpackrouter/router.go at 74fcdf0), so that a sketch's `Bridge.begin()` completes
/// and its calls to app methods get the recorded answers.
///
/// - `$/reset` with no params: forgets the MCU's methods, `true`; with params, `[1, "invalid
///   params: no params are expected"]`.
/// - `$/register [name]`: `true`; a name already registered, `[5, "route already exists:
///   name"]`; not one string, `[1, …]`.
/// - anything else: the recorded answer to that method and params (`$/version` included), else
///   `$/version` is the router's development build's `"0.0.0-dev"`, else `[2, "method NAME not
///   available"]`, the router's own words.
/// - notifications: counted; the router drops those nobody registered.
public final class RouterStandIn: ReplayResponder {
    private var answers: RecordedAnswers
    /// `$/reset` arrived: the MCU started (RouterBridge sends it from `Bridge.begin()`).
    public private(set) var resets = 0
    /// The methods the MCU registered since its last `$/reset`, in order.
    public private(set) var registered: [String] = []
    public private(set) var notifications: [String: Int] = [:]

    public init(answers: RecordedAnswers) { self.answers = answers }

    public func answer(method: String, params: MessagePackValue) -> (error: MessagePackValue, result: MessagePackValue) {
        let arguments: [MessagePackValue]
        if case .array(let list) = params { arguments = list } else { arguments = [params] }
        switch method {
        case "$/reset":
            guard arguments.isEmpty else { return (Self.error(1, "invalid params: no params are expected"), .nil) }
            resets += 1
            registered = []
            return (.nil, .bool(true))
        case "$/register":
            guard arguments.count == 1 else {
                return (Self.error(1, "invalid params: only one param is expected, got \(arguments.count)"), .nil)
            }
            guard let name = arguments[0].textValue else { return (Self.error(1, "invalid params: expected string"), .nil) }
            guard !registered.contains(name) else { return (Self.error(5, "route already exists: \(name)"), .nil) }
            registered.append(name)
            return (.nil, .bool(true))
        default:
            if let recorded = answers.take(method: method, params: params) { return (recorded.error, recorded.result) }
            if method == "$/version" { return (.nil, .string("0.0.0-dev")) }
            return (Self.error(2, "method \(method) not available"), .nil)
        }
    }

    public func notified(method: String, params: MessagePackValue) {
        notifications[method, default: 0] += 1
    }

    private static func error(_ code: UInt64, _ message: String) -> MessagePackValue {
        .array([.uint(code), .string(message)])
    }
}
