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
