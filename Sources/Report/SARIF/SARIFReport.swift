import AnalysisCore
import Pipeline

/// `--format sarif`: SARIF 2.1.0, so code-scanning pages list the findings. One rule per
/// finding name with its help text; each result points at the capture file, with the record
/// number as its line (a capture has no lines) and as a logical location. Several captures make
/// one run with an artifact each: code-scanning pages take one run per tool.
public enum SARIFReport {
    public static func render(summary: CaptureSummary, findings: [Finding], version: String) -> String {
        render(captures: [(summary.file, findings)], version: version)
    }

    public static func render(captures: [(file: String, findings: [Finding])], version: String) -> String {
        var json = JSONWriter()
        json.beginObject()
        json.key("$schema"); json.string("https://json.schemastore.org/sarif-2.1.0.json")
        json.key("version"); json.string("2.1.0")
        json.key("runs")
        json.beginArray()
        json.beginObject()
        json.key("tool")
        json.beginObject()
        json.key("driver")
        json.beginObject()
        json.key("name"); json.string("rpc-analyze")
        json.key("version"); json.string(version)
        json.key("rules")
        json.beginArray()
        for rule in Rule.allCases { writeRule(rule, into: &json) }
        json.endArray()
        json.endObject()
        json.endObject()
        json.key("artifacts")
        json.beginArray()
        for capture in captures {
            json.beginObject()
            json.key("location"); json.beginObject(); json.key("uri"); json.string(capture.file); json.endObject()
            json.endObject()
        }
        json.endArray()
        json.key("results")
        json.beginArray()
        for (index, capture) in captures.enumerated() {
            let artifact = Artifact(uri: capture.file, index: index)
            for finding in capture.findings { writeResult(finding, artifact: artifact, into: &json) }
        }
        json.endArray()
        json.endObject()
        json.endArray()
        json.endObject()
        return json.text
    }

    private static func text(_ value: String, into json: inout JSONWriter) {
        json.beginObject()
        json.key("text")
        json.string(value)
        json.endObject()
    }

    private struct Artifact {
        var uri: String
        var index: Int
    }

    private static func location(_ artifact: Artifact, record: UInt64, into json: inout JSONWriter) {
        json.key("physicalLocation")
        json.beginObject()
        json.key("artifactLocation")
        json.beginObject()
        json.key("uri"); json.string(artifact.uri)
        json.key("index"); json.int(artifact.index)
        json.endObject()
        json.key("region")
        json.beginObject()
        json.key("startLine"); json.int(record)
        json.endObject()
        json.endObject()
    }

    private static func writeRule(_ rule: Rule, into json: inout JSONWriter) {
        json.beginObject()
        json.key("id"); json.string(rule.rawValue)
        json.key("name"); json.string(rule.rawValue.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined())
        json.key("shortDescription"); text(rule.summary, into: &json)
        json.key("fullDescription"); text(rule.summary, into: &json)
        json.key("help"); text("\(rule.summary) \(rule.advice)", into: &json)
        json.key("defaultConfiguration")
        json.beginObject()
        json.key("level"); json.string(rule.severity.name)
        json.endObject()
        json.endObject()
    }

    private static func writeResult(_ finding: Finding, artifact: Artifact, into json: inout JSONWriter) {
        json.beginObject()
        json.key("ruleId"); json.string(finding.rule.rawValue)
        json.key("ruleIndex"); json.int(Rule.allCases.firstIndex(of: finding.rule) ?? 0)
        json.key("level"); json.string(finding.severity.name)
        json.key("message"); text(finding.message, into: &json)
        json.key("locations")
        json.beginArray()
        json.beginObject()
        location(artifact, record: finding.record ?? 1, into: &json)
        json.key("logicalLocations")
        json.beginArray()
        json.beginObject()
        json.key("name"); json.string(finding.record.map { "record \($0)" } ?? "capture")
        json.key("kind"); json.string("element")
        json.endObject()
        json.endArray()
        json.endObject()
        json.endArray()
        let related = finding.accesses.filter { $0.record != finding.record }
        if !related.isEmpty {
            json.key("relatedLocations")
            json.beginArray()
            for (i, access) in related.enumerated() {
                json.beginObject()
                json.key("id"); json.int(i + 1)
                json.key("message"); text("\(access.core) \(access.action)", into: &json)
                location(artifact, record: access.record, into: &json)
                json.endObject()
            }
            json.endArray()
        }
        json.key("properties")
        json.beginObject()
        json.key("time_ns"); json.int(finding.timeNs)
        if let record = finding.record { json.key("record"); json.int(record) }
        if !finding.cores.isEmpty {
            json.key("cores")
            json.beginArray()
            for core in finding.cores { json.string(core) }
            json.endArray()
        }
        if let device = finding.device { json.key("device"); json.string(device) }
        if let lock = finding.lock { json.key("lock"); json.string(lock) }
        if let procedure = finding.procedure { json.key("procedure"); json.string(procedure) }
        if let region = finding.region { json.key("region"); json.string(region) }
        if let method = finding.method { json.key("method"); json.string(method) }
        if let msgid = finding.msgid { json.key("msgid"); json.int(msgid) }
        if let channel = finding.channel { json.key("channel"); json.string(channel) }
        json.endObject()
        json.endObject()
    }
}
