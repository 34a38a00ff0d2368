import AnalysisCore
@testable import Capture
import Foundation
import Testing

/// The direct classic-pcap reader against libpcap's: on random files of every header variant,
/// record shape and damage, both give the same records, times, lengths, bytes and the same
/// ending (end, or libpcap's own words for a cut or broken record).
struct DirectReadingTests {
    struct Seen: Equatable {
        var records: [String] = []
        var ending = ""
    }

    func read(_ path: String, filter: String?, direct: Bool) throws -> Seen {
        let file = try CaptureFile(path: path, filter: filter, directReading: direct)
        var seen = Seen()
        while true {
            switch file.next() {
            case .record(let record):
                seen.records.append("\(record.number) \(record.timeNs) \(record.originalLength) \(record.linkType) "
                    + record.bytes.map { String($0, radix: 16) }.joined(separator: ","))
            case .end:
                seen.ending = "end"
                return seen
            case .truncated(let number, let reason):
                seen.ending = "truncated \(number): \(reason)"
                return seen
            case .unreadableRecord(let number, let reason):
                seen.records.append("unreadable \(number): \(reason)")
            }
        }
    }

    /// A classic pcap file with random header choices and records, some of them damaged.
    static func randomFile(_ random: inout SplitMix64) -> [UInt8] {
        let swapped = Bool.random(using: &random)
        let nanosecond = Bool.random(using: &random)
        func put32(_ value: UInt32, into bytes: inout [UInt8]) {
            let ordered = swapped ? value.byteSwapped : value
            bytes += withUnsafeBytes(of: ordered.littleEndian, Array.init)
        }
        func put16(_ value: UInt16, into bytes: inout [UInt8]) {
            let ordered = swapped ? value.byteSwapped : value
            bytes += withUnsafeBytes(of: ordered.littleEndian, Array.init)
        }
        var bytes: [UInt8] = []
        put32(nanosecond ? 0xA1B2_3C4D : 0xA1B2_C3D4, into: &bytes)
        put16(2, into: &bytes)
        put16([4, 4, 4, 3].randomElement(using: &random)!, into: &bytes)
        put32(0, into: &bytes)
        put32(0, into: &bytes)
        let snapshot = [0, 64, 200, 65_535, 262_144, 300_000].randomElement(using: &random)!
        put32(UInt32(snapshot), into: &bytes)
        put32([147, 1, 147, 231, 0x0400_0093, 101].randomElement(using: &random)!, into: &bytes)
        for _ in 0..<Int.random(in: 0...40, using: &random) {
            let shape = Int.random(in: 0..<20, using: &random)
            let captured = shape == 0 ? Int.random(in: 262_000...270_000, using: &random)
                : shape == 1 ? Int.random(in: 190...320, using: &random)
                : Int.random(in: 0...80, using: &random)
            let seconds: UInt32 = shape == 2 ? UInt32.random(in: 0x8000_0000...UInt32.max, using: &random)
                : UInt32.random(in: 1_700_000_000...1_800_000_000, using: &random)
            let fraction: UInt32 = shape == 3 ? UInt32.random(in: 0...UInt32.max, using: &random)
                : UInt32.random(in: 0..<1_000_000, using: &random)
            put32(seconds, into: &bytes)
            put32(fraction, into: &bytes)
            put32(UInt32(captured), into: &bytes)
            put32(shape == 4 ? UInt32(captured / 2) : UInt32(captured + Int.random(in: 0...10, using: &random)), into: &bytes)
            // A record longer than the buffer is written only in part: the file is then cut.
            bytes += (0..<min(captured, 2000)).map { _ in UInt8.random(in: 0...255, using: &random) }
            if captured > 2000 { break }
        }
        switch Int.random(in: 0..<4, using: &random) {
        case 0: bytes.removeLast(min(bytes.count - 24, Int.random(in: 0...30, using: &random)))
        case 1: bytes += (0..<Int.random(in: 1...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        default: break
        }
        return bytes
    }

    @Test func theDirectReaderReadsWhatLibpcapReadsOnRandomFiles() throws {
        var random = SplitMix64(seed: 0x5EED_0001)
        var directRecords = 0
        for index in 0..<400 {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("direct-\(getpid())-\(index).pcap").path
            try Data(Self.randomFile(&random)).write(to: URL(fileURLWithPath: path))
            defer { try? FileManager.default.removeItem(atPath: path) }
            for filter in [nil, "len > 40"] {
                let viaLibpcap = try read(path, filter: filter, direct: false)
                let direct = try read(path, filter: filter, direct: true)
                let firstDifference = zip(direct.records + [direct.ending], viaLibpcap.records + [viaLibpcap.ending])
                    .first { $0 != $1 }.map { "direct \($0.0.prefix(120)) | libpcap \($0.1.prefix(120))" }
                #expect(direct == viaLibpcap, "file \(index), filter \(filter ?? "none"): \(firstDifference ?? "counts differ")")
                directRecords += direct.records.count
            }
        }
        #expect(directRecords > 5_000)
    }

    @Test func theBundledCapturesReadTheSameEitherWay() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Captures")
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".pcap") {
            let path = folder.appendingPathComponent(name).path
            #expect(try read(path, filter: nil, direct: true) == read(path, filter: nil, direct: false), "\(name)")
        }
    }
}
