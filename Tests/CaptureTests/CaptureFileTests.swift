import AnalysisCore
import Foundation
import Testing
@testable import Capture

/// Reading capture files through the real libpcap.
struct CaptureFileTests {
    static let t0: Int64 = 1_767_225_600_123_456_789

    static var sampleRecords: [CaptureFileBytes.Record] {
        (0..<5).map { i in
            let header = InterCoreHeader(kind: .message, channel: 0, source: 0, destination: 1, sequence: UInt32(i))
            return .init(timeNs: t0 + Int64(i) * 1_000_001, bytes: header.encoded + [UInt8](repeating: UInt8(i), count: i * 20))
        }
    }

    func readAll(_ path: String, filter: String? = nil) throws -> (records: [(UInt64, Int64, [UInt8])], end: ReadOutcome) {
        let file = try CaptureFile(path: path, filter: filter)
        var records: [(UInt64, Int64, [UInt8])] = []
        while true {
            let outcome = file.next()
            guard case .record(let r) = outcome else { return (records, outcome) }
            records.append((r.number, r.timeNs, Array(r.bytes)))
        }
    }

    @Test(arguments: [(false, true), (true, true), (false, false), (true, false)])
    func readsClassicPcapInEitherByteOrderAndPrecision(bigEndian: Bool, nanosecond: Bool) throws {
        let path = try CaptureFileBytes.write(
            CaptureFileBytes.classic(Self.sampleRecords, bigEndian: bigEndian, nanosecond: nanosecond),
            name: "classic-\(bigEndian)-\(nanosecond).pcap")
        let file = try CaptureFile(path: path)
        #expect(file.linkType == 147)
        #expect(file.linkTypeName == "USER0")
        let (records, end) = try readAll(path)
        #expect(records.count == 5)
        guard case .end = end else { Issue.record("expected a clean end, got \(end)"); return }
        for (i, record) in records.enumerated() {
            let expected = Self.sampleRecords[i].timeNs
            #expect(record.0 == UInt64(i + 1))
            #expect(record.1 == (nanosecond ? expected : expected / 1000 * 1000))
            #expect(record.2 == Self.sampleRecords[i].bytes)
        }
    }

    @Test func readsPcapngAtNanosecondResolution() throws {
        let path = try CaptureFileBytes.write(CaptureFileBytes.pcapng(Self.sampleRecords), name: "sample.pcapng")
        let (records, _) = try readAll(path)
        #expect(records.map(\.1) == Self.sampleRecords.map(\.timeNs))
        #expect(records.map(\.2) == Self.sampleRecords.map(\.bytes))
    }

    @Test func writerAndReaderAgreeToTheNanosecond() throws {
        let path = CaptureFileBytes.temporaryPath("written.pcap")
        let writer = try CaptureWriter(path: path)
        for r in Self.sampleRecords { writer.write(timeNs: r.timeNs, bytes: r.bytes) }
        writer.close()
        let (records, _) = try readAll(path)
        #expect(records.map(\.1) == Self.sampleRecords.map(\.timeNs))
    }

    @Test func aFilterKeepsTheFilesRecordNumbers() throws {
        let path = try CaptureFileBytes.write(
            CaptureFileBytes.classic(Self.sampleRecords, bigEndian: false, nanosecond: true), name: "filter.pcap")
        let (records, _) = try readAll(path, filter: "len > 40")
        // Records 3, 4, 5 carry 12 + 40, 60, 80 bytes.
        #expect(records.map(\.0) == [3, 4, 5])
    }

    @Test func aBadFilterIsAnError() throws {
        let path = try CaptureFileBytes.write(
            CaptureFileBytes.classic(Self.sampleRecords, bigEndian: false, nanosecond: true), name: "badfilter.pcap")
        #expect(throws: CaptureError.self) { try CaptureFile(path: path, filter: "len >>> banana") }
    }

    @Test func aMissingFileAndANonCaptureAreClearErrors() throws {
        do {
            _ = try CaptureFile(path: "/nonexistent/capture.pcap")
            Issue.record("opened a missing file")
        } catch {
            #expect(error.description.hasPrefix("/nonexistent/capture.pcap: "))
            #expect(error.description.contains("No such file"))
        }
        let text = try CaptureFileBytes.write(Array("this is not a capture\n".utf8), name: "notes.txt")
        do {
            _ = try CaptureFile(path: text)
            Issue.record("opened a text file")
        } catch {
            #expect(error.description.contains("notes.txt"))
        }
    }

