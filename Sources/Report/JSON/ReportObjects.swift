import AnalysisCore

import Pipeline
import RPC

/// The objects of the JSON report contract (shared/spec/report.md), shared by `--format json`
/// and `--format jsonl`.
extension JSONWriter {
    public static let schema = "rpc-analyze/report/v1"

    public mutating func transaction(_ t: Transaction) {
        beginObject()
        transactionFields(t)
        endObject()
    }

    /// The fields of the object, for writers that add their own (JSON Lines adds `type`).
    public mutating func transactionFields(_ t: Transaction) {
        key("method"); string(t.method)
        key("msgid"); int(t.msgid)
        key("caller"); string(t.caller)
        key("callee"); string(t.callee)
        key("channel"); string(t.channel)
        key("request_ns"); int(t.request.timeNs)
        key("response_ns"); optionalInt(t.response?.timeNs)
        key("latency_ns"); optionalInt(t.latencyNs)
        key("status"); string(t.status.rawValue)
        key("params"); optionalValue(t.params)
        key("result"); optionalValue(t.result)
        key("error"); optionalValue(t.error)
        key("request_record"); int(t.request.number)
        key("response_record"); optionalInt(t.response?.number)
        if !t.hops.isEmpty {
            key("hops")
            beginArray()
            for hop in t.hops { self.hop(hop) }
            endArray()
        }
        if let via = t.via { key("via"); string(via) }
        if let origin = t.errorOrigin { key("error_origin"); string(origin) }
        if let wire = t.wire { key("wire_ns"); wireTime(wire) }
    }

    /// One leg of a routed call (shared/spec/report.md: `hops`).
    mutating func hop(_ hop: Hop) {
        beginObject()
        key("from"); string(hop.from)
        key("to"); string(hop.to)
        key("channel"); string(hop.channel)
        key("msgid"); int(hop.msgid)
        key("request_ns"); int(hop.request.timeNs)
        key("response_ns"); optionalInt(hop.response?.timeNs)
        key("latency_ns"); optionalInt(hop.latencyNs)
        key("status"); string(hop.status.rawValue)
        key("request_record"); int(hop.request.number)
        key("response_record"); optionalInt(hop.response?.number)
        if let wire = hop.wire { key("wire_ns"); wireTime(wire) }
        if let wait = hop.wireWaitNs { key("wire_wait_ns"); int(wait) }
        endObject()
    }

    /// A message pair's time on a serial line: `{"request": ns, "response": ns or null}`.
    mutating func wireTime(_ wire: WireTime) {
        beginObject()
        key("request"); int(wire.requestNs)
        key("response"); optionalInt(wire.responseNs)
        endObject()
    }

    public mutating func notification(_ n: Notification) {
        beginObject()
        notificationFields(n)
        endObject()
    }

    /// The fields of the object, for writers that add their own (JSON Lines adds `type`).
    public mutating func notificationFields(_ n: Notification) {
        key("method"); string(n.method)
        key("from"); string(n.from)
        key("to"); string(n.to)
        key("channel"); string(n.channel)
        key("time_ns"); int(n.origin.timeNs)
        key("params"); optionalValue(n.params)
        key("record"); int(n.origin.number)
    }

    public mutating func finding(_ f: Finding) {
        beginObject()
        findingFields(f)
        endObject()
    }

