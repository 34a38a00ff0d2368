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

    /// Where a byte of a little-endian pcapng lies: which record, and which field of it.
    enum FlipSite: Equatable {
        /// The section header and interface blocks before the first record.
        case fileHeader
        /// A block's type: a block of a type the reader does not know is skipped, as pcapng says.
        case blockType(record: UInt64)
        /// One of a block's two length fields or its interface number.
        case blockFraming(record: UInt64)
        /// The length captured: shorter, the record is cut as a snap length cuts it.
        case capturedLength(record: UInt64)
        case timestamp(record: UInt64)
        /// The length the record had on the wire.
        case originalLength(record: UInt64)
        /// Bytes 0-3 of a capture format v1 record: magic, version, kind.
        case interCoreIdentity(record: UInt64, offset: Int)
        /// The rest of the record's bytes.
        case payload(record: UInt64)
    }

    /// Each byte's site, for a file of section, interface and enhanced packet blocks.
    static func sites(_ bytes: [UInt8]) -> [FlipSite] {
        func u32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        var sites = [FlipSite](repeating: .fileHeader, count: bytes.count)
        var linkTypes: [Int] = []
        var at = 0
        var record: UInt64 = 0
        while at + 12 <= bytes.count {
            let (type, length) = (u32(at), u32(at + 4))
            guard length >= 12, at + length <= bytes.count else { break }
            if type == 1 { linkTypes.append(Int(bytes[at + 8]) | Int(bytes[at + 9]) << 8) }
            if type == 6 {
                record += 1
                let captured = u32(at + 20)
                let interCore = linkTypes.indices.contains(u32(at + 8)) && linkTypes[u32(at + 8)] == 147
                for i in at..<(at + length) {
                    let field = i - at
                    sites[i] = switch field {
                    case 0..<4: .blockType(record: record)
                    case 4..<12, (length - 4)...: .blockFraming(record: record)
                    case 20..<24: .capturedLength(record: record)
                    case 24..<28: .originalLength(record: record)
                    case 12..<20: .timestamp(record: record)
                    case 28..<32 where interCore && captured >= 12: .interCoreIdentity(record: record, offset: field - 28)
                    default: .payload(record: record)
                    }
                }
            }
            at += length
        }
        return sites
    }

    @Test func randomByteFlipsOfTheMergedCaptureAreAnalysedOrRefusedInOneLine() throws {
        let original = [UInt8](try Data(contentsOf: Paths.captures.appendingPathComponent("merged-intercore-tcp.pcapng")))
        let sites = Self.sites(original)
        let timestamps = sites.indices.filter { if case .timestamp = sites[$0] { true } else { false } }
        let identities = sites.indices.filter { if case .interCoreIdentity = sites[$0] { true } else { false } }
        let framing = sites.indices.filter {
            switch sites[$0] { case .blockType, .blockFraming, .capturedLength, .originalLength: true; default: false }
        }
        let header = sites.indices.filter { sites[$0] == .fileHeader }
        let records = UInt64(timestamps.count / 8)
        #expect(records == 46 && identities.count == 14 * 4 && header.count > 40)
        var g = MutationTests.Generator(state: 0xF11B)
        var outcomes: [String: Int] = [:]
        let path = Paths.temporary("flip.pcapng")
        for round in 0..<400 {
            var bytes = original
            // A quarter of the flips land in timestamps, where corruption reaches every time
            // computation; the rest in the record's identity, its framing, the file header, anywhere.
            let targets = [timestamps, identities, framing, header, Array(bytes.indices)][round % 5]
            let at = targets.randomElement(using: &g)!
            let was = bytes[at]
            bytes[at] = was ^ UInt8.random(in: 1...255, using: &g)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let result: AnalysisResult<ReportCollector>
            do {
                result = try CaptureAnalysis.run(path: path, sink: ReportCollector.complete)
            } catch {
                // Refused: one line naming the file; only a damaged file header is refused.
                let line = "\(error)"
                #expect(!line.contains("\n") && line.contains(path), "byte \(at): \(line)")
                #expect(sites[at] == .fileHeader, "byte \(at) (\(sites[at])) refused: \(line)")
                outcomes["refused", default: 0] += 1
                continue
            }
            // Every renderer formats every time and duration it was given.
            _ = JSONReport.render(summary: result.summary, statistics: result.statistics, collector: result.sink,
                                  board: result.summary.board)
            _ = TextReport.render(summary: result.summary, statistics: result.statistics, collector: result.sink,
                                  board: result.summary.board)
            let findings = result.sink.findings
            switch sites[at] {
            case .interCoreIdentity(let record, let offset):
                // A wrong magic or version, or an unknown kind: that record is malformed, and said so.
                if offset < 3 || bytes[at] > 3 {
                    #expect(findings.contains { $0.rule == .malformedRecord && $0.record == record },
                            "byte \(at): record \(record) offset \(offset) \(was) → \(bytes[at])")
                    outcomes["malformed record found", default: 0] += 1
                } else {
                    outcomes["another kind", default: 0] += 1
                }
            case .blockFraming(let record):
                // The file is broken from that record on: reading stops there, and says where.
                #expect(findings.contains { [.truncatedCapture, .malformedRecord].contains($0.rule) && ($0.record ?? 0) >= record - 1 },
                        "byte \(at) (\(sites[at])): \(result.summary.records) records, \(findings.map(\.rule))")
                outcomes["framing broken and found", default: 0] += 1
            case .capturedLength(let record):
                // Shorter: the record is cut, and what it held is missing from its stream; longer
                // than the block: the file is broken there.
                #expect(result.summary.records == records || findings.contains { ($0.record ?? 0) >= record - 1 },
                        "byte \(at): \(result.summary.records) records, \(findings.map(\.rule))")
                outcomes["captured length", default: 0] += 1
            case .blockType:
                // A block of an unknown type is skipped, as pcapng says: one record fewer, no more.
                #expect(result.summary.records == records - 1, "byte \(at): \(result.summary.records) records")
                outcomes["block skipped", default: 0] += 1
            case .originalLength:
                #expect(result.summary.records == records, "byte \(at): \(result.summary.records) records")
                outcomes["original length", default: 0] += 1
            case .timestamp, .payload:
                outcomes["analysed", default: 0] += 1
            case .fileHeader:
                outcomes["header analysed", default: 0] += 1
            }
        }
        // Every flip was analysed or refused, and each kind of damage was met often enough to count.
        #expect(outcomes.values.reduce(0, +) == 400)
        for kind in ["analysed", "malformed record found", "framing broken and found", "block skipped", "refused"] {
            #expect(outcomes[kind, default: 0] >= 8, "\(kind): \(outcomes)")
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
