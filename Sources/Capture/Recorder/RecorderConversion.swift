import AnalysisCore
import DequeModule
import HeapModule

/// Turns the recorder's frames into capture-format v1 records, in time order, and makes every
/// loss visible in the capture: the recorder's dropped records show as `seq` gaps and LOSS
/// flags; a stream whose last records were dropped gets a final LOSS-flagged empty record whose
/// `seq` is the next number the stream would have used, so the gap says how many.
///
/// The drain empties one ring after the other, so records reach the host out of time order;
/// they are held and merged by time. Each core's ring is in time order, so a record can go once
/// every core has been heard from past its time (an exact merge). A core that records nothing
/// would hold everything back, so a record also goes once it has waited `maxHoldNs` on the host
/// (what is recorded reaches the file within a bounded delay, whatever a `kill -9` does next),
/// once the newest record is `reorderWindowSeconds` of the recorder's clock later than it (no
/// ring holds back more than that), or once more than `maxHeldBytes` wait. A record that comes
/// after a later one was written is still written, with its own time, and counted
/// (`writtenOutOfOrder`): nothing is dropped to keep the order.
public struct RecorderConversion {
    /// Longest a record waits on the host for an earlier one from another core.
    public static let maxHoldNs: Int64 = 150_000_000
    /// How far, in the recorder's clock, the rings can hold one core's records back behind another's.
    public static let reorderWindowSeconds: UInt64 = 2
    /// Bytes of records held at most, so memory stays bounded whatever the source.
    public static let maxHeldBytes = 16 << 20

    private struct Pending: Comparable {
        var ticks: UInt64
        var arrival: Int
        var bytes: [UInt8]
        static func < (a: Self, b: Self) -> Bool { (a.ticks, a.arrival) < (b.ticks, b.arrival) }
        static func == (a: Self, b: Self) -> Bool { a.ticks == b.ticks && a.arrival == b.arrival }
    }

    private struct StreamID: Hashable {
        var core: UInt8
        var key: UInt32
        var rx: UInt8
    }

    private var window = Heap<Pending>()
    private var heldBytes = 0
    /// Host arrival times of the records from the oldest still held on, and whether each went.
    private var arrivalTimes = Deque<Int64>()
    private var arrivalWritten = Deque<Bool>()
    private var firstArrival = 0
    private var arrivals = 0
    /// Newest ticks heard from each core (cores are at most 255).
    private var newestTicks: [UInt64] = Array(repeating: 0, count: 256)
    private var heardCores: [UInt8] = []
    private var lastWrittenTicks: UInt64 = 0
    /// Records written after one later than them had been written.
    public private(set) var writtenOutOfOrder = 0
    private var lastSequence: [StreamID: UInt32] = [:]
    /// Times the source went away and came back, and the last of them each stream was marked for.
    private var interruptions = 0
    private var markedAfterGap: [StreamID: Int] = [:]
    private var announced: [StreamID: UInt32] = [:]
    private var lastTicks: UInt64 = 0
    /// From the stream header, or given; nil until known (ticks are then taken as nanoseconds).
    public private(set) var clockHz: UInt64?
    public private(set) var coreNames: [String] = []
    public private(set) var records = 0
    /// Records the recorder reported dropped, summed over streams (what the capture shows as loss).
    public private(set) var droppedByRecorder = 0
    /// Records dropped because the recorder's stream table was full: they belong to no stream.
    public private(set) var droppedWithoutStream = 0
    private var droppedPerStream: [StreamID: UInt32] = [:]
    private var unstreamedPerCore: [UInt8: UInt32] = [:]
    private let write: (Nanoseconds, [UInt8]) -> Void

    /// `clockHz` overrides the stream header's frequency (for a stream whose header was lost).
    public init(clockHz: UInt64? = nil, write: @escaping (Nanoseconds, [UInt8]) -> Void) {
        self.clockHz = clockHz
        self.write = write
    }

    /// Records waiting to be put in time order.
    public var held: Int { window.count }

    /// Takes one frame that reached the host at `arrivalNs` (a monotonic clock; 0 for a source
    /// read as fast as it can be, where only the recorder's clock bounds the wait).
    public mutating func take(_ frame: RecorderFrame, arrivalNs: Int64 = 0) {
        switch frame {
        case .header(_, let hz, let names):
            if clockHz == nil, hz > 0 { clockHz = hz }
            coreNames = names
            // A header after records: the board started again, and its clock with it. What
            // came before goes first; the merge starts afresh.
            if !heardCores.isEmpty {
                finishPending()
                for core in heardCores { newestTicks[Int(core)] = 0 }
                heardCores = []
                lastWrittenTicks = 0
                lastTicks = 0
            }
        case .record(let core, let ticks, let bytes):
            guard bytes.count >= InterCoreHeader.size else { return }
            if let header = bytes.withUnsafeBytes({ InterCoreRecordView.header($0) }) {
                lastSequence[StreamID(core: core, key: header.directionID, rx: header.isReceiverSide ? 1 : 0)] = header.sequence
            }
            var bytes = bytes
            if interruptions > 0 { markLossAfterGap(core: core, &bytes) }
            lastTicks = max(lastTicks, ticks)
            if !heardCores.contains(core) { heardCores.append(core) }
            newestTicks[Int(core)] = max(newestTicks[Int(core)], ticks)
            window.insert(Pending(ticks: ticks, arrival: arrivals, bytes: bytes))
            heldBytes += bytes.count
            arrivalTimes.append(arrivalNs)
            arrivalWritten.append(false)
            arrivals += 1
            writeDue(nowNs: arrivalNs)
        case .drops(let core, let key, let rx, let next, let dropped):
            if key == UInt32.max {
                droppedWithoutStream += Int(dropped &- (unstreamedPerCore[core] ?? 0))
                unstreamedPerCore[core] = dropped
                return
            }
            let id = StreamID(core: core, key: key, rx: rx)
            droppedByRecorder += Int(dropped &- (droppedPerStream[id] ?? 0))
            droppedPerStream[id] = dropped
            announced[id] = next
        }
    }

