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

    /// A float32 is written as the double it widens to exactly, so that a JSON reader gets the
    /// number the sender sent: what msgpack-python makes of these bytes, then json.dumps.
    @Test func aFloat32IsWrittenAsTheNumberItHolds() throws {
        let cases: [([UInt8], String)] = [
            ([0xCA, 0x3E, 0x99, 0x99, 0x9A], "0.30000001192092896"), ([0xCA, 0x3F, 0xC0, 0x00, 0x00], "1.5"),
            ([0xCA, 0x7F, 0x7F, 0xFF, 0xFF], "3.4028234663852886e+38"), ([0xCA, 0x00, 0x00, 0x00, 0x01], "1.401298464324817e-45"),
        ]
        for (bytes, python) in cases {
            let value = try #require(MessagePackValue.decode(bytes))
            var json = JSONWriter()
            json.value(value)
            guard case .float32(let sent) = value else { Issue.record("not a float32"); continue }
            let read = try #require(Double(json.text), "\(json.text)")
            #expect(read == Double(sent), "\(json.text) reads back as another number")
            #expect(Double(python) == read, "msgpack-python writes \(python), rpc-analyze \(json.text)")
        }
    }

    static let unoqSerialHop = Paths.packageRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/captures/unoq/unoq-serial-hop.pcap")

    /// The real UNO Q capture (../shared, when it is there): the MCU answers one call with the
    /// float32 `ca 3e 99 99 9a`, which the independent reading beside it gives as
    /// 0.30000001192092896; so must the JSON report.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: unoqSerialHop.path)))
    func theUnoQsFloatResultReadsBackAsTheMCUSentIt() throws {
        let run = try CommandRun([Self.unoqSerialHop.path, "--format", "json"])
        #expect(run.standardOutput.contains(#""result":0.30000001192092896"#), "\(run.standardError)")
        #expect(!run.standardOutput.contains(#""result":0.3,"#) && !run.standardOutput.contains(#""result":0.3}"#))
    }
}
