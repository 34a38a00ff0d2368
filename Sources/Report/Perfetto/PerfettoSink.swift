import AnalysisCore
import Pipeline
import Replay
import RPC

/// `--format perfetto`: a trace in Perfetto's protobuf format (TracePacket with TrackEvent),
/// which the Perfetto UI and trace_processor open. Written as the analysis goes, packet by
/// packet: what it keeps grows with the board (cores, channels, call lanes), not the capture.
///
/// A process per core. On the caller, every call is a slice named by its method, on the first
/// of the caller's call lanes that is free (calls complete in capture order, so a lane is free
/// when its last call ended before this one started); on the callee, the handling as a slice
/// too; flows lead from the call to its handling and from the handling back to the answer.
/// UART writes, records of each channel, locks held (slices), interrupts (slices), trace
/// events, and findings (instants on a findings track); a counter of each mailbox FIFO's
/// occupancy where the board gives its depth.
public struct PerfettoSink: AnalysisSink {
    public let output: Output
    public private(set) var counts = ReportCounts()
    private let board: Board
    private var tracks: [String: UInt64] = [:]
    private var nextUUID: UInt64 = 1
    /// Each core's call lanes and, apart, its handling lanes: when each lane's last slice ends,
    /// and its track.
    private var lanes: [LaneKey: [(end: Int64, track: UInt64)]] = [:]
    private var processes: [String: UInt64] = [:]
    /// The tracks of each direction's records and their FIFO counter, found by the direction's
    /// names: a record makes no string to find its track.
    private var channels: [DirectionNames: ChannelTracks] = [:]

    private struct LaneKey: Hashable {
        var core: String
        var label: String
    }

    private struct ChannelTracks {
        var sent: UInt64?
        var received: UInt64?
        var writes: UInt64?
        /// Mailboxes whose board gives a depth: the counter's track, words per record, the level.
        var fifo: (track: UInt64, wordSize: Int, level: Int)?
        var fifoResolved = false
    }
    private var findingsTrack: UInt64?
    /// Slices open on each track of trace events, so that an end without a begin (a release
    /// of a lock not held) becomes an instant instead of unbalancing the track.
    private var open: [UInt64: Int] = [:]
    public var wants: SinkWants { [.transactions, .records] }

    /// Call lanes per core at most; past it, calls share the last lane.
    static let maxLanes = 64

    public init(output: Output, board: Board) {
        self.output = output
        self.board = board
    }

    // MARK: Packets

    private func packet(_ build: (inout ProtobufWriter) -> Void) {
        var trace = ProtobufWriter()
        trace.message(1) { packet in
            packet.uint(10, 1)  // trusted_packet_sequence_id
            build(&packet)
        }
        output.write(trace.bytes)
    }

    private enum EventType: UInt64 { case begin = 1, end = 2, instant = 3, counter = 4 }

    private func event(_ type: EventType, at timeNs: Int64, track: UInt64, name: String? = nil,
                       flows: [UInt64] = [], terminating: [UInt64] = [], counter: Int64? = nil,
                       annotations: [(String, String)] = []) {
        packet { packet in
            packet.uint(8, UInt64(max(0, timeNs)))
            packet.message(11) { event in
                event.uint(9, type.rawValue)
                event.uint(11, track)
                if let name { event.string(23, name) }
                for (key, value) in annotations {
                    event.message(4) { annotation in
                        annotation.string(10, key)
                        annotation.string(6, value)
                    }
                }
                if let counter { event.int(30, counter) }
                for id in flows { event.fixed64(47, id) }
                for id in terminating { event.fixed64(48, id) }
            }
        }
    }

    /// The process track of a core (or of "channels" and "findings").
    private mutating func process(_ name: String) -> UInt64 {
        if let known = processes[name] { return known }
        let uuid = nextUUID
        nextUUID += 1
        processes[name] = uuid
        let pid = UInt64(processes.count)
        packet { packet in
            packet.message(60) { track in
                track.uint(1, uuid)
                track.message(3) { process in
                    process.uint(1, pid)
                    process.string(6, name)
                }
            }
        }
        return uuid
    }

    /// A named track under a process, declared the first time it is used.
    private mutating func track(_ name: String, in processName: String, counter: Bool = false) -> UInt64 {
        let key = processName + "\u{0}" + name
        if let known = tracks[key] { return known }
        let parent = process(processName)
        let uuid = nextUUID
        nextUUID += 1
        tracks[key] = uuid
        packet { packet in
            packet.message(60) { track in
                track.uint(1, uuid)
                track.string(2, name)
                track.uint(5, parent)
                if counter { track.message(8) { _ in } }
            }
        }
        return uuid
    }

