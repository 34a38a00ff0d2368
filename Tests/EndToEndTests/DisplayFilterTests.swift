import Foundation
import Pipeline
import Testing

/// `-Y EXPR`: a display filter applied after decoding and pairing, as tshark's. It selects the
/// calls, notifications and findings shown and counted, and never breaks a pair.
struct DisplayFilterTests {
    static func report(_ arguments: [String]) throws -> (status: Int32, json: [String: Any]) {
        let run = try CommandRun(arguments + ["--format", "json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any],
                                "\(run.standardError)")
        return (run.status, json)
    }

    @Test func aMethodAndALatencySelectTheCallsAndTheStatisticsFollow() throws {
        let (_, json) = try Self.report(["Captures/pipelined-errors.pcap", "-Y", #"method == "servo_write" && latency > 95us"#])
        let transactions = try #require(json["transactions"] as? [[String: Any]])
        #expect(transactions.map { $0["latency_ns"] as? Int } == [100_000])
        let methods = try #require(json["methods"] as? [[String: Any]])
        #expect(methods.map { $0["method"] as? String } == ["servo_write"])
        #expect(methods.first?["calls"] as? Int == 1)
        #expect((json["findings"] as? [Any])?.isEmpty == true)
        let shares = try #require(json["display_filter"] as? [String: Any])
        #expect((shares["transactions"] as? [String: Int]) == ["offered": 7, "shown": 1])
        #expect((shares["findings"] as? [String: Int]) == ["offered": 3, "shown": 0])
    }

    /// Selecting every call gives the unfiltered report's calls and per-method statistics: the
    /// statistics over a selection are computed as the RPC stage computes them.
    @Test(arguments: Paths.bundledCaptures())
    func selectingEveryCallKeepsTheReportsCallsAndStatistics(name: String) throws {
        let capture = "Captures/\(name).pcap"
        let board = PerfettoTests.boardArguments(name)
        let (_, whole) = try Self.report([capture] + board)
        let (_, selected) = try Self.report([capture, "-Y", #"type == "transaction" || type == "notification""#] + board)
        func byMethod(_ report: [String: Any]) -> [String: NSDictionary] {
            var table: [String: NSDictionary] = [:]
            for method in report["methods"] as? [[String: Any]] ?? [] { table[method["method"] as! String] = method as NSDictionary }
            return table
        }
        #expect(byMethod(whole) == byMethod(selected), "\(name)")
        #expect((whole["transactions"] as? NSArray) == (selected["transactions"] as? NSArray), "\(name)")
        #expect((whole["notifications"] as? NSArray) == (selected["notifications"] as? NSArray), "\(name)")
        #expect((selected["findings"] as? [Any])?.isEmpty == true)
    }

    /// Filtering a core's records before decoding (BPF) breaks pairs into orphan answers; the
    /// display filter picks the same core's calls with every pair whole.
    @Test func aCoresCallsStayPairedWhereARecordFilterWouldBreakThem() throws {
        let (_, json) = try Self.report(["Captures/giga-servo.pcap", "-Y", #"core == "core1" && type != "finding""#])
        let transactions = try #require(json["transactions"] as? [[String: Any]])
        #expect(transactions.count == 3)
        #expect(transactions.allSatisfy { $0["status"] as? String == "ok" })
        let (_, orFinding) = try Self.report(["Captures/uart-both-cores-print.pcap", "--board", "rp2040",
                                              "-Y", #"rule == "device-overlap" || core == "core9""#])
        let rules = (orFinding["findings"] as? [[String: Any]] ?? []).map { $0["rule"] as? String }
        #expect(!rules.isEmpty && rules.allSatisfy { $0 == "device-overlap" })
    }

    @Test func theExitCodeFollowsTheFindingsShown() throws {
        #expect(try CommandRun(["Captures/fifo-overflow.pcap", "--board", "rp2040"]).status == 1)
        #expect(try CommandRun(["Captures/fifo-overflow.pcap", "--board", "rp2040", "-Y", #"type != "finding""#]).status == 0)
        #expect(try CommandRun(["Captures/fifo-overflow.pcap", "--board", "rp2040", "-Y", "severity >= error"]).status == 1)
    }

    @Test(arguments: [
        ("latncy > 2ms", 1, "unknown field \"latncy\""),
        ("latency > 2", 11, "a duration"),
        ("method == ", 11, "expected a value after =="),
        (#"method > "a""#, 8, "method is text"),
        (#"(method == "x""#, 15, "expected ) to close the ( at column 1"),
        ("severity >= warnin", 13, "a severity is error, warning or note"),
        (#"msgid == 1 || && x"#, 15, "expected a field"),
    ])
    func aMistakeNamesItsColumnOnOneLine(expression: String, column: Int, says: String) throws {
        let run = try CommandRun(["Captures/giga-servo.pcap", "-Y", expression])
        #expect(run.status == 2)
        #expect(run.standardOutput.isEmpty)
        #expect(run.standardError.hasPrefix("rpc-analyze: -Y column \(column): "), "\(run.standardError)")
        #expect(run.standardError.contains(says))
        #expect(run.standardError.split(separator: "\n").count == 1)
    }

    @Test func durationsTakeEveryUnitAndWordOperatorsWork() throws {
        let filters = ["latency > 95000ns", "latency gt 95us", "latency > 0.095ms", "latency > 0.000095s",
                       // A call without an answer has no latency: `not` alone would take it; a bare field asks for one.
                       "not latency <= 95µs && latency", "!(latency le 95us) and latency and type eq transaction"]
        for filter in filters {
            let (_, json) = try Self.report(["Captures/pipelined-errors.pcap", "-Y", filter])
            let latencies = (json["transactions"] as? [[String: Any]] ?? []).map { $0["latency_ns"] as? Int }
            #expect(latencies.count == 4 && latencies.allSatisfy { ($0 ?? 0) > 95_000 }, "\(filter): \(latencies)")
        }
    }

    /// A filter cannot make the reading or the evaluation recurse without bound, and a long
    /// one is quoted only around its mistake.
    @Test func deepOrHugeFiltersAreRefusedOnOneShortLine() throws {
        let deep = String(repeating: "(", count: 300) + "msgid == 1" + String(repeating: ")", count: 300)
        let negated = String(repeating: "!", count: 10_000) + "msgid == 1"
        let long = Array(repeating: "msgid == 1", count: 5_000).joined(separator: " || ")
        for (filter, says) in [(deep, "nested deeper than 256"), (negated, "nested deeper than 256"), (long, "more than 4096 terms")] {
            let run = try CommandRun(["Captures/giga-servo.pcap", "-Y", filter])
            #expect(run.status == 2)
            #expect(run.standardError.contains(says))
            #expect(run.standardError.count < 300 && run.standardError.split(separator: "\n").count == 1)
        }
        let wide = Array(repeating: "msgid == 1", count: 2000).joined(separator: " || ")
        #expect(try CommandRun(["Captures/giga-servo.pcap", "-Y", wide]).status == 0)
    }

    @Test func theParserReadsPrecedenceAsTsharkDoes() throws {
        // && binds tighter than ||: a || b && c is a || (b && c).
        let filter = try DisplayFilter(#"type == "finding" || method == "servo_write" && latency > 1s"#)
        #expect(filter.description.contains("||"))
        #expect(throws: DisplayFilterError.self) { try DisplayFilter("") }
        #expect(throws: DisplayFilterError.self) { try DisplayFilter(#"rule == "a" )"#) }
    }
}