    /// The source went away for a while (a serial port unplugged): everything held is written,
    /// since the rings' order cannot be waited for across the gap.
    public mutating func finishPending() {
        while !window.isEmpty { writeOldest() }
    }

    /// The source is back after a gap: the next record of every stream carries LOSS, since
    /// what the recorder drained meanwhile never arrived.
    public mutating func sourceInterrupted() {
        interruptions += 1
    }

    /// The stream ended: everything held is written, and streams that lost their last records
    /// get their closing mark.
    public mutating func finish() {
        while !window.isEmpty { writeOldest() }
        arrivalTimes.removeAll()
        arrivalWritten.removeAll()
        for (id, next) in announced.sorted(by: { ($0.key.core, $0.key.key) < ($1.key.core, $1.key.key) }) {
            let seen = lastSequence[id]
            guard seen.map({ $0 &+ 1 != next }) ?? (next > 0),
                  let kind = ChannelKind(rawValue: UInt8(id.key >> 24)) else { continue }
            let mark = InterCoreHeader(kind: kind, channel: UInt8(truncatingIfNeeded: id.key >> 16),
                                       source: UInt8(truncatingIfNeeded: id.key >> 8), destination: UInt8(truncatingIfNeeded: id.key),
                                       isReceiverSide: id.rx == 1, lossBefore: true, sequence: next)
            write(nanoseconds(lastTicks), mark.encoded)
            records += 1
        }
        announced = [:]
    }

    /// Writes every held record whose turn has come (see the type's comment); the recording
    /// loop calls it when nothing arrives, so that a quiet source's records still go.
    public mutating func writeDue(nowNs: Int64) {
        // Without a header the cores are not known: a dual-core board is the case this is for.
        let allHeard = heardCores.count >= (coreNames.isEmpty ? 2 : coreNames.count)
        let (product, overflow) = Self.reorderWindowSeconds.multipliedReportingOverflow(by: clockHz ?? 1_000_000_000)
        let windowTicks = overflow ? UInt64.max : product
        while let oldest = window.min {
            let everyCorePast = allHeard && heardCores.allSatisfy { newestTicks[Int($0)] >= oldest.ticks }
            let pastWindow = lastTicks &- oldest.ticks > windowTicks
            let tooMany = heldBytes > Self.maxHeldBytes
            let waitedTooLong = nowNs > 0 && (arrivalTimes.first.map { nowNs - $0 >= Self.maxHoldNs } ?? false)
            guard everyCorePast || pastWindow || tooMany || waitedTooLong else { return }
            writeOldest()
        }
    }

    private mutating func markLossAfterGap(core: UInt8, _ bytes: inout [UInt8]) {
        guard let header = bytes.withUnsafeBytes({ InterCoreRecordView.header($0) }) else { return }
        let id = StreamID(core: core, key: header.directionID, rx: header.isReceiverSide ? 1 : 0)
        guard markedAfterGap[id] != interruptions else { return }
        markedAfterGap[id] = interruptions
        bytes[InterCoreHeader.flagsOffset] |= InterCoreHeader.lossFlag
    }

    private mutating func writeOldest() {
        guard let oldest = window.popMin() else { return }
        heldBytes -= oldest.bytes.count
        if oldest.ticks < lastWrittenTicks { writtenOutOfOrder += 1 }
        lastWrittenTicks = max(lastWrittenTicks, oldest.ticks)
        let index = oldest.arrival - firstArrival
        if index >= 0, index < arrivalWritten.count { arrivalWritten[index] = true }
        while arrivalWritten.first == true {
            arrivalWritten.removeFirst()
            arrivalTimes.removeFirst()
            firstArrival += 1
        }
        write(nanoseconds(oldest.ticks), oldest.bytes)
        records += 1
    }

    /// Ticks of the declared clock in nanoseconds, without overflow for any 64-bit tick count.
    public func nanoseconds(_ ticks: UInt64) -> Nanoseconds {
        let hz = clockHz ?? 1_000_000_000
        let whole = ticks / hz
        let (high, low) = (ticks % hz).multipliedFullWidth(by: 1_000_000_000)
        let fraction = hz.dividingFullWidth((high, low)).quotient
        let (ns, overflow) = whole.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow, ns <= UInt64(Int64.max) - fraction else { return Int64.max }
        return Int64(ns + fraction)
    }
}
