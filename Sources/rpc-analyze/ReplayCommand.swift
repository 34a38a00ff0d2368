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
        abstract: "Re-send a capture's recorded requests to a live server, router or MCU and compare the answers.",
        discussion: """
        Takes one party of the recording (--client, else the caller of the first request that is \
        not a `$/…` one; on a serial: target, the party that answered the MCU's `$/reset`), sends its requests and notifications to the target in their recorded \
        order, answers what the target asks of it with the recorded answers, waits for every \
        answer and reports each that differs from the recorded one, path by path, with the \
        latency then and now. Exit 1 on any difference or missing answer: this is how a firmware \
        or server change is checked against yesterday's recording.

        unix:PATH (the Arduino UNO Q's router, /var/run/arduino-router.sock): one app \
        connection; the methods it provided are registered first (when the recording lacks the \
        `$/register`) and the calls the router forwards for them get the recorded answers. \
        --providers also stands in for the recording's other apps, each on its own connection.

        serial:DEVICE (the MCU's UART; stop arduino-router first, it holds the port): acts as the \
        router. Waits for the MCU's `$/reset` (--wait-reset), answers it and `$/register` as the \
        router does, then sends the router's recorded calls to the MCU.

          rpc-analyze replay session.pcap --target tcp://127.0.0.1:7000
          rpc-analyze replay session.pcap --target tcp://[::1]:7000 --pace --ignore result.timestamp --ignore 'result.*.id'
          rpc-analyze replay unoq-tcp-hop.pcap --target unix:/var/run/arduino-router.sock --providers
          rpc-analyze replay unoq-serial-hop.pcap --target serial:/dev/ttyHS1 --baud 115200 --pace
        """
    )

    @Argument(help: "The recorded capture.")
    var file: String

    @Option(help: ArgumentHelp("The live peer: tcp://HOST:PORT, unix:PATH or serial:DEVICE.", valueName: "target"))
    var target: String

    @Option(help: ArgumentHelp("The recorded party to replay, by its name in the report (127.0.0.1:49846, core0).", valueName: "name"))
    var client: String?

    @Option(help: "The serial line's speed (serial: targets), 8N1.")
    var baud = 115_200

    @Option(name: .customLong("wait-reset"), help: ArgumentHelp(
        "Seconds to wait for the MCU's $/reset on a serial: target before giving up; 0: the MCU already runs.", valueName: "seconds"))
    var waitReset: Double = 10

    @Flag(help: "unix: targets: also register the other recorded apps' methods and answer them with their recorded answers.")
    var providers = false

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
        guard let destination = ReplayTarget(target, baud: baud) else {
            throw CouldNotAnalyse("--target \(target): expected \(ReplayTarget.syntax)")
        }
        guard waitReset >= 0, timeout > 0 else { throw CouldNotAnalyse("--wait-reset and --timeout take a number of seconds above 0") }
        let recording: ReportCollector
        do {
            recording = try CaptureAnalysis.run(path: file, options: AnalysisOptions(replay: false),
                                                sink: ReportCollector.complete).sink
        } catch {
            throw CouldNotAnalyse(error.description)
        }
        let plan = try ReplayPlan(recording: recording, client: client, serial: destination.isSerial, file: file)
        let run = try ReplayRun(plan: plan, target: destination, options: .init(
            ignore: ignore, timeout: timeout, pace: pace, providers: providers, waitReset: waitReset))
        let outcomes = run.outcomes
        let differing = outcomes.filter { !$0.differences.isEmpty }.count
        let answered = outcomes.filter { $0.latencyNowNs != nil }
        let wire = destination.wireTime
        switch format {
        case .text:
            for note in run.notes { print("note  \(note)") }
            for difference in run.setupDifferences { print("DIFF  set-up: \(difference)") }
            for outcome in outcomes where !outcome.differences.isEmpty {
                let then = outcome.call.latencyNs.map(Formatting.duration) ?? "unanswered"
                let now = outcome.latencyNowNs.map(Formatting.duration) ?? "no answer"
                print("DIFF  msgid \(outcome.call.msgid) \(outcome.call.method) (latency \(then) then, \(now) now)")
                for difference in outcome.differences { print("        \(difference)") }
            }
            print("replayed \(outcomes.count) call\(outcomes.count == 1 ? "" : "s") from \(plan.client) to \(destination): "
                + "\(answered.count) answered, \(differing) differ from the recording")
            if let median = Self.median(answered.compactMap(\.latencyNowNs)) {
                var line = "round trip per call: median \(Formatting.duration(median)) now"
                if let wire, let wireMedian = Self.median(answered.map { wire($0.requestBytes + $0.answerBytes) }) {
                    line += "; the request and answer bytes take a median \(Formatting.duration(wireMedian)) on the wire at \(baud) 8N1"
                }
                print(line)
            }
        case .json:
            print(Self.json(outcomes, run: run, client: plan.client, target: destination, answered: answered.count, differing: differing))
        }
        if let reason = run.closedReason {
            printError("rpc-analyze: \(destination) \(reason) during the replay: \(answered.count) of \(outcomes.count) calls answered")
        }
        if let junit { try Self.writeJUnit(outcomes, setup: run.setupDifferences, file: file, to: junit) }
        if differing > 0 || !run.setupDifferences.isEmpty { throw ExitCode(1) }
    }

    static func median(_ values: [Int64]) -> Int64? {
        guard !values.isEmpty else { return nil }
        return values.sorted()[(values.count - 1) / 2]
    }

    static func writeJUnit(_ outcomes: [ReplayOutcome], setup: [String], file: String, to path: String) throws {
        var cases = outcomes.map { outcome in
            RegressionSuite.Outcome(name: "msgid \(outcome.call.msgid) \(outcome.call.method)",
                                    status: outcome.differences.isEmpty ? .passed : .failed(differences: outcome.differences),
                                    seconds: Double(outcome.latencyNowNs ?? 0) / 1e9)
        }
        if !setup.isEmpty { cases.insert(.init(name: "set-up", status: .failed(differences: setup), seconds: 0), at: 0) }
        do {
            try JUnitReport.render(cases, suite: "replay \((file as NSString).lastPathComponent)")
                .write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw CouldNotAnalyse("cannot write \(path): \(error.localizedDescription)")
        }
    }
}

enum ReplayFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
