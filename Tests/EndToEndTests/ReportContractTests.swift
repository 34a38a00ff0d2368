import Foundation
import MessagePack
import Report
import Regression
import Testing

/// The JSON report's fixed shape (shared/spec/report.md): keys and types scripts rely on.
struct ReportContractTests {
    @Test func everyContractKeyIsThereWithItsType() throws {
        let run = try CommandRun(["Captures/pipelined-errors.pcap", "--format", "json"])
        let report = try #require(try JSONDifference.parse(run.standardOutput) as? [String: Any])
        #expect(report["schema"] as? String == "rpc-analyze/report/v1")
        let capture = try #require(report["capture"] as? [String: Any])
        for key in ["file", "linktype", "records", "bytes", "first_ns", "last_ns"] { #expect(capture[key] != nil, "capture.\(key)") }
        #expect(report.keys.contains("board"))
        let transaction = try #require((report["transactions"] as? [[String: Any]])?.first)
        for key in ["method", "msgid", "caller", "callee", "channel", "request_ns", "response_ns", "latency_ns",
                    "status", "params", "result", "error"] {
            #expect(transaction.keys.contains(key), "transaction.\(key)")
        }
        let notification = try #require((report["notifications"] as? [[String: Any]])?.first)
        for key in ["method", "from", "to", "channel", "time_ns", "params"] { #expect(notification.keys.contains(key)) }
        let method = try #require((report["methods"] as? [[String: Any]])?.first)
        let latency = try #require(method["latency_ns"] as? [String: Any])
        for key in ["min", "p50", "p90", "p99", "max", "mean"] { #expect(latency[key] is Int, "latency_ns.\(key)") }
        for finding in try #require(report["findings"] as? [[String: Any]]) {
            for key in ["rule", "severity", "time_ns", "message"] { #expect(finding.keys.contains(key)) }
        }
        let summary = try #require(report["summary"] as? [String: Any])
        let findings = try #require(summary["findings"] as? [String: Any])
        #expect(Set(findings.keys) == ["error", "warning", "note"])
    }

    @Test func messagePackValuesMapToJSONAsTheContractSays() throws {
        var json = JSONWriter()
        json.beginArray()
        json.value(.float64(.nan))
        json.value(.float64(.infinity))
        json.value(.float32(-.infinity))
        json.value(.invalidString([0xFF, 0xFE]))
        json.value(.binary([0x00, 0xAB]))
        json.value(.map([.init(.string("a"), .uint(1)), .init(.string("a"), .uint(2))]))
        json.value(.map([.init(.uint(1), .string("x"))]))
        json.value(.timestamp(seconds: 5, nanoseconds: 7))
        json.value(.ext(type: 3, data: [0x01]))
        json.value(.uint(UInt64.max))
        json.value(.int(Int64.min))
        json.value(.string("quote \" and \u{01}"))
        json.endArray()
        #expect(json.text == #"["NaN","Infinity","-Infinity",{"$str_hex":"fffe"},{"$bin":"00ab"},{"a":2},"#
            + #"{"$map":[[1,"x"]]},{"$timestamp":{"sec":5,"nsec":7}},{"$ext":3,"data":"01"},"#
            + #"18446744073709551615,-9223372036854775808,"quote \" and \u0001"]"#)
    }
}
