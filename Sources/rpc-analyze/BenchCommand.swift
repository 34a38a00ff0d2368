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
        each: a bare libpcap read loop over the file, and the whole analysis to the text summary. \
        Prints the median and spread of each, and the ratio. The machine may be shared: compare \
        medians, and ratios more than absolute figures.

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

        let bare = try measure {
            let file = try CaptureFile(path: path)
            var count = 0
            var checksum = 0
            while case .record(let record) = file.next() {
                count += 1
                checksum &+= record.bytes.count
            }
            records = count
            precondition(checksum > 0)
        }
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
        func line(_ name: String, _ seconds: [Double]) -> String {
            let sorted = seconds.sorted()
            let median = sorted[sorted.count / 2]
            return String(format: "%@  median %.3f s  (min %.3f, max %.3f)  %.0f MB/s  %.2f M records/s",
                          name, median, sorted.first!, sorted.last!, size / median / 1e6, Double(records) / median / 1e6)
        }
        print(String(format: "capture: %.1f MB, %d records; %d runs each", size / 1e6, records, runs))
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        print(line("libpcap read loop           ", bare))
        print(line("analysis, replay off        ", withoutReplay))
        print(line("analysis, replay on         ", full))
        print(String(format: "analysis (replay on) takes %.2fx the time of the bare read loop", median(full) / median(bare)))
        print(String(format: "replay on runs at %.2fx the records/s of replay off", median(withoutReplay) / median(full)))
        print("peak resident memory: \(peakResidentMegabytes()) MB")
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
