import AnalysisCore
import Testing
@testable import Capture

/// The host side of the C recorder's drained stream, on frames made here byte by byte.
struct RecorderFrameTests {
    /// COBS with the CRC-32 appended and the 0x00 delimiter, as icrec_frame_encode makes it.
    static func frame(_ body: [UInt8]) -> [UInt8] {
        let crc = CRC32.checksum(body)
        let decoded = body + [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)]
        var out: [UInt8] = []
        var block: [UInt8] = []
        for byte in decoded {
            if byte == 0 {
                out += [UInt8(block.count + 1)] + block
                block = []
            } else {
                block.append(byte)
                if block.count == 254 {
                    out += [0xFF] + block
                    block = []
                }
            }
        }
        return out + [UInt8(block.count + 1)] + block + [0]
    }

    static func record(core: UInt8, ticks: UInt64, seq: UInt32, payload: [UInt8]) -> [UInt8] {
        var body: [UInt8] = [UInt8(ascii: "R"), core]
        for i in 0..<8 { body.append(UInt8(ticks >> (8 * UInt64(i)) & 0xFF)) }
        body += [0x49, 0x43, 1, 1, 0, core, 1 - core, 0, UInt8(seq >> 24), UInt8(seq >> 16 & 0xFF), UInt8(seq >> 8 & 0xFF), UInt8(seq & 0xFF)]
        return body + payload
    }

    func read(_ bytes: [UInt8]) -> (frames: [RecorderFrame], reader: RecorderFrameReader) {
        var reader = RecorderFrameReader()
        var frames: [RecorderFrame] = []
        bytes.withUnsafeBytes { reader.feed($0) { frames.append($0) } }
        reader.finish()
        return (frames, reader)
    }

    @Test func theCRCIsTheIEEEOne() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test func framesWithZerosAndLongRunsComeBackWhole() {
        let payloads: [[UInt8]] = [[], [0], [0, 0, 0], Array(repeating: 0x11, count: 253), Array(repeating: 0x22, count: 254),
                                   Array(repeating: 0x33, count: 600), (0..<700).map { UInt8($0 % 7) }]
        for (i, payload) in payloads.enumerated() {
            let body = Self.record(core: 1, ticks: UInt64(i) << 40 | 0xFF, seq: UInt32(i), payload: payload)
            let (frames, reader) = read(Self.frame(body))
            #expect(frames == [.record(core: 1, ticks: UInt64(i) << 40 | 0xFF, bytes: Array(body[10...]))], "payload \(i)")
            #expect(reader.corruptFrames == 0)
        }
    }

    @Test func aDamagedFrameIsCountedAndTheNextOneIsRead() {
        let first = Self.frame(Self.record(core: 0, ticks: 1, seq: 0, payload: [1, 2, 3]))
        let second = Self.frame(Self.record(core: 0, ticks: 2, seq: 1, payload: [4, 5, 6]))
        var damaged = first
        damaged[5] ^= 0x40
        let (frames, reader) = read([0x55, 0x66] + damaged + second + [0x12, 0x34])
        #expect(frames.count == 1)
        #expect(reader.corruptFrames == 2, "the damaged frame (with the junk before it), and the cut one at the end")
    }

    @Test func headerAndDropReportsAreRead() {
        var header: [UInt8] = [UInt8(ascii: "H"), 1, 2, 0x00, 0x2D, 0x31, 0x01, 0, 0, 0, 0]
        for name in ["cm33-0", "cm33-1"] { header += [UInt8(name.utf8.count)] + Array(name.utf8) }
        let drops: [UInt8] = [UInt8(ascii: "D"), 1, 0, 0xFE, 0, 2, 0, 7, 0, 0, 0, 3, 0, 0, 0]
        let (frames, _) = read(Self.frame(header) + Self.frame(drops))
        #expect(frames == [.header(version: 1, clockHz: 20_000_000, coreNames: ["cm33-0", "cm33-1"]),
                           .drops(core: 1, key: 0x0200_FE00, rx: 0, nextSequence: 7, dropped: 3)])
    }

    @Test func tenMegabytesOfJunkHoldAtMostOneFrame() {
        var generator = SplitMix64(seed: 3)
        var reader = RecorderFrameReader()
        var frames = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        for round in 0..<160 {
            for i in chunk.indices { chunk[i] = UInt8(truncatingIfNeeded: generator.next()) }
            // Half the rounds without a single 0x00: one endless frame.
            if round % 2 == 0 { for i in chunk.indices where chunk[i] == 0 { chunk[i] = 1 } }
            chunk.withUnsafeBytes { reader.feed($0) { _ in frames += 1 } }
        }
        reader.finish()
        #expect(frames == 0)
        #expect(reader.corruptFrames > 1000)
    }

    @Test func ticksBecomeNanosecondsWithoutOverflow() {
        let conversion = RecorderConversion(clockHz: 20_000_000) { _, _ in }
        #expect(conversion.nanoseconds(20_000_000) == 1_000_000_000)
        #expect(conversion.nanoseconds(3) == 150)
        #expect(conversion.nanoseconds(UInt64.max) == Int64.max)
        let odd = RecorderConversion(clockHz: 32_768) { _, _ in }
        #expect(odd.nanoseconds(32_768 * 86_400 + 1) == 86_400_000_000_000 + 30_517)
    }

    @Test func recordsAreWrittenInTimeOrderAndSilentLossesClosed() {
        var written: [(Int64, [UInt8])] = []
        var conversion = RecorderConversion(clockHz: 1_000_000) { written.append(($0, $1)) }
        for (core, ticks, seq) in [(UInt8(0), UInt64(10), UInt32(0)), (0, 30, 1), (1, 20, 0), (1, 40, 1)] {
            guard case let .record(c, t, bytes) = RecorderFrame.record(core: core, ticks: ticks, bytes: Array(Self.record(
                core: core, ticks: ticks, seq: seq, payload: [0x90])[10...])) else { continue }
            conversion.take(.record(core: c, ticks: t, bytes: bytes))
        }
        // Core 0's stream went on to seq 5 and dropped 3 records that never came: 2, 3 and 4.
        conversion.take(.drops(core: 0, key: 0x0100_0001, rx: 0, nextSequence: 5, dropped: 3))
        conversion.finish()
        #expect(written.map(\.0) == [10_000, 20_000, 30_000, 40_000, 40_000])
        let mark = written.last!.1
        #expect(mark.count == 12 && mark[7] == 2 && mark[11] == 5, "an empty LOSS record numbered 5")
        #expect(conversion.droppedByRecorder == 3)
    }
}