    /// The fields of the object, for writers that add their own (JSON Lines adds `type`).
    public mutating func findingFields(_ f: Finding) {
        key("rule"); string(f.rule.rawValue)
        key("severity"); string(f.severity.name)
        key("time_ns"); int(f.timeNs)
        key("message"); string(f.message)
        if let record = f.record { key("record"); int(record) }
        if !f.cores.isEmpty {
            key("cores")
            beginArray()
            for core in f.cores { string(core) }
            endArray()
        }
        if let channel = f.channel { key("channel"); string(channel) }
        if let msgid = f.msgid { key("msgid"); int(msgid) }
        if let bytes = f.bytes { key("bytes"); int(bytes) }
        if let endNs = f.endNs { key("end_ns"); int(endNs) }
        if let device = f.device { key("device"); string(device) }
        if let lock = f.lock { key("lock"); string(lock) }
        if let procedure = f.procedure { key("procedure"); string(procedure) }
        if let region = f.region { key("region"); string(region) }
        if let method = f.method { key("method"); string(method) }
        if !f.calls.isEmpty {
            key("calls")
            beginArray()
            for call in f.calls {
                beginObject()
                key("method"); string(call.method)
                key("msgid"); int(call.msgid)
                key("caller"); string(call.caller)
                key("callee"); string(call.callee)
                key("request_ns"); int(call.requestNs)
                key("record"); int(call.record)
                endObject()
            }
            endArray()
        }
        if !f.accesses.isEmpty {
            key("accesses")
            beginArray()
            for access in f.accesses {
                beginObject()
                key("core"); string(access.core)
                key("time_ns"); int(access.timeNs)
                key("record"); int(access.record)
                key("action"); string(access.action)
                key("locks_held")
                beginArray()
                for lock in access.locksHeld { string(lock) }
                endArray()
                endObject()
            }
            endArray()
        }
        if let wire = f.wire {
            key("wire")
            beginArray()
            for run in wire.runs {
                beginObject()
                key("core"); string(run.core)
                key("hex"); string(run.bytes.hexString)
                if let text = run.text { key("text"); string(text) }
                endObject()
            }
            endArray()
        }
    }

    public mutating func capture(_ summary: CaptureSummary) {
        beginObject()
        key("file"); string(summary.file)
        key("linktype"); int(summary.linkType)
        if summary.linkTypes.count > 1 {
            key("linktypes")
            beginArray()
            for linkType in summary.linkTypes { int(linkType) }
            endArray()
        }
        key("records"); int(summary.records)
        key("bytes"); int(summary.bytes)
        key("first_ns"); optionalInt(summary.firstNs)
        key("last_ns"); optionalInt(summary.lastNs)
        endObject()
    }

    public mutating func methods(_ statistics: [MethodStatistics]) {
        beginArray()
        for method in statistics {
            beginObject()
            key("method"); string(method.method)
            key("calls"); int(method.calls)
            key("errors"); int(method.errors)
            key("unanswered"); int(method.unanswered)
            key("latency_ns")
            if let latency = method.latency {
                beginObject()
                key("min"); int(latency.min)
                key("p50"); int(latency.p50)
                key("p90"); int(latency.p90)
                key("p99"); int(latency.p99)
                key("max"); int(latency.max)
                key("mean"); int(latency.mean)
                endObject()
            } else {
                null()
            }
            if let budget = method.budgetNs {
                key("budget_ns"); int(budget)
                key("over_budget"); int(method.overBudget)
            }
            if method.routed.calls > 0 {
                // The mean of each part of a call through a router: passed on, the leg behind
                // the router, and the answer passed back.
                let routed = method.routed
                key("routed")
                beginObject()
                key("calls"); int(routed.calls)
                key("forward_ns"); int(routed.mean(routed.forwardTotalNs))
                key("leg_ns"); int(routed.mean(routed.legTotalNs))
                key("back_ns"); int(routed.mean(routed.backTotalNs))
                key("wire_out_ns"); int(routed.mean(routed.wireOutTotalNs))
                key("wire_back_ns"); int(routed.mean(routed.wireBackTotalNs))
                key("waited_for_wire"); int(routed.waitedForWire)
                endObject()
            }
            endObject()
        }
        endArray()
    }

    /// `-Y`: the expression and, per kind, how many items it was offered and showed.
    public mutating func displayFilter(_ filter: String, _ counts: DisplayFilterCounts) {
        beginObject()
        key("filter"); string(filter)
        let shares: [(StaticString, DisplayFilterCounts.Share)] = [
            ("transactions", counts.transactions), ("notifications", counts.notifications), ("findings", counts.findings),
        ]
        for (name, share) in shares {
            key(name)
            beginObject()
            key("offered"); int(share.offered)
            key("shown"); int(share.shown)
            endObject()
        }
        endObject()
    }

