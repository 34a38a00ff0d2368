import AnalysisCore
import Capture
import Foundation
import MessagePack
import Pipeline
import Report
import Testing

/// Times at the ends of the 64-bit range, and corruption that lands in timestamps: the command
/// must report, never trap.
struct HostileTimeTests {
    static func record(_ header: InterCoreHeader, _ payload: [UInt8]) -> [UInt8] { header.encoded + payload }

    /// A pcapng whose records carry `ticks` nanoseconds (the writer stores the bit pattern).
    static func capture(_ name: String, _ records: [(ticks: UInt64, bytes: [UInt8])]) throws -> String {
        let path = Paths.temporary(name)
        let writer = try PcapngWriter(path: path, linkType: LinkType.user0)
        for (i, record) in records.enumerated() {
            record.bytes.withUnsafeBytes {
                writer.write(RawRecord(number: UInt64(i + 1), timeNs: Int64(bitPattern: record.ticks), originalLength: $0.count,
                                       bytes: $0, linkType: LinkType.user0))
            }
        }
        return path
    }

    static let call = record(InterCoreHeader(kind: .message, channel: 0, source: 0, destination: 1, sequence: 0),
                             request(7, "servo_write", [.uint(90)]))
    static let answer = record(InterCoreHeader(kind: .message, channel: 0, source: 1, destination: 0, sequence: 0),
                               MessagePackEncoder.encode(.array([.uint(1), .uint(7), .nil, .uint(0)])))

    static func analyseEveryWay(_ path: String) throws {
        for arguments in [[path], [path, "--detail"], [path, "--format", "json"], [path, "--format", "jsonl"],
                          [path, "--format", "sarif"], [path, "--board", "giga-r1"]] {
            let run = try CommandRun(arguments)
            // 0 or 1: analysed. A trap is a signal (status 4/5/132/133 through Process), and 2 a refusal.
            #expect(run.status == 0 || run.status == 1, "\(arguments): \(run.status) \(run.standardError)")
            if arguments.contains("json") {
                #expect((try? JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8))) != nil)
            }
        }
    }

    @Test func aCallAcrossTheWholeRangeOfTimesIsAnalysed() throws {
        // 2^63 + 192 ticks and 2^63 - 807: the first was read as -2^63 + 192 ns before it was checked.
        let low = UInt64(1) << 63 + 192, high = UInt64(1) << 63 - 807
        try Self.analyseEveryWay(try Self.capture("range-up.pcapng", [(low, Self.call), (high, Self.answer)]))
        try Self.analyseEveryWay(try Self.capture("range-down.pcapng", [(high, Self.call), (low, Self.answer)]))
        try Self.analyseEveryWay(try Self.capture("range-ends.pcapng", [(0, Self.call), (UInt64(Int64.max), Self.answer)]))
    }

    @Test func aTimeThatNanosecondsCannotHoldIsAMalformedRecord() throws {
        let path = try Self.capture("too-late.pcapng", [(.max, Self.call), (1_000, Self.call), (2_000, Self.answer)])
        let run = try CommandRun([path, "--format", "json"])
        #expect(run.status == 0 || run.status == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
        let findings = report["findings"] as? [[String: Any]] ?? []
        #expect(findings.contains { ($0["rule"] as? String) == "malformed-record" && ($0["record"] as? Int) == 1 })
        // The records after it are analysed: the second request is answered.
        #expect((report["transactions"] as? [[String: Any]])?.first?["status"] as? String == "ok")
    }

    /// Offsets of the timestamp bytes of every enhanced packet block of a little-endian pcapng.
    static func timestampOffsets(_ bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var at = 0
        while at + 12 <= bytes.count {
            let type = Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
            let length = Int(bytes[at + 4]) | Int(bytes[at + 5]) << 8 | Int(bytes[at + 6]) << 16 | Int(bytes[at + 7]) << 24
            guard length >= 12 else { break }
            if type == 6 { offsets += (at + 12)..<(at + 20) }
            at += length
        }
        return offsets
    }

    @Test func randomByteFlipsOfTheMergedCaptureNeverTrap() throws {
        let original = [UInt8](try Data(contentsOf: Paths.captures.appendingPathComponent("merged-intercore-tcp.pcapng")))
        let timestamps = Self.timestampOffsets(original)
        #expect(timestamps.count > 100)
        var g = MutationTests.Generator(state: 0xF11B)
        for round in 0..<300 {
            var bytes = original
            // Half the flips land in timestamps, where corruption reaches every time computation.
            let at = round % 2 == 0 ? timestamps.randomElement(using: &g)! : Int.random(in: 0..<bytes.count, using: &g)
            bytes[at] = UInt8.random(in: 0...255, using: &g)
            let path = Paths.temporary("flip.pcapng")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            guard let result = try? CaptureAnalysis.run(path: path, sink: ReportCollector.complete) else { continue }
            // Every renderer formats every time and duration it was given.
            _ = JSONReport.render(summary: result.summary, statistics: result.statistics, collector: result.sink,
                                  board: result.summary.board)
            _ = TextReport.render(summary: result.summary, statistics: result.statistics, collector: result.sink,
                                  board: result.summary.board)
            _ = round
        }
    }
}

struct FormattingRangeTests {
    @Test func everyTimeAndDurationFormatsAtTheEndsOfTheRange() {
        for ns in [Int64.min, Int64.min + 1, -1, 0, Int64.max] {
            #expect(!Formatting.duration(ns).isEmpty)
            #expect(!Formatting.absolute(ns).isEmpty)
            #expect(!Formatting.relative(ns, from: Int64.max).isEmpty)
            #expect(!Formatting.relative(ns, from: Int64.min).isEmpty)
        }
        #expect(Formatting.relative(Int64.max, from: Int64.min) == "+9223372036.854775807")
        #expect(Formatting.absolute(-1) == "1969-12-31 23:59:59.999999999 UTC")
    }
}