/// When held records go: the rings merged by time, within bounds of host time, recorder time and memory.
struct RecorderOrderingTests {
    static func take(_ conversion: inout RecorderConversion, core: UInt8, ticks: UInt64, seq: UInt32, at arrivalNs: Int64) {
        let body = RecorderFrameTests.record(core: core, ticks: ticks, seq: seq, payload: [0x90])
        conversion.take(.record(core: core, ticks: ticks, bytes: Array(body[10...])), arrivalNs: arrivalNs)
    }

    static let header = RecorderFrame.header(version: 1, clockHz: 1_000_000, coreNames: ["core0", "core1"])

    @Test func aRecordGoesAsSoonAsEveryCoreIsPastIt() {
        var written: [Int64] = []
        var conversion = RecorderConversion { time, _ in written.append(time) }
        conversion.take(Self.header)
        // Ring 0 drained first, then ring 1: core 0's records wait for core 1's.
        for (i, ticks) in [10, 30, 50].enumerated() { Self.take(&conversion, core: 0, ticks: UInt64(ticks), seq: UInt32(i), at: 1) }
        #expect(written.isEmpty)
        Self.take(&conversion, core: 1, ticks: 20, seq: 0, at: 2)
        #expect(written == [10_000, 20_000])
        Self.take(&conversion, core: 1, ticks: 40, seq: 1, at: 2)
        #expect(written == [10_000, 20_000, 30_000, 40_000])
        #expect(conversion.held == 1 && conversion.writtenOutOfOrder == 0)
    }

