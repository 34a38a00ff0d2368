import Live
import MessagePack
import RPC
import Report

/// What `replay` takes from a recording: the replayed party's calls and notifications, the
/// answers it gave to calls made to it, and the other apps that provided methods.
struct ReplayPlan {
    /// Another recorded party that provided methods (an app behind the router), stood in for
    /// with `--providers`.
    struct Provider {
        var name: String
        var methods: [String]
        var answers: RecordedAnswers
    }

    var client: String
    /// The party the client called (the router, or the server).
    var peer: String?
    var messages: [RecordedMessage]
    /// The client's recorded answers to calls made to it (forwarded app calls; on the serial
    /// hop the MCU's `$/reset`, `$/register`, `$/version` and app calls).
    var answers = RecordedAnswers()
    /// Methods the client provided that its replayed messages do not register themselves
    /// (the recording started after its `$/register`): registered before the replay.
    var unregisteredMethods: [String] = []
    /// What the peer registered with the client in the recording (the MCU's methods).
    var peerRegistrations: [String] = []
    var providers: [Provider] = []
    /// Notifications the client received in the recording, by method.
    var notificationsReceived: [String: Int] = [:]

    /// `client`: `--client`, else the caller of the first request that is not the protocol's
    /// own (`$/…`): an app rather than the MCU registering, the router rather than the MCU.
    /// On a serial target the default is the party that answered the MCU's `$/reset` (the
    /// router's side of the serial hop), when the recording has one.
    init(recording: ReportCollector, client chosen: String?, serial: Bool, file: String) throws {
        let calls = recording.transactionsInRequestOrder
        let callers = Self.unique(calls.map(\.caller))
        let client: String
        if let chosen {
            guard callers.contains(chosen) else {
                throw CouldNotAnalyse("--client \(chosen): \(file) has no request from it; callers: \(callers.joined(separator: ", "))")
            }
            client = chosen
        } else if serial, let reset = calls.first(where: { $0.method == "$/reset" }) {
            client = reset.callee
        } else {
            guard let first = calls.first(where: { !$0.method.hasPrefix("$/") }) ?? calls.first else {
                throw CouldNotAnalyse("\(file): no request to replay")
            }
            client = first.caller
        }
        self.client = client
        let own = calls.filter { $0.caller == client }
        let peer = own.first?.callee
        self.peer = peer
        var messages: [RecordedMessage] = own.map {
            .call(RecordedCall(msgid: $0.msgid, method: $0.method, params: $0.params ?? .array([]),
                               requestNs: $0.request.timeNs, latencyNs: $0.latencyNs, error: $0.error,
                               result: $0.status == .unanswered ? nil : ($0.result ?? .nil)))
        }
        messages += recording.notifications.filter { $0.from == client }.map {
            .notification(method: $0.method, params: $0.params ?? .array([]), timeNs: $0.origin.timeNs)
        }
        messages.sort { $0.timeNs < $1.timeNs }
        self.messages = messages

        let toClient = calls.filter { $0.callee == client && $0.status != .unanswered }
        answers = Self.answers(toClient)
        peerRegistrations = toClient.filter { $0.method == "$/register" }.compactMap(Self.firstText)
        let registeredByClient = Set(own.filter { $0.method == "$/register" }.compactMap(Self.firstText))
        // A method the router forwarded to the client, or a notification it received, was one
        // the client had registered; the protocol's own methods are the router's.
        for notification in recording.notifications where notification.to == client {
            notificationsReceived[notification.method, default: 0] += 1
        }
        let provided = toClient.map(\.method) + recording.notifications.filter { $0.to == client }.map(\.method)
        unregisteredMethods = Self.unique(provided.filter { !$0.hasPrefix("$/") && !registeredByClient.contains($0) })

        guard let peer else { return }
        let others = Self.unique(calls.filter { $0.callee == peer && $0.caller != client }.map(\.caller))
        for other in others {
            let registered = calls.filter { $0.caller == other && $0.method == "$/register" && $0.status == .ok }
                .compactMap(Self.firstText)
            let served = calls.filter { $0.callee == other && $0.caller == peer }
            let methods = Self.unique(registered + served.map(\.method).filter { !$0.hasPrefix("$/") })
            if !methods.isEmpty { providers.append(Provider(name: other, methods: methods, answers: Self.answers(served))) }
        }
    }

    private static func answers(_ calls: [Transaction]) -> RecordedAnswers {
        var answers = RecordedAnswers()
        for call in calls where call.status != .unanswered {
            answers.add(method: call.method, .init(params: call.params ?? .array([]), error: call.error ?? .nil,
                                                   result: call.result ?? .nil))
        }
        return answers
    }

    private static func firstText(_ call: Transaction) -> String? {
        guard case .array(let params)? = call.params else { return nil }
        return params.first?.textValue
    }

    private static func unique(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}
