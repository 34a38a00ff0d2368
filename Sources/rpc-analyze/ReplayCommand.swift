import ArgumentParser
import Live
import MessagePack
import Pipeline
import Report

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-send a capture's recorded requests to a live server and compare the answers.",
        discussion: """
        Takes the client side of the recording (the side of the first request), sends its \
        requests and notifications to the target in their recorded order, waits for every answer \
        and reports each answer that differs from the recorded one, path by path, with the \
        latency then and now. Exit 1 on any difference or missing answer: this is how a firmware \
        or server change is checked against yesterday's recording.

          rpc-analyze replay session.pcap --target tcp://127.0.0.1:7000
          rpc-analyze replay session.pcap --target tcp://[::1]:7000 --pace --ignore result.timestamp --ignore 'result.*.id'
        """
    )

    @Argument(help: "The recorded capture.")
    var file: String

    @Option(help: ArgumentHelp("The live server: tcp://HOST:PORT.", valueName: "url"))
    var target: String

    @Flag(help: "Keep the recorded gaps between messages instead of sending as fast as possible.")
    var pace = false

    @Option(help: ArgumentHelp("A path not to compare, such as result.timestamp or result.*.id (repeatable).", valueName: "path"))
    var ignore: [String] = []

    @Option(help: "Seconds to wait for an answer.")
    var timeout: Double = 5

    func run() throws {
        guard let address = HostPort(target), target.hasPrefix("tcp://") else {
            throw CouldNotAnalyse("--target \(target): expected tcp://HOST:PORT")
        }
        let recording: ReportCollector
        do {
            recording = try CaptureAnalysis.run(path: file, options: AnalysisOptions(replay: false),
                                                sink: ReportCollector.complete).sink
        } catch {
            throw CouldNotAnalyse(error.description)
        }
        let calls = recording.transactionsInRequestOrder
        guard let client = calls.first?.caller else { throw CouldNotAnalyse("\(file): no request to replay") }
        var messages: [RecordedMessage] = calls.filter { $0.caller == client }.map {
            .call(RecordedCall(msgid: $0.msgid, method: $0.method, params: $0.params ?? .array([]),
                               requestNs: $0.request.timeNs, latencyNs: $0.latencyNs, error: $0.error,
                               result: $0.status == .unanswered ? nil : ($0.result ?? .nil)))
        }
        messages += recording.notifications.filter { $0.from == client }.map {
            .notification(method: $0.method, params: $0.params ?? .array([]), timeNs: $0.origin.timeNs)
        }
        messages.sort { $0.timeNs < $1.timeNs }
        let outcomes: [ReplayOutcome]
        do {
            outcomes = try TargetReplay(target: address, ignore: ignore, timeoutSeconds: timeout).run(messages, pace: pace)
        } catch {
            throw CouldNotAnalyse("\(error)")
        }
        var differing = 0
        for outcome in outcomes where !outcome.differences.isEmpty {
            differing += 1
            let then = outcome.call.latencyNs.map(Formatting.duration) ?? "unanswered"
            let now = outcome.latencyNowNs.map(Formatting.duration) ?? "no answer"
            print("DIFF  msgid \(outcome.call.msgid) \(outcome.call.method) (latency \(then) then, \(now) now)")
            for difference in outcome.differences { print("        \(difference)") }
        }
        let answered = outcomes.filter { $0.latencyNowNs != nil }
        print("replayed \(outcomes.count) call\(outcomes.count == 1 ? "" : "s") from \(client) to \(address): "
            + "\(answered.count) answered, \(differing) differ from the recording")
        if differing > 0 { throw ExitCode(1) }
    }
}
