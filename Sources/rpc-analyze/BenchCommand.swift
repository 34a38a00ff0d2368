import ArgumentParser
import Capture
import Foundation
import Pipeline
import Report
import Scenario

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure analysis speed on a generated capture of small RPC frames.",
        discussion: """
        Writes a capture of about --megabytes MB (servo and sensor calls with their answers, \
        receiver-side records, some requests split over two records), then times, --runs times \
        each: libpcap's own read loop (pcap_next_ex) over the file, the direct reader the analysis \
        uses, and the whole analysis to the text summary with the replay off and on; then, in a \
        child process each (up to 3 times), --format jsonl and --format json to /dev/null with \
        their peak memory. Prints the median and spread of each and the ratios the README's \
        targets are stated in. The machine may be shared: compare medians, and ratios more than \
        absolute figures.

        With --hostile, writes instead a capture of each shape made to grow an analyzer's state or \
        repeat its work (many connections, flows, streams, names, locks; data that waits for ever; \
        junk) and analyses each in a child process, in summary and JSON Lines modes: seconds, MB/s, \
        peak resident memory, and time per byte against the ordinary capture of the same size.

          rpc-analyze bench --hostile --megabytes 10
          rpc-analyze bench --hostile --shape tcp-connections --shape locks-held
        """
    )

    @Flag(help: "Measure the hostile captures instead (see the discussion).")
    var hostile = false

    @Option(help: ArgumentHelp("With --hostile, only this shape (repeatable).", valueName: "shape"))
    var shape: [String] = []

    /// Write the capture to this file and stop (with --hostile, the one --shape: the benchmark
    /// writes each hostile capture in a child of its own, so that its memory never counts in an
    /// analysis's peak).
    @Option(name: .customLong("write-only"), help: ArgumentHelp("Only write the generated capture to this file.", valueName: "file"))
    var writeOnly: String?

    @Option(help: "Size of the generated capture in MB.")
    var megabytes = 100

    @Option(help: "Timed runs of each measurement.")
    var runs = 5

    @Option(help: "Use (and keep) this capture file instead of a temporary one; generated when missing.")
    var capture: String?

    func validate() throws {
        guard megabytes >= 1 else { throw ValidationError("--megabytes must be at least 1") }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        if hostile { return try runHostile() }
        if let writeOnly {
            do {
                let made = try SyntheticTraffic.write(to: writeOnly, targetBytes: megabytes * 1_000_000)
                print("wrote \(writeOnly): \(made.records) records, \(made.calls) calls")
            } catch {
                throw CouldNotAnalyse(error.description)
            }
            return
        }
        let path = capture ?? NSTemporaryDirectory() + "rpc-analyze-bench-\(getpid()).pcap"
        if !FileManager.default.fileExists(atPath: path) {
            do {
                let made = try SyntheticTraffic.write(to: path, targetBytes: megabytes * 1_000_000)
                print("generated \(path): \(made.records) records, \(made.calls) calls")
            } catch {
                throw CouldNotAnalyse(error.description)
            }
        }
        defer { if capture == nil { try? FileManager.default.removeItem(atPath: path) } }
        let size = Double((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        var records = 0

        func readLoop(direct: Bool) throws -> [Double] {
            try measure {
                let file = try CaptureFile(path: path, directReading: direct)
                var count = 0
                var checksum = 0
                while case .record(let record) = file.next() {
                    count += 1
                    checksum &+= record.bytes.count
                }
                records = count
                precondition(checksum > 0)
            }
        }
        // The yardstick: libpcap's own loop (pcap_next_ex), then the reader the analysis uses.
        let bare = try readLoop(direct: false)
        let direct = try readLoop(direct: true)
        var callsPerRun = 0
        func analyse(replay: Bool) throws -> [Double] {
            try measure {
                let result = try CaptureAnalysis.run(path: path, options: AnalysisOptions(replay: replay),
                                                     sink: ReportCollector.summary)
                // Rendering the report is part of the work measured.
                let report = TextReport.render(summary: result.summary, statistics: result.statistics,
                                               collector: result.sink, board: result.summary.board)
                callsPerRun = report.isEmpty ? 0 : result.sink.counts.transactions
            }
        }
        let withoutReplay = try analyse(replay: false)
        let full = try analyse(replay: true)
        // The streamed formats in a child each, to /dev/null, for their own peak memory.
        let childRuns = max(1, min(runs, 3))
        let jsonLines = (0..<childRuns).map { _ in ChildRun.run([path, "--format", "jsonl"]) }
        let json = (0..<childRuns).map { _ in ChildRun.run([path, "--format", "json"]) }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        func line(_ name: String, _ seconds: [Double]) -> String {
            let sorted = seconds.sorted()
            return String(format: "%@  median %.3f s  (min %.3f, max %.3f)  %.0f MB/s  %.2f M records/s",
                          name, median(seconds), sorted.first!, sorted.last!, size / median(seconds) / 1e6,
                          Double(records) / median(seconds) / 1e6)
        }
        print(String(format: "capture: %.1f MB, %d records; %d runs each (%d of the streamed formats)", size / 1e6, records, runs, childRuns))
        print(line("libpcap read loop (pcap_next_ex)", bare))
        print(line("direct read loop                ", direct))
        print(line("text summary, replay off        ", withoutReplay))
        print(line("text summary, replay on         ", full))
        print(line("--format jsonl (child)          ", jsonLines.map(\.seconds))
            + String(format: "  peak %.0f MB", jsonLines.map(\.peakMegabytes).max() ?? 0))
        print(line("--format json (child)           ", json.map(\.seconds))
            + String(format: "  peak %.0f MB", json.map(\.peakMegabytes).max() ?? 0))
        print("against the targets:")
        print(String(format: "  replay off: %.0f MB/s (target 500), %.2fx the libpcap loop (target at most 2x)",
                     size / median(withoutReplay) / 1e6, median(withoutReplay) / median(bare)))
        print(String(format: "  replay on: %.2fx the time of replay off (target at most 1.25x)", median(full) / median(withoutReplay)))
        print(String(format: "  jsonl: %.0f MB/s (target 150), peak %.0f MB", size / median(jsonLines.map(\.seconds)) / 1e6,
                     jsonLines.map(\.peakMegabytes).max() ?? 0))
        print(String(format: "  json: peak %.0f MB (target under 64 MiB, whatever the size)", json.map(\.peakMegabytes).max() ?? 0))
        print("peak resident memory of this process: \(peakResidentMegabytes()) MB")
        print("each analysis paired \(callsPerRun) calls")
    }

    private func measure(_ body: () throws -> Void) throws -> [Double] {
        var seconds: [Double] = []
        for _ in 0..<max(1, runs) {
            let clock = ContinuousClock()
            let elapsed = try clock.measure { try body() }
            seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        return seconds
    }
}

func peakResidentMegabytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss / 1024
}
