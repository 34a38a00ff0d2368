import AnalysisCore
import Pipeline
import Replay
import RPC

/// Gathers what the HTML report draws, with bounded memory: the first `maxItems` calls, marks
/// and spans in detail, and past them a count per lane and time bin (the bins widen as the
/// capture goes on, so their number stays under `maxBins`); findings up to `maxFindings`;
/// a latency histogram per method (powers of two).
public struct TimelineSink: AnalysisSink {
    public struct Lane: Sendable {
        public var name: String
        /// "core", "channel" or "findings".
        public var kind: String
    }

    public struct Item: Sendable {
        public enum Kind: String, Sendable {
            case call, handling, notification, uart, record, lock, interrupt, device, procedure, event, finding
            /// A step of a call across a router: from `lane` at the start to lane `core` at the end.
            case hop
        }
        public var lane: Int
        public var kind: Kind
        public var startNs: Int64
        public var endNs: Int64?
        public var label: String
        public var detail: String
        /// Which core wrote (UART writes are coloured by it); -1 when none.
        public var core: Int
        /// For a finding mark, its place in `findings`.
        public var finding: Int?
    }

    public static let maxItems = 20_000
    /// Lanes at most; the traffic of further channels shares one last lane.
    public static let maxLanes = 200
    public static let maxBins = 4_096
    public static let maxFindings = 2_000

    public private(set) var lanes: [Lane] = []
    private var laneIndex: [String: Int] = [:]
    public private(set) var items: [Item] = []
    /// Items past `maxItems`: counts per lane and bin of `binWidthNs`.
    public private(set) var density: [Int: [Int64: Int]] = [:]
    public private(set) var binWidthNs: Int64 = 1_000
    private var binCount = 0
    public private(set) var droppedItems = 0
    public private(set) var collector = ReportCollector.summary
    public private(set) var findings: [Finding] = []
    public private(set) var latencyBuckets: [String: [Int]] = [:]
    public private(set) var firstNs: Int64?
    public private(set) var lastNs: Int64 = 0
    private var openSpans: [String: Int] = [:]
    private var channelLanes: [DirectionNames: Int] = [:]
    private let board: Board

    /// Values for the calls it draws: past `maxItems` they are decoded and not kept.
    public var wants: SinkWants { [.values, .transactions, .records] }

    public init(board: Board) {
        self.board = board
        _ = lane("findings", kind: "findings")
        for core in board.cores { _ = lane(core.name, kind: "core") }
    }

    private mutating func lane(_ name: String, kind: String) -> Int {
        if let known = laneIndex[name] { return known }
        if lanes.count >= Self.maxLanes - 1 {
            if let other = laneIndex["\u{0}other"] { return other }
            lanes.append(Lane(name: "other channels", kind: "channel"))
            laneIndex["\u{0}other"] = lanes.count - 1
            return lanes.count - 1
        }
        lanes.append(Lane(name: name, kind: kind))
        laneIndex[name] = lanes.count - 1
        return lanes.count - 1
    }

    private mutating func note(_ time: Int64) {
        if firstNs == nil { firstNs = time }
        lastNs = max(lastNs, time)
    }

    /// Adds an item, or counts it in its lane's density once the detailed ones are full; true
    /// when it was kept in detail. Its words are made only when it is kept.
    @discardableResult
    private mutating func add(_ kind: Item.Kind, lane: Int, at start: Int64, to end: Int64? = nil,
                              core: @autoclosure () -> Int, finding: Int? = nil,
                              label: @autoclosure () -> String, detail: @autoclosure () -> String) -> Bool {
        note(start)
        if let end { note(end) }
        if items.count < Self.maxItems || kind == .finding {
            items.append(Item(lane: lane, kind: kind, startNs: start, endNs: end, label: label(), detail: detail(),
                              core: core(), finding: finding))
            return true
        }
        droppedItems += 1
        let bin = start.saturatingSpan(since: firstNs ?? 0) / binWidthNs
        if density[lane, default: [:]][bin] == nil { binCount += 1 }
        density[lane, default: [:]][bin, default: 0] += 1
        // Every lane keeps at least one bin, so the lanes' cap keeps this loop finite; the width
        // stops where one bin covers any capture.
        while binCount > Self.maxBins, binWidthNs < Int64.max / 4 { widenBins() }
        return false
    }

    private mutating func widenBins() {
        binWidthNs *= 2
        binCount = 0
        for (lane, bins) in density {
            var merged: [Int64: Int] = [:]
            for (bin, count) in bins { merged[bin / 2, default: 0] += count }
            density[lane] = merged
            binCount += merged.count
        }
    }

    /// A core's number by its name on `board` (or `coreN` on none), for colouring its UART writes.
    private static func core(named name: String, on board: Board) -> Int {
        board.cores.first { $0.name == name }?.number ?? (Int(name.dropFirst(4)) ?? -1)
    }

