import ArgumentParser
import Foundation
import Live
import MessagePack
import Pipeline
import Regression
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

    @Option(help: "Output: text, or json (one object with every call compared and a summary).")
    var format: ReplayFormat = .text

    @Option(help: "Also write the comparison as JUnit XML to this file (one test case per call).")
    var junit: String?

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
        let differing = outcomes.filter { !$0.differences.isEmpty }.count
        let answered = outcomes.filter { $0.latencyNowNs != nil }
        switch format {
        case .text:
            for outcome in outcomes where !outcome.differences.isEmpty {
                let then = outcome.call.latencyNs.map(Formatting.duration) ?? "unanswered"
                let now = outcome.latencyNowNs.map(Formatting.duration) ?? "no answer"
                print("DIFF  msgid \(outcome.call.msgid) \(outcome.call.method) (latency \(then) then, \(now) now)")
                for difference in outcome.differences { print("        \(difference)") }
            }
            print("replayed \(outcomes.count) call\(outcomes.count == 1 ? "" : "s") from \(client) to \(address): "
                + "\(answered.count) answered, \(differing) differ from the recording")
        case .json:
            print(Self.json(outcomes, answered: answered.count, differing: differing))
        }
        if let junit {
            let cases = outcomes.map { outcome in
                RegressionSuite.Outcome(name: "msgid \(outcome.call.msgid) \(outcome.call.method)",
                                        status: outcome.differences.isEmpty ? .passed : .failed(differences: outcome.differences),
                                        seconds: Double(outcome.latencyNowNs ?? 0) / 1e9)
            }
            do {
                try JUnitReport.render(cases, suite: "replay \((file as NSString).lastPathComponent)")
                    .write(toFile: junit, atomically: true, encoding: .utf8)
            } catch {
                throw CouldNotAnalyse("cannot write \(junit): \(error.localizedDescription)")
            }
        }
        if differing > 0 { throw ExitCode(1) }
    }

    static func json(_ outcomes: [ReplayOutcome], answered: Int, differing: Int) -> String {
        var json = JSONWriter()
        json.beginObject()
        json.key("calls")
        json.beginArray()
        for outcome in outcomes {
            json.beginObject()
            json.key("msgid"); json.int(outcome.call.msgid)
            json.key("method"); json.string(outcome.call.method)
            json.key("latency_then_ns"); json.optionalInt(outcome.call.latencyNs)
            json.key("latency_now_ns"); json.optionalInt(outcome.latencyNowNs)
            json.key("differences")
            json.beginArray()
            for difference in outcome.differences { json.string(difference) }
            json.endArray()
            json.endObject()
        }
        json.endArray()
        json.key("summary")
        json.beginObject()
        json.key("calls"); json.int(outcomes.count)
        json.key("answered"); json.int(answered)
        json.key("differing"); json.int(differing)
        json.endObject()
        json.endObject()
        return json.text
    }
}

enum ReplayFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