    @Test func aFileCutInsideARecordReportsThatRecord() throws {
        let bytes = CaptureFileBytes.classic(Self.sampleRecords, bigEndian: false, nanosecond: true)
        let path = try CaptureFileBytes.write(Array(bytes.dropLast(30)), name: "cut.pcap")
        let (records, end) = try readAll(path)
        #expect(records.count == 4)
        guard case .truncated(let number, let reason) = end else {
            Issue.record("expected truncation, got \(end)")
            return
        }
        #expect(number == 5)
        #expect(!reason.isEmpty)
    }
}

/// pcapng files that libpcap refuses: interfaces of different link types.
struct MixedPcapngTests {
    static func block(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
        let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
        let length = UInt32(12 + padded.count)
        return type.littleEndianBytes + length.littleEndianBytes + padded + length.littleEndianBytes
    }

    static func file(breakLast: Bool = false) -> [UInt8] {
        var out = block(0x0A0D_0D0A, [0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8))
        // Interface 0: USER0 at nanoseconds; interface 1: Ethernet at the default microseconds.
        out += block(1, [147, 0, 0, 0] + UInt32(65535).littleEndianBytes + [9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0])
        out += block(1, [1, 0, 0, 0] + UInt32(65535).littleEndianBytes)
        out += block(0x0BAD_0001, [1, 2, 3, 4])   // a block type nobody knows: skipped
        func packet(_ interface: UInt32, _ ticks: UInt64, _ data: [UInt8]) -> [UInt8] {
            block(6, interface.littleEndianBytes + UInt32(ticks >> 32).littleEndianBytes
                + UInt32(ticks & 0xFFFF_FFFF).littleEndianBytes + UInt32(data.count).littleEndianBytes
                + UInt32(data.count).littleEndianBytes + data)
        }
        out += packet(0, 1_767_225_600_000_000_123, [0x49, 0x43, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0xC0])
        out += packet(1, 1_767_225_600_000_001, [UInt8](repeating: 0xAA, count: 14))
        var last = packet(0, 1_767_225_600_000_000_999, [0x49, 0x43, 1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0xC0])
        if breakLast { last[4] = 0xFF }
        return out + last
    }

    func read(_ bytes: [UInt8], name: String) throws -> ([(Int32, Int64)], ReadOutcome) {
        let path = try CaptureFileBytes.write(bytes, name: name)
        let file = try CaptureFile(path: path)
        var seen: [(Int32, Int64)] = []
        while true {
            let outcome = file.next()
            guard case .record(let r) = outcome else { return (seen, outcome) }
            seen.append((r.linkType, r.timeNs))
        }
    }

    @Test func eachPacketKeepsItsInterfacesLinkTypeAndResolution() throws {
        let (records, end) = try read(Self.file(), name: "mixed.pcapng")
        #expect(records.map(\.0) == [147, 1, 147])
        #expect(records.map(\.1) == [1_767_225_600_000_000_123, 1_767_225_600_000_001_000, 1_767_225_600_000_000_999])
        guard case .end = end else { Issue.record("expected the end, got \(end)"); return }
    }

    @Test func aBlockWithALyingLengthEndsTheReadWithItsOffset() throws {
        let (records, end) = try read(Self.file(breakLast: true), name: "mixed-broken.pcapng")
        #expect(records.count == 2)
        guard case .truncated(let number, let reason) = end else { Issue.record("expected truncation, got \(end)"); return }
        #expect(number == 3)
        #expect(reason.contains("at byte"))
    }
}

extension MixedPcapngTests {
    @Test func aPcapngCutInsideABlockNamesWhereItEnds() throws {
        let whole = Self.file()
        let (records, end) = try read(Array(whole.dropLast(10)), name: "cut.pcapng")
        #expect(records.count == 2)
        guard case .truncated(let number, let reason) = end else { Issue.record("expected truncation, got \(end)"); return }
        #expect(number == 3)
        #expect(reason.contains("the file ends inside the block at byte"))
    }
}
