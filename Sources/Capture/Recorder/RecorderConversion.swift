import AnalysisCore
import HeapModule

/// Turns the recorder's frames into capture-format v1 records, in time order, and makes every
/// loss visible in the capture: the recorder's dropped records show as `seq` gaps and LOSS
/// flags; a stream whose last records were dropped gets a final LOSS-flagged empty record whose
/// `seq` is the next number the stream would have used, so the gap says how many.
public struct RecorderConversion {
    /// Records held to put the cores' rings back in time order (the drain empties one ring after
    /// the other). Past it the oldest is written.
    public static let reorderWindow = 65_536

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
    private var arrivals = 0
    private var lastSequence: [StreamID: UInt32] = [:]
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

    public mutating func take(_ frame: RecorderFrame) {
        switch frame {
        case .header(_, let hz, let names):
            if clockHz == nil, hz > 0 { clockHz = hz }
            coreNames = names
        case .record(let core, let ticks, let bytes):
            guard bytes.count >= InterCoreHeader.size else { return }
            if let header = bytes.withUnsafeBytes({ InterCoreRecordView($0)?.header }) {
                lastSequence[StreamID(core: core, key: header.directionID, rx: header.isReceiverSide ? 1 : 0)] = header.sequence
            }
            lastTicks = max(lastTicks, ticks)
            window.insert(Pending(ticks: ticks, arrival: arrivals, bytes: bytes))
            arrivals += 1
            if window.count > Self.reorderWindow { writeOldest() }
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

    /// The stream ended: everything held is written, and streams that lost their last records
    /// get their closing mark.
    public mutating func finish() {
        while !window.isEmpty { writeOldest() }
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

    private mutating func writeOldest() {
        guard let oldest = window.popMin() else { return }
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