    @Test func aQuietCoreHoldsNothingLongerThanTheHostBound() {
        var written = 0
        var conversion = RecorderConversion { _, _ in written += 1 }
        conversion.take(Self.header)
        for i in 0..<100 { Self.take(&conversion, core: 0, ticks: UInt64(i), seq: UInt32(i), at: 1_000 + Int64(i)) }
        conversion.writeDue(nowNs: 1_000 + RecorderConversion.maxHoldNs - 1)
        #expect(written == 0, "core 1 may still send earlier records")
        conversion.writeDue(nowNs: 1_099 + RecorderConversion.maxHoldNs)
        #expect(written == 100 && conversion.held == 0)
        // A late record from the quiet core is still written, and counted.
        Self.take(&conversion, core: 1, ticks: 5, seq: 0, at: 2_000 + RecorderConversion.maxHoldNs * 2)
        conversion.writeDue(nowNs: 2_000 + RecorderConversion.maxHoldNs * 4)
        #expect(written == 101 && conversion.writtenOutOfOrder == 1)
    }

    @Test func theRecordersClockAndMemoryBoundTheWaitOfAFileReadAtFullSpeed() {
        var written = 0
        var conversion = RecorderConversion { _, _ in written += 1 }
        conversion.take(Self.header)
        // No host time (a file): only core 0 heard. Past two seconds of its clock, records go.
        for i in 0..<30 { Self.take(&conversion, core: 0, ticks: UInt64(i) * 100_000, seq: UInt32(i), at: 0) }
        #expect(written == 30 - 21, "ticks 0...800,000 are over 2 s behind 2,900,000")
        // And never more than the byte cap waits.
        var large = RecorderConversion { _, _ in }
        large.take(Self.header)
        let payload = [UInt8](repeating: 0xC0, count: 60_000)
        for i in 0..<600 {
            let body = RecorderFrameTests.record(core: 0, ticks: 1, seq: UInt32(i), payload: payload)
            large.take(.record(core: 0, ticks: 1, bytes: Array(body[10...])), arrivalNs: 0)
        }
        #expect(large.held * 60_012 <= RecorderConversion.maxHeldBytes + 60_012)
    }

    @Test func afterTheSourceCameBackEveryStreamsNextRecordCarriesLoss() {
        var flags: [UInt8] = []
        var conversion = RecorderConversion { _, bytes in flags.append(bytes[7]) }
        conversion.take(Self.header)
        Self.take(&conversion, core: 0, ticks: 1, seq: 0, at: 0)
        Self.take(&conversion, core: 1, ticks: 2, seq: 0, at: 0)
        conversion.finishPending()
        conversion.sourceInterrupted()
        for (core, ticks, seq) in [(UInt8(0), UInt64(3), UInt32(1)), (1, 4, 1), (0, 5, 2), (1, 6, 2)] {
            Self.take(&conversion, core: core, ticks: ticks, seq: seq, at: 0)
        }
        conversion.finish()
        #expect(flags == [0, 0, 2, 2, 0, 0])
    }
}

extension RecorderOrderingTests {
    @Test func aBoardThatStartsAgainIsMergedAfreshNotOutOfOrder() {
        var written: [Int64] = []
        var conversion = RecorderConversion { time, _ in written.append(time) }
        conversion.take(Self.header)
        Self.take(&conversion, core: 0, ticks: 5_000_000, seq: 0, at: 0)
        Self.take(&conversion, core: 1, ticks: 6_000_000, seq: 0, at: 0)
        // Reset: a new header, the clock from zero; core 1's ring drained first this time.
        conversion.take(Self.header)
        Self.take(&conversion, core: 1, ticks: 6, seq: 0, at: 0)
        Self.take(&conversion, core: 0, ticks: 5, seq: 0, at: 0)
        conversion.finish()
        #expect(written == [5_000_000_000, 6_000_000_000, 5_000, 6_000])
        #expect(conversion.writtenOutOfOrder == 0)
    }
}
