import Foundation
import Pipeline
import Regression
import Replay
import Report
import Testing

/// Hostile input: every bundled capture, corrupted at random places and cut at random points,
/// must still be analysed (or refused with an error), never crash or hang.
struct MutationTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state ^ (state >> 31)
        }
    }

    @Test(arguments: RegressionSuite.bundledCaseNames)
    func corruptedCapturesAreAnalysedWithoutCrashing(name: String) throws {
        let original = try Data(contentsOf: Paths.captures.appendingPathComponent(name))
        var g = Generator(state: UInt64(truncatingIfNeeded: name.hashValue) | 1)
        let boards: [Board] = [.generic, .rp2040, .gigaR1]
        for round in 0..<12 {
            var bytes = [UInt8](original)
            // Leave the file header mostly alone so that libpcap reads on into the records.
            let firstRecordByte = min(bytes.count, 24)
            let flips = Int.random(in: 1...24, using: &g)
            for _ in 0..<flips where bytes.count > firstRecordByte {
                let at = Int.random(in: firstRecordByte..<bytes.count, using: &g)
                bytes[at] = [0x00, 0xFF, 0xC1, 0xDB, 0xDD, 0x7F, UInt8.random(in: 0...255, using: &g)].randomElement(using: &g)!
            }
            if round % 3 == 2 { bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &g))) }
            let path = Paths.temporary("mutated-\(round)-\(name)")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let options = AnalysisOptions(board: boards[round % boards.count])
            do {
                let result = try CaptureAnalysis.run(path: path, options: options, sink: ReportCollector.complete)
                _ = JSONReport.render(summary: result.summary, statistics: result.statistics, collector: result.sink,
                                      board: result.summary.board)
                _ = TextReport.render(summary: result.summary, statistics: result.statistics, collector: result.sink,
                                      board: result.summary.board)
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
    }
}

extension RegressionSuite {
    static var bundledCaseNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: Paths.captures.path)) ?? [])
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }
}
