import Live
import MessagePack
import Report
#if canImport(Glibc)
import Glibc
#endif

/// One replay against a target, from connecting to the last answer: the set-up each kind of
/// target needs (stand-ins registered on the router's socket; the MCU's start on a serial
/// line), then the recorded messages.
struct ReplayRun {
    var outcomes: [ReplayOutcome] = []
    /// Why the target stopped answering, when it went away during the replay.
    var closedReason: String?
    /// One line each about the set-up: stand-ins registered, what the MCU registered.
    var notes: [String] = []
    /// The MCU's registrations, on a serial target.
    var registered: [String]?
    /// Set-up that went differently from the recording (a registration refused, the MCU's
    /// methods changed): reported, and fails the run like a changed answer.
    var setupDifferences: [String] = []

    struct Options {
        var ignore: [String]
        var timeout: Double
        var pace: Bool
        var providers: Bool
        /// Seconds to wait for the MCU's `$/reset` on a serial target; 0: it already runs.
        var waitReset: Double
    }

    init(plan: ReplayPlan, target: ReplayTarget, options: Options) throws {
        let link: ReplayLink
        do { link = try target.connect() } catch { throw CouldNotAnalyse(error.description) }
        let router = target.isSerial ? RouterStandIn(answers: plan.answers) : nil
        let responder: ReplayResponder = router ?? AppStandIn(answers: plan.answers)
        let replay = TargetReplay(main: link, responder: responder, ignore: options.ignore, timeoutSeconds: options.timeout)
        do {
            if let router {
                try awaitStart(replay, router, plan: plan, target: target, options: options)
            } else if case .unix = target {
                try registerStandIns(replay, main: link, plan: plan, target: target, options: options)
            }
            outcomes = try replay.run(plan.messages, pace: options.pace)
        } catch let error as CouldNotAnalyse {
            throw error
        } catch {
            throw CouldNotAnalyse("\(error)")
        }
        closedReason = replay.closedReason
        let received = router?.notifications ?? (responder as? AppStandIn)?.notifications ?? [:]
        let methods = Set(received.keys).union(plan.notificationsReceived.keys).sorted()
        if !methods.isEmpty {
            let counts = methods.map { "\($0) ×\(received[$0] ?? 0) (recorded \(plan.notificationsReceived[$0] ?? 0))" }
            notes.append("notifications received: \(counts.joined(separator: ", "))")
        }
        if let app = responder as? AppStandIn, !app.unanswerable.isEmpty {
            notes.append("forwarded calls with no recorded answer (answered with an error): \(app.unanswerable.joined(separator: ", "))")
        }
    }

    /// Waits for the MCU to start (its `$/reset`, after RouterBridge's banner) and register its
    /// methods, answering as the router does: calls sent before `Bridge.begin()` is done are
    /// lost on a real MCU.
    private mutating func awaitStart(_ replay: TargetReplay, _ router: RouterStandIn, plan: ReplayPlan,
                                     target: ReplayTarget, options: ReplayRun.Options) throws {
        if options.waitReset > 0 {
            let started = try replay.wait(atMostNs: Int64(options.waitReset * 1e9)) { router.resets > 0 }
            guard started else {
                let read = replay.bytesRead == 0 ? "nothing came"
                    : "\(replay.bytesRead) bytes came\(replay.nonRPCText.isEmpty ? "" : " (\"\(replay.nonRPCText)\")") but no $/reset"
                if let reason = replay.closedReason { throw CouldNotAnalyse("\(target): \(reason) before the MCU started") }
                throw CouldNotAnalyse("\(target): the MCU did not start within \(Formatting.duration(Int64(options.waitReset * 1e9))): "
                    + "\(read). Reset the MCU once the replay is waiting, check --baud and that arduino-router is stopped "
                    + "(it holds the port); --wait-reset 0 if the MCU is already running")
            }
            // Registrations follow the reset one call at a time; wait for the recorded ones
            // (or 2 s of a firmware that registers fewer).
            let recorded = Set(plan.peerRegistrations)
            _ = try replay.wait(atMostNs: 2_000_000_000) { recorded.isSubset(of: Set(router.registered)) }
            registered = router.registered
            let banner = replay.nonRPCText.isEmpty ? "no banner" : "banner \"\(replay.nonRPCText)\""
            notes.append("the MCU started (\(banner), $/reset) and registered \(router.registered.joined(separator: ", "))")
            if router.registered != plan.peerRegistrations {
                let missing = plan.peerRegistrations.filter { !router.registered.contains($0) }
                let new = router.registered.filter { !plan.peerRegistrations.contains($0) }
                var parts: [String] = []
                if !missing.isEmpty { parts.append("not registered now: \(missing.joined(separator: ", "))") }
                if !new.isEmpty { parts.append("new: \(new.joined(separator: ", "))") }
                if parts.isEmpty { parts.append("in another order: \(router.registered.joined(separator: ", "))") }
                setupDifferences.append("$/register: \(parts.joined(separator: "; "))")
            }
        }
        if let reason = replay.closedReason { throw CouldNotAnalyse("\(target): \(reason) before the replay began") }
    }

    /// On the router's socket: the client's methods whose `$/register` the recording lacks, and
    /// with `--providers` the other recorded apps' methods, each on a connection of its own.
    private mutating func registerStandIns(_ replay: TargetReplay, main: ReplayLink, plan: ReplayPlan,
                                           target: ReplayTarget, options: ReplayRun.Options) throws {
        // Msgids far above the recording's, so that a late answer is never taken for a call's.
        var msgid: UInt64 = 1 << 31
        for method in plan.unregisteredMethods {
            try register(method, on: main, as: plan.client, replay, &msgid)
        }
        guard options.providers else { return }
        for provider in plan.providers {
            let link: ReplayLink
            do { link = try target.connect() } catch { throw CouldNotAnalyse(error.description) }
            replay.serve(link, responder: AppStandIn(answers: provider.answers))
            for method in provider.methods { try register(method, on: link, as: provider.name, replay, &msgid) }
            notes.append("standing in for \(provider.name): \(provider.methods.joined(separator: ", "))")
        }
    }

    private mutating func register(_ method: String, on link: ReplayLink, as party: String, _ replay: TargetReplay,
                                   _ msgid: inout UInt64) throws {
        msgid += 1
        let answer = try replay.setupCall(on: link, msgid: msgid, method: "$/register", params: .array([.string(method)]))
        guard let answer else {
            setupDifferences.append("$/register \(method) for \(party): no answer within the timeout")
            return
        }
        if answer.error != .nil || answer.result != .bool(true) {
            setupDifferences.append("$/register \(method) for \(party): \(answer.error != .nil ? answer.error.preview(limit: 80) : answer.result.preview(limit: 80))")
        }
    }
}