    /// A free call lane on `core` for a call from `start` to `end`.
    private mutating func lane(on core: String, from start: Int64, to end: Int64, label: String) -> UInt64 {
        let key = LaneKey(core: core, label: label)
        var ends = lanes.removeValue(forKey: key) ?? []
        defer { lanes[key] = ends }
        if let index = ends.firstIndex(where: { $0.end <= start }) ?? (ends.count < Self.maxLanes ? nil : ends.count - 1) {
            ends[index].end = max(ends[index].end, end)
            return ends[index].track
        }
        ends.append((end, track("\(label) \(ends.count + 1)", in: core)))
        return ends[ends.count - 1].track
    }

    // MARK: What the analysis hands on

    public mutating func transaction(_ transaction: Transaction) {
        if transaction.hops.count == 2 { return routed(transaction) }
        let start = transaction.request.timeNs
        let end = transaction.response?.timeNs ?? start
        let toCallee = transaction.sequence << 1, back = transaction.sequence << 1 | 1
        var annotations = [("msgid", String(transaction.msgid)), ("status", transaction.status.rawValue),
                           ("channel", transaction.channel)]
        if let latency = transaction.latencyNs { annotations.append(("latency_ns", String(latency))) }
        // In the order the flows run: the call, its handling, the handling's end, the answer.
        let caller = lane(on: transaction.caller, from: start, to: end, label: "calls")
        event(.begin, at: start, track: caller, name: transaction.method, flows: [toCallee], annotations: annotations)
        let callee = lane(on: transaction.callee, from: start, to: end, label: "handling")
        event(.begin, at: start, track: callee, name: transaction.method, terminating: [toCallee],
              annotations: [("caller", transaction.caller), ("msgid", String(transaction.msgid))])
        event(.end, at: end, track: callee, flows: transaction.response == nil ? [] : [back])
        event(.end, at: end, track: caller, terminating: transaction.response == nil ? [] : [back])
    }

    /// A call the router forwarded, as one flow across the parties: the caller's call, the
    /// router's handling and its call on the next hop, the callee's handling, and back; the
    /// leg's request and answer on the serial wire as slices of the link's wire tracks.
    private mutating func routed(_ transaction: Transaction) {
        let leg = transaction.hops[1]
        let start = transaction.request.timeNs, end = transaction.response?.timeNs ?? start
        let legStart = leg.request.timeNs, legEnd = leg.response?.timeNs ?? legStart
        // Flow ids apart from the plain calls' (sequence << 1): the top bit, then six per call.
        let base = 1 << 63 | transaction.sequence &* 8
        let (toRouter, passOn, toCallee, backToRouter, handBack, back) = (base, base + 1, base + 2, base + 3, base + 4, base + 5)
        let answered = transaction.response != nil, legAnswered = leg.response != nil
        var annotations = [("msgid", String(transaction.msgid)), ("status", transaction.status.rawValue),
                           ("channel", transaction.channel), ("via", transaction.via ?? "router"),
                           ("leg msgid", String(leg.msgid)), ("leg channel", leg.channel)]
        if let latency = transaction.latencyNs { annotations.append(("latency_ns", String(latency))) }
        if let latency = leg.latencyNs { annotations.append(("leg latency_ns", String(latency))) }
        if let origin = transaction.errorOrigin { annotations.append(("error_origin", origin)) }
        let caller = lane(on: transaction.caller, from: start, to: end, label: "calls")
        event(.begin, at: start, track: caller, name: transaction.method, flows: [toRouter], annotations: annotations)
        let routing = lane(on: leg.from, from: start, to: end, label: "routing")
        event(.begin, at: start, track: routing, name: transaction.method, flows: [passOn], terminating: [toRouter],
              annotations: [("caller", transaction.caller), ("msgid", String(transaction.msgid))])
        let onward = lane(on: leg.from, from: legStart, to: legEnd, label: "forwarded calls")
        event(.begin, at: legStart, track: onward, name: transaction.method, flows: [toCallee], terminating: [passOn],
              annotations: [("msgid", String(leg.msgid)), ("for", transaction.caller)])
        let callee = lane(on: leg.to, from: legStart, to: legEnd, label: "handling")
        event(.begin, at: legStart, track: callee, name: transaction.method, terminating: [toCallee],
              annotations: [("caller", leg.from), ("msgid", String(leg.msgid))])
        event(.end, at: legEnd, track: callee, flows: legAnswered ? [backToRouter] : [])
        event(.end, at: legEnd, track: onward, flows: legAnswered ? [handBack] : [], terminating: legAnswered ? [backToRouter] : [])
        event(.end, at: end, track: routing, flows: answered ? [back] : [], terminating: legAnswered ? [handBack] : [])
        event(.end, at: end, track: caller, terminating: answered ? [back] : [])
        guard let wire = leg.wire else { return }
        let out = lane(on: "channels", from: legStart, to: legStart.saturatingAdding(wire.requestNs),
                       label: "\(leg.channel) \(leg.from)→\(leg.to) wire")
        event(.begin, at: legStart, track: out, name: "\(transaction.method) request",
              annotations: [("wire_ns", String(wire.requestNs))])
        event(.end, at: legStart.saturatingAdding(wire.requestNs), track: out)
        if let answer = leg.response, let backNs = wire.responseNs {
            let home = lane(on: "channels", from: answer.timeNs, to: answer.timeNs.saturatingAdding(backNs),
                            label: "\(leg.channel) \(leg.to)→\(leg.from) wire")
            event(.begin, at: answer.timeNs, track: home, name: "\(transaction.method) answer",
                  annotations: [("wire_ns", String(backNs))])
            event(.end, at: answer.timeNs.saturatingAdding(backNs), track: home)
        }
    }

