import Foundation
import Regression
import Testing

/// `rpc-analyze a.pcap b.pcap DIR/`: every capture analysed on its own, `--jobs` at once, the
/// reports in the order given with a total, and one exit code for all.
struct SeveralCapturesTests {
    static let giga = "Captures/giga-servo.pcap"
    static let overflow = "Captures/fifo-overflow.pcap"
    static let race = "Captures/data-race.pcap"

    @Test func theTextShowsEachCaptureThenATotalAndTheWorstExit() throws {
        let run = try CommandRun([Self.giga, Self.overflow, Self.race, "--board", "rp2040"])
        #expect(run.status == 1, "\(run.standardError)")
        let text = run.standardOutput
        let order = [Self.giga, Self.overflow, Self.race].map { text.range(of: "Capture  \($0)")?.lowerBound }
        #expect(order.allSatisfy { $0 != nil } && order.map { $0! } == order.map { $0! }.sorted())
        let total = try #require(text.range(of: "Total  3 captures, 3 analysed")).upperBound
        let rows = text[total...].split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        // capture, calls, notifications, errors, unanswered, error, warning, note, exit
        #expect(rows.contains([Self.overflow, "1", "0", "0", "0", "1", "0", "0", "1"]))
        #expect(rows.contains([Self.giga, "3", "0", "0", "0", "0", "1", "1", "0"]))
        #expect(rows.contains(["all", "4", "0", "0", "0", "1", "2", "1", "1"]))
        #expect(text.hasSuffix("exit 1: findings at or above --fail-on error in 1 of 3 captures\n"))
        let passing = try CommandRun([Self.giga, Self.race, "--board", "rp2040"])
        #expect(passing.status == 0)
    }

