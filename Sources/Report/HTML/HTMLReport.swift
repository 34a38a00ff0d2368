import AnalysisCore
import Pipeline
import RPC

/// `--format html`: one self-contained page (no network: styles, script and data inline) with
/// the capture's header and verdict, a timeline of cores and channels (zoom with the wheel or
/// the buttons, pan by dragging, click anything for its details), per-method latency with a
/// histogram each (SVG), and the findings, each linked to its place on the timeline.
public enum HTMLReport {
    /// Items the page draws one by one in the current view; past it, each lane shows how many
    /// fall in each pixel column until the view is narrow enough.
    public static let maxDrawnItems = 4_000

    public static func render(summary: CaptureSummary, statistics: [MethodStatistics], timeline: TimelineSink,
                              board: String?, verdict: String) -> String {
        let counts = timeline.collector.counts
        var page = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        page += "<meta name=\"viewport\" content=\"width=device-width\">"
        page += "<title>rpc-analyze: \(escape(summary.file))</title><style>\(style)</style></head><body>\n"
        page += "<header><h1>rpc-analyze <span class=\"file\">\(escape(summary.file))</span></h1>"
        page += "<p id=\"verdict\" class=\"\(counts.worstSeverity.map { "worst-\($0.name)" } ?? "clean")\">\(escape(verdict))</p>"
        var facts = ["\(summary.records) records", Formatting.bytes(summary.bytes), Formatting.duration(summary.durationNs),
                     "board \(board ?? "generic")", "\(counts.transactions) calls (\(counts.errors) errors, \(counts.unanswered) unanswered)",
                     "\(counts.notifications) notifications"]
        facts.append(counts.findings.values.reduce(0, +) == 0 ? "no findings"
            : Severity.allCases.reversed().compactMap { s in counts.findings(s) > 0 ? "\(counts.findings(s)) \(s.name)" : nil }
                .joined(separator: ", "))
        page += "<p class=\"facts\">" + facts.map(escape).joined(separator: " · ") + "</p></header>\n"
        page += "<section id=\"timeline\"><h2>Timeline</h2><div class=\"controls\">"
        page += "<button id=\"zoom-in\">zoom in</button><button id=\"zoom-out\">zoom out</button>"
        page += "<button id=\"reset\">whole capture</button><span id=\"view\"></span></div>"
        page += "<svg id=\"timeline-svg\" xmlns=\"http://www.w3.org/2000/svg\"></svg>"
        page += "<pre id=\"details\">Click a call, a record or a finding for its details.</pre>"
        if timeline.droppedItems > 0 {
            page += "<p class=\"aside\">\(timeline.droppedItems) more items are counted per lane (grey bars), not drawn one by one: "
                + "the page holds the first \(TimelineSink.maxItems) in detail.</p>"
        }
        page += "</section>\n"
        page += latencySection(statistics, timeline)
        page += findingsSection(timeline, counts: counts)
        page += "<script id=\"data\" type=\"application/json\">\(data(timeline).replacingOccurrences(of: "</", with: "<\\/"))</script>\n"
        page += "<script>\(script)</script></body></html>\n"
        return page
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    private static func latencySection(_ statistics: [MethodStatistics], _ timeline: TimelineSink) -> String {
        var html = "<section id=\"latency\"><h2>Calls by method</h2>"
        guard !statistics.isEmpty else { return html + "<p>No calls.</p></section>\n" }
        html += "<table><thead><tr><th>method</th><th>calls</th><th>errors</th><th>unanswered</th><th>min</th><th>p50</th>"
            + "<th>p90</th><th>p99</th><th>max</th><th>mean</th><th>latency</th></tr></thead><tbody>"
        for method in statistics {
            html += "<tr class=\"method\"><td>\(escape(Formatting.cut(method.method, to: 60)))</td><td>\(method.calls)</td>"
                + "<td>\(method.errors)</td><td>\(method.unanswered)</td>"
            if let latency = method.latency {
                for value in [latency.min, latency.p50, latency.p90, latency.p99, latency.max, latency.mean] {
                    html += "<td>\(Formatting.duration(value))</td>"
                }
            } else {
                html += String(repeating: "<td>-</td>", count: 6)
            }
            html += "<td>\(histogram(timeline.latencyBuckets[method.method] ?? []))</td></tr>"
        }
        return html + "</tbody></table></section>\n"
    }

    /// Calls per power-of-two latency bucket, as a small bar chart.
    private static func histogram(_ buckets: [Int]) -> String {
        guard let first = buckets.firstIndex(where: { $0 > 0 }), let last = buckets.lastIndex(where: { $0 > 0 }) else { return "" }
        let shown = Array(buckets[first...last])
        let top = max(1, shown.max() ?? 1)
        let width = 8 * shown.count
        var svg = "<svg class=\"histogram\" width=\"\(width)\" height=\"32\" viewBox=\"0 0 \(width) 32\">"
        for (i, count) in shown.enumerated() where count > 0 {
            let height = max(1, 30 * count / top)
            let low = first + i == 0 ? 0 : Int64(1) << Int64(first + i - 1)
            svg += "<rect x=\"\(8 * i)\" y=\"\(32 - height)\" width=\"7\" height=\"\(height)\"><title>\(count) calls of "
                + "\(Formatting.duration(low)) to \(Formatting.duration(Int64(1) << Int64(first + i)))</title></rect>"
        }
        return svg + "</svg>"
    }

    private static func findingsSection(_ timeline: TimelineSink, counts: ReportCounts) -> String {
        var html = "<section id=\"findings\"><h2>Findings</h2>"
        guard !timeline.findings.isEmpty else { return html + "<p>None.</p></section>\n" }
        html += "<ol>"
        for (i, finding) in timeline.findings.enumerated() {
            html += "<li class=\"finding \(finding.severity.name)\" data-f=\"\(i)\"><a href=\"#timeline\">"
                + "<span class=\"severity\">\(finding.severity.name)</span> <span class=\"rule\">\(finding.rule.rawValue)</span> "
                + "\(escape(finding.message))</a></li>"
        }
        html += "</ol>"
        let total = counts.findings.values.reduce(0, +)
        if total > timeline.findings.count {
            html += "<p class=\"aside\">\(total - timeline.findings.count) more findings are counted, not listed.</p>"
        }
        return html + "</section>\n"
    }

    /// The timeline as compact JSON: times in nanoseconds from the first record.
    static func data(_ timeline: TimelineSink) -> String {
        let origin = timeline.firstNs ?? 0
        var json = JSONWriter(capacity: 64 * 1024)
        json.beginObject()
        json.key("span"); json.int(max(1, timeline.lastNs.saturatingSpan(since: origin)))
        json.key("lanes")
        json.beginArray()
        for lane in timeline.lanes {
            json.beginArray(); json.string(lane.name); json.string(lane.kind); json.endArray()
        }
        json.endArray()
        json.key("items")
        json.beginArray()
        for item in timeline.items {
            json.beginArray()
            json.int(item.lane)
            json.string(item.kind.rawValue)
            json.int(item.startNs.saturatingSpan(since: origin))
            if let end = item.endNs { json.int(end.saturatingSpan(since: origin)) } else { json.null() }
            json.string(item.label)
            json.string(item.detail)
            json.int(item.core)
            json.optionalInt(item.finding)
            json.endArray()
        }
        json.endArray()
        json.key("binWidth"); json.int(timeline.binWidthNs)
        json.key("density")
        json.beginArray()
        for (lane, bins) in timeline.density.sorted(by: { $0.key < $1.key }) {
            for (bin, count) in bins.sorted(by: { $0.key < $1.key }) {
                json.beginArray(); json.int(lane); json.int(bin); json.int(count); json.endArray()
            }
        }
        json.endArray()
        json.key("findings")
        json.beginArray()
        for finding in timeline.findings {
            json.beginObject()
            json.findingFields(finding)
            json.key("offset"); json.int(finding.timeNs.saturatingSpan(since: origin))
            json.endObject()
        }
        json.endArray()
        json.key("maxDrawn"); json.int(maxDrawnItems)
        json.endObject()
        return json.text
    }
}