    public mutating func notification(_ notification: Notification) {
        let track = track("notifications sent", in: notification.from)
        event(.instant, at: notification.origin.timeNs, track: track, name: notification.method,
              annotations: [("to", notification.to), ("channel", notification.channel)])
    }

    public mutating func finding(_ finding: Finding) {
        counts.count(finding.rule)
        let track = findingsTrack ?? self.track("findings", in: "findings")
        findingsTrack = track
        event(.instant, at: finding.timeNs, track: track, name: finding.rule.rawValue,
              annotations: [("severity", finding.severity.name), ("message", finding.message)]
                + finding.cores.enumerated().map { ("core \($0.offset + 1)", $0.element) })
    }

    public mutating func record(_ record: RecordInfo) {
        guard let names = record.names, let kind = record.kind else { return }
        let time = record.stamp.timeNs
        // Taken out while it is worked on, as the lanes are: a copy left behind would be copied.
        var known = channels.removeValue(forKey: names) ?? ChannelTracks()
        defer { channels[names] = known }
        switch kind {
        case "uart":
            guard names.to == "offchip" else { return }
            let writes = known.writes ?? track("\(names.channel) writes", in: names.from)
            known.writes = writes
            event(.instant, at: time, track: writes, name: "\(record.payloadLength) bytes to \(names.channel)")
        case "mailbox", "message":
            let side = record.isReceiverSide ? known.received : known.sent
            let records = side ?? track("\(names.channel) \(names.from)→\(names.to) \(record.isReceiverSide ? "received" : "sent")",
                                        in: "channels")
            if record.isReceiverSide { known.received = records } else { known.sent = records }
            event(.instant, at: time, track: records, name: "\(record.payloadLength) bytes")
            if kind == "mailbox", !known.fifoResolved {
                known.fifoResolved = true
                if let channel = board.channels.first(where: { $0.kind == .mailbox && $0.name == names.channel }),
                   let depth = channel.fifoDepth {
                    let name = "\(names.channel) \(names.from)→\(names.to) FIFO words (depth \(depth))"
                    known.fifo = (track(name, in: "channels", counter: true), channel.wordSize ?? 4, 0)
                }
            }
            if kind == "mailbox", var fifo = known.fifo {
                let words = (record.payloadLength + fifo.wordSize - 1) / fifo.wordSize
                fifo.level = max(0, fifo.level + (record.isReceiverSide ? -words : words))
                known.fifo = fifo
                event(.counter, at: time, track: fifo.track, counter: Int64(fifo.level))
            }
        default:
            return
        }
    }

    public mutating func trace(_ event: TraceEvent) {
        let core = board.coreName(event.core)
        let time = event.origin.timeNs
        switch event.action {
        case .lockAcquire(let lock): begin(track("lock \(lock) held", in: core), "lock \(lock)", at: time)
        case .lockRelease(let lock): end(track("lock \(lock) held", in: core), "lock.release \(lock)", at: time)
        case .interruptEnter(let irq): begin(track("interrupts", in: core), "irq \(irq)", at: time)
        case .interruptExit(let irq): end(track("interrupts", in: core), "irq.exit \(irq)", at: time)
        case .deviceBegin(let device): begin(track("\(device) in use", in: core), device, at: time)
        case .deviceEnd(let device): end(track("\(device) in use", in: core), "dev.end \(device)", at: time)
        case .functionEnter(let name): begin(track("procedures", in: core), name, at: time)
        case .functionExit(let name): end(track("procedures", in: core), "fn.exit \(name)", at: time)
        default:
            let args = event.args.map { $0.preview(limit: 40) }.joined(separator: ", ")
            self.event(.instant, at: time, track: track("trace events", in: core), name: "\(event.name)(\(args))")
        }
    }

    private mutating func begin(_ track: UInt64, _ name: String, at time: Int64) {
        open[track, default: 0] += 1
        event(.begin, at: time, track: track, name: name)
    }

    private mutating func end(_ track: UInt64, _ unmatched: String, at time: Int64) {
        guard let count = open[track], count > 0 else {
            return event(.instant, at: time, track: track, name: "\(unmatched) (nothing to end)")
        }
        open[track] = count - 1
        event(.end, at: time, track: track)
    }

    public mutating func finish(totals: CallTotals) {
        counts.calls = totals
        output.flush()
    }
}
