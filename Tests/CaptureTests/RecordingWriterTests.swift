import AnalysisCore
import Foundation
import Testing
@testable import Capture

/// The writer under every `record` mode, read back through the real libpcap.
struct RecordingWriterTests {
    static func records(_ count: Int, payload: Int = 40) -> [[UInt8]] {
        (0..<count).map { i in
            InterCoreHeader(kind: .message, channel: 0, source: 0, destination: 1, sequence: UInt32(i)).encoded
                + [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: payload)
        }
    }

    func readAll(_ path: String) throws -> (count: Int, end: ReadOutcome, lengths: [Int]) {
        let file = try CaptureFile(path: path)
        var count = 0
        var lengths: [Int] = []
        while true {
            let outcome = file.next()
            guard case .record(let record) = outcome else { return (count, outcome, lengths) }
            count += 1
            lengths.append(record.originalLength)
        }
    }

    static func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
    }

    @Test(arguments: ["writer.pcap", "writer.pcapng"])
    func theHeaderIsOnDiskAtOnceAndRecordsWithinTheDelay(name: String) throws {
        let path = CaptureFileBytes.temporaryPath(name)
        let writer = try RecordingWriter(path: path, linkType: LinkType.user0, interfaceName: "test")
        // A capture killed before its first record is still a capture.
        #expect(try readAll(path).count == 0)
        let magic = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)).prefix(4))
        #expect(magic == (name.hasSuffix("ng") ? [0x0A, 0x0D, 0x0D, 0x0A] : [0x4D, 0x3C, 0xB2, 0xA1]))
        for (i, record) in Self.records(10).enumerated() { writer.write(timeNs: Int64(i) * 1000, bytes: record) }
        writer.flushIfDue()
        let early = try readAll(path).count
        usleep(UInt32(RecordingWriter.maxDelayNs / 1000) + 20_000)
        writer.flushIfDue()
        // Read beside the writer, which is still open: every record taken is there.
        #expect(early == 0 || early == 10)
        #expect(try readAll(path).count == 10)
        writer.close()
        #expect(writer.failure == nil && writer.recordsOnDisk == 10)
    }

    @Test func aBusyWriterWritesByVolumeAndTheFileIsWholeAtEveryFlush() throws {
        let path = CaptureFileBytes.temporaryPath("busy.pcapng")
        let writer = try RecordingWriter(path: path, linkType: LinkType.user0)
        var sizes: Set<Int> = []
        for (i, record) in Self.records(5_000).enumerated() {
            writer.write(timeNs: Int64(i), bytes: record)
            sizes.insert(Self.fileSize(path))
        }
        // Written in pieces as the buffer fills, each ending on a record's end.
        #expect(sizes.count > 3)
        let (count, end, _) = try readAll(path)
        #expect(count == writer.recordsOnDisk && count > 0)
        guard case .end = end else { Issue.record("cut inside a record: \(end)"); return }
        writer.close()
        #expect(try readAll(path).count == 5_000)
    }

    @Test func aFailedWriteIsOneLineNamingTheFile() throws {
        // /dev/full answers every write with ENOSPC.
        #expect(throws: CaptureError.self) { _ = try RecordingWriter(path: "/dev/full", linkType: LinkType.user0) }
        do {
            _ = try RecordingWriter(path: "/dev/full", linkType: LinkType.user0)
        } catch {
            #expect(error.description == "/dev/full: cannot write capture: No space left on device")
        }
    }

    @Test func aRecordPastTheSnapLengthIsCutAndCounted() throws {
        let path = CaptureFileBytes.temporaryPath("long.pcap")
        let writer = try RecordingWriter(path: path, linkType: LinkType.user0)
        writer.write(timeNs: 1, bytes: [UInt8](repeating: 7, count: CaptureEncoding.snapLength + 100))
        writer.write(timeNs: 2, bytes: Self.records(1)[0])
        writer.close()
        #expect(writer.recordsCut == 1)
        #expect(writer.summary.contains("1 cut to the snap length"))
        // libpcap reads past it: the cut record keeps its length on the wire.
        let (count, end, lengths) = try readAll(path)
        #expect(count == 2 && lengths.first == CaptureEncoding.snapLength + 100)
        guard case .end = end else { Issue.record("\(end)"); return }
    }
}