    // MARK: What the analysis hands on

    public mutating func transaction(_ transaction: Transaction) {
        let board = board
        if let latency = transaction.latencyNs {
            let bucket = latency <= 0 ? 0 : min(63, 64 - Int(UInt64(latency).leadingZeroBitCount))
            var buckets = latencyBuckets[transaction.method] ?? Array(repeating: 0, count: 64)
            buckets[bucket] += 1
            latencyBuckets[transaction.method] = buckets
        }
        let end = transaction.response?.timeNs ?? lastNs
        let method = Formatting.cut(transaction.method, to: 120)
        if transaction.hops.count == 2 { return routed(transaction, method: method, end: end) }
        add(.call, lane: lane(transaction.caller, kind: "core"), at: transaction.request.timeNs, to: end,
            core: Self.core(named: transaction.caller, on: board), label: method,
            detail: Self.detail(of: transaction, method: method))
        add(.handling, lane: lane(transaction.callee, kind: "core"), at: transaction.request.timeNs, to: end,
            core: Self.core(named: transaction.callee, on: board), label: "handling \(method)",
            detail: Self.detail(of: transaction, method: method))
    }

    /// A call the router forwarded, as one flow across the parties' lanes: the caller's call,
    /// the router passing it on, the leg and its handling, the way back, and the leg's bytes on
    /// the serial wire.
    private mutating func routed(_ transaction: Transaction, method: String, end: Int64) {
        let leg = transaction.hops[1]
        let start = transaction.request.timeNs, legStart = leg.request.timeNs
        let legEnd = leg.response?.timeNs ?? end
        let detail = Self.detail(of: transaction, method: method)
        let caller = lane(transaction.caller, kind: "core"), router = lane(leg.from, kind: "core")
        let callee = lane(leg.to, kind: "core")
        let callerCore = Self.core(named: transaction.caller, on: board), routerCore = Self.core(named: leg.from, on: board)
        let calleeCore = Self.core(named: leg.to, on: board)
        add(.call, lane: caller, at: start, to: end, core: callerCore, label: method, detail: detail)
        add(.handling, lane: router, at: start, to: end, core: routerCore, label: "routing \(method)", detail: detail)
        add(.call, lane: router, at: legStart, to: legEnd, core: routerCore, label: "\(method) → \(leg.to)", detail: detail)
        add(.handling, lane: callee, at: legStart, to: legEnd, core: calleeCore, label: "handling \(method)", detail: detail)
        let flow = "\(method): \(transaction.caller) → \(transaction.via ?? "router") → \(leg.to)"
        add(.hop, lane: caller, at: start, to: start, core: router, label: flow, detail: detail)
        add(.hop, lane: router, at: legStart, to: legStart, core: callee, label: flow, detail: detail)
        if leg.response != nil {
            add(.hop, lane: callee, at: legEnd, to: legEnd, core: router, label: flow, detail: detail)
        }
        if transaction.response != nil {
            add(.hop, lane: router, at: end, to: end, core: caller, label: flow, detail: detail)
        }
        guard let wire = leg.wire else { return }
        let out = lane(of: DirectionNames(channel: "\(leg.channel) wire", from: leg.from, to: leg.to))
        add(.uart, lane: out, at: legStart, to: legStart.saturatingAdding(wire.requestNs), core: -1,
            label: "\(method) request on the wire: \(Formatting.duration(wire.requestNs))", detail: detail)
        if let answer = leg.response, let back = wire.responseNs {
            let home = lane(of: DirectionNames(channel: "\(leg.channel) wire", from: leg.to, to: leg.from))
            add(.uart, lane: home, at: answer.timeNs, to: answer.timeNs.saturatingAdding(back), core: -1,
                label: "\(method) answer on the wire: \(Formatting.duration(back))", detail: detail)
        }
    }

    private static func detail(of transaction: Transaction, method: String) -> String {
        var detail = "\(method) msgid \(transaction.msgid): \(transaction.caller) → \(transaction.callee) on "
            + "\(transaction.channel), \(transaction.status.rawValue)"
        if let latency = transaction.latencyNs { detail += ", \(Formatting.duration(latency))" }
        for (index, hop) in transaction.hops.enumerated() {
            detail += "\nleg \(index + 1): \(hop.from) → \(hop.to) on \(hop.channel), msgid \(hop.msgid), \(hop.status.rawValue)"
            if let latency = hop.latencyNs { detail += ", \(Formatting.duration(latency))" }
            if let wire = hop.wire {
                detail += ", on the wire \(Formatting.duration(wire.requestNs))"
                    + (wire.responseNs.map { " + \(Formatting.duration($0))" } ?? "")
            }
        }
        if let via = transaction.via { detail += "\nvia \(via)" }
        if let origin = transaction.errorOrigin { detail += "\nerror from \(origin)" }
        if let params = transaction.params { detail += "\nparams: \(params.preview(limit: 400))" }
        if let result = transaction.result { detail += "\nresult: \(result.preview(limit: 400))" }
        if let error = transaction.error { detail += "\nerror: \(error.preview(limit: 400))" }
        return detail
    }