    public mutating func summary(_ counts: ReportCounts, capture: CaptureSummary? = nil) {
        beginObject()
        key("transactions"); int(counts.transactions)
        key("notifications"); int(counts.notifications)
        key("errors"); int(counts.errors)
        key("unanswered"); int(counts.unanswered)
        key("findings")
        beginObject()
        for severity in Severity.allCases.reversed() {
            key(named: severity.name)
            int(counts.findings(severity))
        }
        endObject()
        if let capture, capture.directions.contains(where: { $0.line != nil }) {
            key("utilisation"); utilisation(capture)
        }
        endObject()
    }

    /// A share from 0 to 1, to six decimals.
    mutating func fraction(_ value: Double) {
        let millionths = Int64((max(0, min(1, value)) * 1e6).rounded())
        let digits = String(millionths % 1_000_000)
        rawNumber(millionths >= 1_000_000 ? "1" : "0." + String(repeating: "0", count: 6 - digits.count) + digits)
    }

    /// Each direction of a serial line: its bytes, their time on the wire at the line's baud
    /// and framing, the share of the capture that is, and the busiest second.
    mutating func utilisation(_ capture: CaptureSummary) {
        beginArray()
        for direction in capture.directions {
            guard let line = direction.line, direction.isRPC else { continue }
            beginObject()
            key("channel"); string(direction.names.channel)
            key("from"); string(direction.names.from)
            key("to"); string(direction.names.to)
            key("baud"); int(line.baud)
            key("bits_per_byte"); int(line.bitsPerByte)
            key("bytes"); int(line.bytes)
            key("busy_ns"); int(line.busyNs)
            key("busy_fraction"); fraction(line.busyFraction(over: capture.durationNs))
            key("longest_busy_ns"); int(line.longestBusyNs)
            key("busiest_second")
            beginObject()
            key("start_ns"); optionalInt(line.firstNs.map { $0.saturatingAdding(line.busiestSecondStartNs) })
            key("bytes"); int(line.busiestSecondBytes)
            key("busy_fraction"); fraction(line.busiestSecondFraction)
            endObject()
            endObject()
        }
        endArray()
    }
}

/// `--format json`: the whole report as one object.
public enum JSONReport {
    public static func render(
        summary: CaptureSummary, statistics: [MethodStatistics], collector: ReportCollector, board: String?
    ) -> String {
        var json = JSONWriter()
        json.beginObject()
        json.key("schema"); json.string(JSONWriter.schema)
        json.key("capture"); json.capture(summary)
        json.key("board"); json.optionalString(board)
        json.key("transactions")
        json.beginArray()
        for transaction in collector.transactionsInRequestOrder { json.transaction(transaction) }
        json.endArray()
        json.key("notifications")
        json.beginArray()
        for notification in collector.notifications { json.notification(notification) }
        json.endArray()
        json.key("methods"); json.methods(statistics)
        json.key("findings")
        json.beginArray()
        for finding in collector.findingsInTimeOrder { json.finding(finding) }
        json.endArray()
        json.key("summary"); json.summary(collector.counts, capture: summary)
        if let display = summary.display { json.key("display_filter"); json.displayFilter(display.filter, display.counts) }
        json.endObject()
        return json.text
    }
}

extension Finding.WireExcerpt {
    struct Run {
        var core: String
        var bytes: [UInt8]
        /// The bytes as text when they are printable.
        var text: String? {
            bytes.allSatisfy { (0x20...0x7E).contains($0) || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
                ? String(decoding: bytes, as: UTF8.self) : nil
        }
    }

    /// Consecutive bytes of one writer, in wire order.
    var runs: [Run] {
        var runs: [Run] = []
        for (byte, writer) in zip(bytes, writers) {
            if runs.last?.core == writer {
                runs[runs.count - 1].bytes.append(byte)
            } else {
                runs.append(Run(core: writer, bytes: [byte]))
            }
        }
        return runs
    }
}