    @Test func jsonIsAnArrayOfEachCapturesOwnReportInTheOrderGiven() throws {
        let run = try CommandRun([Self.race, Self.giga, "Captures/pipelined-errors.pcap", "--format", "json"])
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [Any])
        #expect(reports.count == 3)
        for (index, file) in [Self.race, Self.giga, "Captures/pipelined-errors.pcap"].enumerated() {
            let alone = try CommandRun([file, "--format", "json"]).standardOutput
            var differences: [String] = []
            JSONDifference.differences(try JSONDifference.parse(alone), reports[index], into: &differences)
            #expect(differences == [], "\(file)")
        }
    }

    @Test func oneJobOrManyWriteTheSameBytes() throws {
        for format in ["text", "json", "jsonl", "sarif"] {
            let one = try CommandRun(["Captures", "--format", format, "--jobs", "1"])
            let many = try CommandRun(["Captures", "--format", format, "--jobs", "8"])
            #expect(one.status == many.status && one.status == 1)
            #expect(one.standardOutput == many.standardOutput, "\(format)")
            #expect(one.standardOutput.count > 10_000)
        }
    }

    @Test func aFolderGetsOneReportPerCaptureNamedAfterIt() throws {
        let folder = Paths.temporary("reports-\(UUID().uuidString)") + "/"
        let run = try CommandRun([Self.giga, Self.race, "--format", "html", "-o", folder])
        #expect(run.status == 0, "\(run.standardError)")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(names == ["data-race.html", "giga-servo.html"])
        let page = try String(contentsOfFile: folder + "giga-servo.html", encoding: .utf8)
        #expect(page.contains("servo_write"))
        let refused = try CommandRun([Self.giga, Self.race, "--format", "perfetto", "-o", Paths.temporary("one.pftrace")])
        #expect(refused.status == 2)
        #expect(refused.standardError.contains("name a folder with -o DIR/"))
    }

    @Test func aFilterFollowsOneCaptureAsInTcpdumpAndGoesAfterDashFWithSeveral() throws {
        let tcpdumpStyle = try CommandRun([Self.giga, "len", ">", "25", "--format", "json"])
        let withOption = try CommandRun([Self.giga, "-f", "len > 25", "--format", "json"])
        #expect(tcpdumpStyle.status == 0 && tcpdumpStyle.standardOutput == withOption.standardOutput)
        #expect(tcpdumpStyle.standardOutput.contains(#""records":6"#))
        let several = try CommandRun([Self.giga, "Captures/pipelined-errors.pcap", "-f", "len > 25", "--format", "json"])
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(several.standardOutput.utf8)) as? [[String: Any]])
        #expect((reports[0]["capture"] as? [String: Any])?["records"] as? Int == 6)
        let missing = try CommandRun([Self.giga, "Captures/no-such.pcap"])
        #expect(missing.status == 2)
        #expect(missing.standardError == "rpc-analyze: Captures/no-such.pcap: no such file or folder\n")
    }

    @Test func anUnreadableCaptureIsExitTwoAfterTheOthersAreReported() throws {
        let junk = Paths.temporary("junk.pcap")
        try Data("not a capture at all".utf8).write(to: URL(fileURLWithPath: junk))
        let run = try CommandRun([Self.giga, junk, "--format", "json"])
        #expect(run.status == 2)
        #expect(run.standardError.split(separator: "\n").count == 1 && run.standardError.contains(junk))
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [Any])
        #expect(reports.count == 1)
    }

    /// The README's query: DuckDB reads the JSON Lines of every bundled capture with no option,
    /// each capture's p99 per method is the report's, and the summary and finding lines load
    /// even when they come after the 20,480 lines DuckDB guesses its columns from.
    @Test func duckDBLoadsEveryLineTypeAndItsP99IsTheReports() throws {
        let big = Paths.temporary("duck-bench.pcap")
        let written = try CommandRun(["bench", "--write-only", big, "--megabytes", "4"])
        #expect(written.status == 0, "\(written.standardError)")
        let lines = Paths.temporary("all.jsonl")
        let run = try CommandRun([big, "Captures", "--format", "jsonl", "-o", lines])
        #expect(run.status == 1, "\(run.standardError)")
        let check = try CommandRun(["/usr/bin/env", "python3",
                                    Paths.packageRoot.appendingPathComponent("Tests/Fixtures/check_duckdb.py").path, lines],
                                   direct: true)
        #expect(check.status == 0, "\(check.standardError)")
        let loaded = try #require(try JSONSerialization.jsonObject(with: Data(check.standardOutput.utf8)) as? [String: Any])
        // The folder is walked with its subfolders (Captures/unoq).
        let bundled = try FileManager.default.subpathsOfDirectory(atPath: Paths.captures.path)
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted().map { "Captures/\($0)" }
        let captures = [big] + bundled
        #expect((loaded["types"] as? [String: Int])?["summary"] == captures.count)
        let p99 = try #require(loaded["p99"] as? [String: Int])
        #expect(p99 == loaded["reported_p99"] as? [String: Int])
        let summaries = try #require(loaded["summaries"] as? [String: [String: Int]])
        let findings = try #require(loaded["findings"] as? [String: Int])
        var compared = 0
        for capture in captures {
            let report = try #require(try JSONSerialization.jsonObject(
                with: Data(try CommandRun([capture, "--format", "json"]).standardOutput.utf8)) as? [String: Any])
            let summary = try #require(report["summary"] as? [String: Any])
            #expect(summaries[capture]?["transactions"] == summary["transactions"] as? Int, "\(capture)")
            for method in report["methods"] as? [[String: Any]] ?? [] {
                guard let latency = method["latency_ns"] as? [String: Int] else { continue }
                #expect(p99["\(capture) \(method["method"] as! String)"] == latency["p99"], "\(capture)")
                compared += 1
            }
            for finding in report["findings"] as? [[String: Any]] ?? [] {
                #expect(findings["\(capture) \(finding["rule"] as! String)"] != nil, "\(capture)")
            }
        }
        #expect(compared > 40)
        #expect((summaries[big]?["transactions"] ?? 0) > 20_480)
    }

    /// The schema lines name every field any line carries, nested ones too, so an engine that
    /// guesses columns from them drops nothing; a field added to a line and not to them fails here.
    @Test func theSchemaLinesNameEveryFieldOfEveryLine() throws {
        let lines = try CommandRun(["Captures", "--format", "jsonl", "--board", "rp2040"]).standardOutput
            .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let schema = lines[0]
        #expect(lines[0]["type"] as? String == "schema" && lines[1]["type"] as? String == "schema")
        func missing(_ value: Any, _ example: Any, _ path: String) -> [String] {
            if let object = value as? [String: Any], let exampleObject = example as? [String: Any], !exampleObject.isEmpty {
                return object.flatMap { key, inner in
                    exampleObject[key].map { missing(inner, $0, path + "." + key) } ?? [path + "." + key]
                }
            }
            if let array = value as? [Any], let exampleArray = example as? [Any], let first = exampleArray.first {
                return array.flatMap { missing($0, first, path + "[]") }
            }
            return []
        }
        var absent: Set<String> = []
        for line in lines.dropFirst(2) { absent.formUnion(missing(line, schema, "")) }
        #expect(absent.isEmpty, "\(absent.sorted())")
        #expect(Set(lines.map { $0["type"] as! String }) == ["schema", "transaction", "notification", "finding", "summary"])
    }

    @Test func theRegressionSuiteRunsOnEveryCoreWithTheSameOutput() throws {
        let one = try CommandRun(["test", "Captures", "--jobs", "1"])
        let many = try CommandRun(["test", "Captures", "--jobs", "6"])
        #expect(one.status == 0 && many.status == 0)
        #expect(one.standardOutput == many.standardOutput)
        #expect(one.standardOutput.split(separator: "\n").filter { $0.hasPrefix("pass ") }.count > 40)
    }
}
