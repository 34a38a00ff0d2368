import Foundation
import Testing

/// `--format html` opened in a real browser (headless Chromium through selenium): for every
/// bundled capture, the lanes of the board's cores, every call drawn, every finding listed and
/// marked, a click on a finding showing its detail, and nothing on the console.
@Suite(.serialized)
struct HTMLReportTests {
    static func boardArguments(_ name: String) -> [String] { PerfettoTests.boardArguments(name) }

    struct Expected {
        var transactions: Int
        var findings: Int
        var exit: Int32
    }

    @Test func everyBundledReportOpensAndShowsWhatTheJSONReportHas() throws {
        var reports: [String] = []
        var expected: [String: Expected] = [:]
        for name in Paths.bundledCaptures() {
            let capture = Paths.captures.appendingPathComponent("\(name).pcap").path
            let html = Paths.temporary("\(name).html")
            let run = try CommandRun([capture, "--format", "html", "-o", html] + Self.boardArguments(name))
            let json = try CommandRun([capture, "--format", "json"] + Self.boardArguments(name))
            #expect(run.status == json.status, "\(name): the page's run exits like the JSON one")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
            expected[html] = Expected(transactions: (report["transactions"] as? [Any])?.count ?? 0,
                                      findings: (report["findings"] as? [Any])?.count ?? 0, exit: json.status)
            let page = try String(contentsOfFile: html, encoding: .utf8)
            // Self-contained: nothing fetched from anywhere (the SVG namespace is a name, not a fetch).
            #expect(!page.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http"), "\(name)")
            #expect(!page.contains("<link") && !page.contains(" src="), "\(name)")
            reports.append(html)
        }
        let shot = Paths.temporary("html-report.png")
        let check = try CommandRun(["/usr/bin/env", "python3", Paths.packageRoot.appendingPathComponent("Tests/Fixtures/check_html.py").path]
                                   + reports, direct: true)
        #expect(check.status == 0, "\(check.standardError)")
        let seen = check.standardOutput.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(seen.count == reports.count)
        for page in seen {
            let path = page["report"] as! String
            let want = try #require(expected[path])
            #expect(page["calls"] as? Int == want.transactions, "\(path)")
            #expect(page["findings"] as? Int == want.findings, "\(path)")
            #expect(page["marks"] as? Int == want.findings, "\(path)")
            #expect((page["console"] as? [String]) == [], "\(path): \(page["console"] ?? "")")
            #expect((page["verdict"] as? String)?.hasPrefix("exit \(want.exit)") == true, "\(path)")
            if want.findings > 0 {
                #expect((page["detail"] as? String)?.isEmpty == false && page["selected"] as? Int == 1, "\(path)")
            }
            if want.transactions > 0 { #expect((page["call_detail"] as? String)?.contains("msgid") == true, "\(path)") }
        }
        _ = shot
    }

    @Test func theUARTOverlapShowsBothWritersAndTheInterleavedWire() throws {
        let html = Paths.temporary("overlap.html")
        _ = try CommandRun([Paths.captures.appendingPathComponent("uart-both-cores-print.pcap").path, "--board", "rp2040",
                            "--format", "html", "-o", html])
        let check = try CommandRun(["/usr/bin/env", "python3", Paths.packageRoot.appendingPathComponent("Tests/Fixtures/check_html.py").path,
                                    html], direct: true)
        let page = try #require(try JSONSerialization.jsonObject(with: Data(check.standardOutput.utf8)) as? [String: Any])
        #expect(page["lanes"] as? [String] == ["findings", "core0", "core1", "uart0"])
        let detail = try #require(page["detail"] as? String)
        #expect(detail.contains("device-overlap") && detail.contains("core0 at record 3") && detail.contains("core1 at record 4"))
        #expect(detail.contains("wire: core0:"))
    }
}
