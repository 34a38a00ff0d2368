import Live
import Report

extension ReplayCommand {
    /// `replay --format json`: every call compared, the set-up's differences and notes, and a
    /// summary with the median round trip (and, on a serial target, the bytes' wire time).
    static func json(_ outcomes: [ReplayOutcome], run: ReplayRun, client: String, target: ReplayTarget,
                     answered: Int, differing: Int) -> String {
        let wire = target.wireTime
        var json = JSONWriter()
        json.beginObject()
        json.key("target"); json.string(target.description)
        json.key("client"); json.string(client)
        json.key("calls")
        json.beginArray()
        for outcome in outcomes {
            json.beginObject()
            json.key("msgid"); json.int(outcome.call.msgid)
            json.key("method"); json.string(outcome.call.method)
            json.key("latency_then_ns"); json.optionalInt(outcome.call.latencyNs)
            json.key("latency_now_ns"); json.optionalInt(outcome.latencyNowNs)
            json.key("request_bytes"); json.int(outcome.requestBytes)
            json.key("answer_bytes"); json.int(outcome.answerBytes)
            if let wire {
                json.key("wire_ns"); json.int(wire(outcome.requestBytes + outcome.answerBytes))
            }
            json.key("differences")
            json.beginArray()
            for difference in outcome.differences { json.string(difference) }
            json.endArray()
            json.endObject()
        }
        json.endArray()
        json.key("setup_differences")
        json.beginArray()
        for difference in run.setupDifferences { json.string(difference) }
        json.endArray()
        json.key("notes")
        json.beginArray()
        for note in run.notes { json.string(note) }
        json.endArray()
        if let registered = run.registered {
            json.key("registered")
            json.beginArray()
            for method in registered { json.string(method) }
            json.endArray()
        }
        json.key("summary")
        json.beginObject()
        json.key("calls"); json.int(outcomes.count)
        json.key("answered"); json.int(answered)
        json.key("differing"); json.int(differing)
        let latencies = outcomes.compactMap(\.latencyNowNs)
        json.key("median_latency_now_ns"); json.optionalInt(median(latencies))
        if let wire {
            let answeredOnes = outcomes.filter { $0.latencyNowNs != nil }
            json.key("median_wire_ns"); json.optionalInt(median(answeredOnes.map { wire($0.requestBytes + $0.answerBytes) }))
        }
        json.key("closed"); json.optionalString(run.closedReason)
        json.endObject()
        json.endObject()
        return json.text
    }
}