    public mutating func notification(_ notification: Notification) {
        let board = board
        add(.notification, lane: lane(notification.from, kind: "core"), at: notification.origin.timeNs,
            core: Self.core(named: notification.from, on: board), label: notification.method,
            detail: "\(notification.method): \(notification.from) → \(notification.to) on \(notification.channel)"
                + (notification.params.map { "\nparams: \($0.preview(limit: 400))" } ?? ""))
    }

    public mutating func finding(_ finding: Finding) {
        collector.finding(finding)
        guard findings.count < Self.maxFindings else { return }
        findings.append(finding)
        add(.finding, lane: 0, at: finding.timeNs, to: finding.endNs, core: -1, finding: findings.count - 1,
            label: finding.rule.rawValue, detail: finding.message)
    }

    public mutating func record(_ record: RecordInfo) {
        let board = board
        guard let names = record.names, let kind = record.kind else { return note(record.stamp.timeNs) }
        let time = record.stamp.timeNs
        switch kind {
        case "uart":
            guard names.to == "offchip" else { return note(time) }
            let channel = board.channels.first { $0.kind == .uart && $0.name == names.channel }
            let byteTime = channel?.byteTimeNs ?? Board.generic.channel(.uart, 0)?.byteTimeNs ?? 86_806
            add(.uart, lane: lane(names.channel, kind: "channel"), at: time,
                to: time &+ Int64(record.payloadLength) &* byteTime, core: Self.core(named: names.from, on: board),
                label: "\(names.from): \(record.payloadLength) B",
                detail: "\(names.from) wrote \(record.payloadLength) bytes to \(names.channel) (record \(record.stamp.number))")
        case "mailbox", "message":
            let side = record.isReceiverSide ? "received by \(names.to)" : "sent by \(names.from)"
            add(.record, lane: lane(of: names), at: time,
                core: Self.core(named: record.isReceiverSide ? names.to : names.from, on: board),
                label: "\(record.payloadLength) B",
                detail: "\(record.payloadLength) bytes on \(names.channel), \(side) (record \(record.stamp.number))")
        default:
            note(time)
        }
    }

    /// The lane of a mailbox or message direction, found by its names without making a new one.
    private mutating func lane(of names: DirectionNames) -> Int {
        if let known = channelLanes[names] { return known }
        let number = lane("\(names.channel) \(names.from)→\(names.to)", kind: "channel")
        channelLanes[names] = number
        return number
    }

    public mutating func trace(_ event: TraceEvent) {
        let coreName = board.coreName(event.core)
        let laneNumber = lane(coreName, kind: "core")
        let time = event.origin.timeNs
        let text = { "\(event.name)(\(event.args.map { $0.preview(limit: 40) }.joined(separator: ", "))) on \(coreName) "
            + "(record \(event.origin.number))" }
        switch event.action {
        case .lockAcquire(let lock): open("\(event.core) lock \(lock)", .lock, "lock \(lock)", laneNumber, time, event.core, text)
        case .lockRelease(let lock): close("\(event.core) lock \(lock)", time)
        case .interruptEnter(let irq): open("\(event.core) irq", .interrupt, "irq \(irq)", laneNumber, time, event.core, text)
        case .interruptExit: close("\(event.core) irq", time)
        case .deviceBegin(let device): open("\(event.core) dev \(device)", .device, device, laneNumber, time, event.core, text)
        case .deviceEnd(let device): close("\(event.core) dev \(device)", time)
        case .functionEnter(let name): open("\(event.core) fn \(name)", .procedure, name, laneNumber, time, event.core, text)
        case .functionExit(let name): close("\(event.core) fn \(name)", time)
        default:
            add(.event, lane: laneNumber, at: time, core: event.core, label: event.name, detail: text())
        }
    }

    /// A span from a begin event to its end event; an end without a begin is a mark.
    private mutating func open(_ key: String, _ kind: Item.Kind, _ label: String, _ lane: Int, _ time: Int64, _ core: Int,
                               _ text: () -> String) {
        let kept = add(kind, lane: lane, at: time, core: core, label: label, detail: text())
        if kept, openSpans.count < 4_096 { openSpans[key] = items.count - 1 }
    }

    private mutating func close(_ key: String, _ time: Int64) {
        note(time)
        guard let index = openSpans.removeValue(forKey: key) else { return }
        items[index].endNs = time
    }

    public mutating func finish(totals: CallTotals) {
        collector.finish(totals: totals)
        for index in openSpans.values { items[index].endNs = lastNs }
        openSpans = [:]
    }
}
