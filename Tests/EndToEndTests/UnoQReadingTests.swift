import Foundation
import Testing

/// The real UNO Q captures (Captures/unoq/: the real arduino-router, Python bridge and MCU
/// libraries) analysed with `--board uno-q`, against each one's independent reading
/// (NAME.reading.json: tshark-style TCP reassembly and msgpack-python, per hop). The reading
/// lists every leg as a transaction and links them in `hops`; the analyzer shows a routed call
/// once, its legs under `hops`.
struct UnoQReadingTests {
    static let folder = Paths.captures.appendingPathComponent("unoq")
    static let names: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
        .filter { $0.hasSuffix(".reading.json") }.map { String($0.dropLast(".reading.json".count)) }.sorted()

    /// The reading names the serial hop's parties by core number; the board names them.
    static func party(_ name: String) -> String {
        switch name {
        case "core0": "router"
        case "core1": "mcu"
        default: name
        }
    }

    static func capture(_ name: String) -> String {
        let pcapng = folder.appendingPathComponent("\(name).pcapng").path
        return FileManager.default.fileExists(atPath: pcapng) ? pcapng : folder.appendingPathComponent("\(name).pcap").path
    }

    static func report(_ name: String) throws -> [String: Any] {
        let run = try CommandRun([capture(name), "--board", "uno-q", "--format", "json", "--fail-on", "never"])
        #expect(run.status == 0, "\(run.standardError)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
    }

    static func reading(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent("\(name).reading.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func thereAreRealCaptures() {
        #expect(Self.names.count >= 9, "\(Self.names)")
    }

    /// A reading's call by caller, msgid and request time (msgids repeat across connections
    /// and restarts).
    static func key(_ caller: String, _ msgid: Any?, _ requestNs: Any?) -> String {
        "\(party(caller))/\(msgid ?? "-")/\(requestNs ?? "-")"
    }

    @Test(arguments: names)
    func everyCallOnceLinkedToItsSerialLeg(name: String) throws {
        let report = try Self.report(name)
        let reading = try Self.reading(name)
        let ours = try #require(report["transactions"] as? [[String: Any]])
        let theirs = try #require(reading["transactions"] as? [[String: Any]])
        var readingCalls: [String: [String: Any]] = [:]
        for call in theirs { readingCalls[Self.key(call["caller"] as! String, call["msgid"], call["request_ns"])] = call }
        // Each leg of each routed call is a call of the reading, with its parties, msgid, times
        // and outcome.
        var legs: Set<String> = []
        for transaction in ours {
            let hops = transaction["hops"] as? [[String: Any]] ?? []
            guard !hops.isEmpty else { continue }
            #expect(hops.count == 2)
            #expect(transaction["via"] as? String == "arduino-router")
            for hop in hops {
                let key = Self.key(hop["from"] as! String, hop["msgid"], hop["request_ns"])
                let call = try #require(readingCalls[key], "\(name): leg \(key) is no call of the reading")
                #expect(Self.party(call["callee"] as! String) == hop["to"] as? String)
                #expect(call["method"] as? String == transaction["method"] as? String)
                #expect(call["response_ns"] as? Int == hop["response_ns"] as? Int, "\(name): \(key)")
                #expect(call["status"] as? String == hop["status"] as? String, "\(name): \(key)")
            }
            legs.insert(Self.key(hops[1]["from"] as! String, hops[1]["msgid"], hops[1]["request_ns"]))
        }
        // The reading's own links (merged captures) are among them.
        for hop in reading["hops"] as? [[String: Any]] ?? [] {
            let outer = try #require(hop["outer"] as? [String: Any]), leg = try #require(hop["inner"] as? [String: Any])
            let found = ours.first {
                $0["caller"] as? String == Self.party(outer["caller"] as! String) && $0["msgid"] as? Int == outer["msgid"] as? Int
            }
            let transaction = try #require(found, "\(name): no call \(outer["caller"]!) msgid \(outer["msgid"]!)")
            let hops = transaction["hops"] as? [[String: Any]] ?? []
            #expect(hops.last?["msgid"] as? Int == leg["msgid"] as? Int, "\(name): \(hop["method"]!)")
            #expect(hops.last?["from"] as? String == Self.party(leg["caller"] as! String))
        }
        // Every other call of the reading is one of ours, once.
        #expect(ours.count == theirs.count - legs.count, "\(name): \(ours.count) transactions, \(legs.count) linked")
        for call in theirs where !legs.contains(Self.key(call["caller"] as! String, call["msgid"], call["request_ns"])) {
            let caller = Self.party(call["caller"] as! String)
            let found = ours.first {
                $0["caller"] as? String == caller && $0["msgid"] as? Int == call["msgid"] as? Int
                    && $0["request_ns"] as? Int == call["request_ns"] as? Int
            }
            let transaction = try #require(found, "\(name): \(call["method"]!) msgid \(call["msgid"]!) from \(caller) missing")
            #expect(transaction["method"] as? String == call["method"] as? String)
            #expect(transaction["status"] as? String == call["status"] as? String, "\(name): \(call["method"]!)")
            #expect(transaction["response_ns"] as? Int == call["response_ns"] as? Int)
        }
        let notifications = try #require(report["notifications"] as? [Any])
        #expect(notifications.count == (reading["notification_list"] as? [Any])?.count)
    }

    @Test(arguments: names)
    func theMethodTableCountsARoutedCallOnce(name: String) throws {
        let report = try Self.report(name)
        let reading = try Self.reading(name)
        let methods = try #require(report["methods"] as? [[String: Any]])
        let byMethod = try #require(reading["by_method"] as? [String: [String: Int]])
        var linked: [String: Int] = [:]
        for transaction in report["transactions"] as? [[String: Any]] ?? [] where transaction["hops"] != nil {
            linked[transaction["method"] as! String, default: 0] += 1
        }
        for (method, counts) in byMethod {
            let row = methods.first { $0["method"] as? String == method }
            #expect(row?["calls"] as? Int == counts["calls"]! - linked[method, default: 0], "\(name): \(method)")
        }
    }

    @Test(arguments: names)
    func theFullDuplexSerialLinkIsNoSharedDevice(name: String) throws {
        let report = try Self.report(name)
        let rules = (report["findings"] as? [[String: Any]] ?? []).compactMap { $0["rule"] as? String }
        #expect(!rules.contains("unsynchronized-access"), "\(name): \(rules)")
        #expect(!rules.contains("device-overlap"))
        #expect(!rules.contains("board-mismatch"))
        #expect(!rules.contains("nested-call"), "a restart or a router's forwarding is no callback")
        #expect(!rules.contains("rpc-deadlock"))
        // The wire time of each direction at 115200 8N1, as the reading computes it.
        guard let link = reading(name)?["link"] as? [String: Any] else { return }
        let summary = try #require(report["summary"] as? [String: Any])
        let lines = try #require(summary["utilisation"] as? [[String: Any]])
        for direction in link["directions"] as! [[String: Any]] {
            let line = lines.first { $0["from"] as? String == Self.party(direction["from"] as! String) }
            #expect(line?["bytes"] as? Int == direction["bytes"] as? Int)
            let busy = try #require(line?["busy_ns"] as? Int)
            #expect(abs(busy - (direction["busy_ns"] as! Int)) <= 1, "\(name): \(busy)")
        }
    }

    private func reading(_ name: String) -> [String: Any]? { try? Self.reading(name) }

    static func findings(_ name: String) throws -> [[String: Any]] {
        try report(name)["findings"] as? [[String: Any]] ?? []
    }

    @Test func theCancelWedgeIsAPeerWedgedErrorNamingTheMCUAndItsFirstUnansweredCall() throws {
        let wedged = try Self.findings("unoq-cancel-wedge").filter { $0["rule"] as? String == "peer-wedged" }
        #expect(wedged.count == 1)
        let finding = try #require(wedged.first)
        #expect(finding["severity"] as? String == "error")
        #expect((finding["cores"] as? [String])?.first == "mcu")
        #expect(finding["method"] as? String == "add")
        #expect(finding["msgid"] as? Int == 4)
        #expect((finding["message"] as? String)?.contains("$/cancelRequest") == true, "the cause is named")
        // Each cancel once, linked to its call, the late answer's delay given.
        let cancels = try Self.findings("unoq-cancel-wedge").filter { $0["rule"] as? String == "call-cancelled" }
        #expect(cancels.count == 3)
        #expect((cancels.first?["message"] as? String)?.contains("an answer still came 2.002 s after the cancel") == true)
    }

    @Test func aCancelTheMCUHonoursIsNoWedge() throws {
        let rules = try Self.findings("unoq-cancel-ok").compactMap { $0["rule"] as? String }
        #expect(!rules.contains("peer-wedged"))
        #expect(rules.contains("call-cancelled"))
    }

    @Test func anOversizedRequestWedgesRPClite() throws {
        let findings = try Self.findings("unoq-oversized")
        let oversized = findings.filter { $0["rule"] as? String == "oversized-message" }
        #expect(oversized.count == 1, "the 255- and 256-byte requests fit; the 257-byte one does not")
        #expect(oversized.first?["bytes"] as? Int == 257)
        let wedged = findings.filter { $0["rule"] as? String == "peer-wedged" }
        #expect(wedged.count == 1)
        #expect((wedged.first?["message"] as? String)?.contains("257-byte request") == true)
    }

    @Test func anMCUResetMidReplyIsAPeerRestartThatNamesTheCutAnswer() throws {
        for name in ["unoq-mcu-restart", "unoq-mcu-restart-serial"] {
            let findings = try Self.findings(name)
            let restarts = findings.filter { $0["rule"] as? String == "peer-restart" }
            #expect(restarts.count == 1, "\(name)")
            let message = restarts.first?["message"] as? String ?? ""
            #expect(message.contains("long_reply"), "\(message)")
            #expect(message.contains("MCU starting RPC Bridge communi"))
        }
        // The first start is no restart.
        #expect(try !Self.findings("unoq-serial-hop").contains { $0["rule"] as? String == "peer-restart" })
    }

    @Test func aSecondRegistrationIsARouteConflictAndAFirstIsNot() throws {
        let conflicts = try Self.findings("unoq-route-conflict").filter { $0["rule"] as? String == "route-conflict" }
        #expect(conflicts.count == 2, "the MCU's and app B's py_shared; app B's py_b registers fine")
        #expect(conflicts.allSatisfy { $0["method"] as? String == "py_shared" })
        #expect(conflicts.allSatisfy { ($0["message"] as? String)?.contains("registered it first") == true })
    }

    @Test func aCallBeforeRegistrationHasNoRouteAndTheSameCallAfterItDoes() throws {
        let report = try Self.report("unoq-no-route")
        let noRoute = (report["findings"] as? [[String: Any]] ?? []).filter { $0["rule"] as? String == "no-route" }
        #expect(Set(noRoute.compactMap { $0["method"] as? String }) == ["echo", "py_late", "never_registered"])
        let calls = try #require(report["transactions"] as? [[String: Any]])
        let echoes = calls.filter { $0["method"] as? String == "echo" }
        #expect(echoes.map { $0["status"] as? String } == ["error", "ok"])
        #expect(echoes.first?["error_origin"] as? String == "router")
        #expect(echoes.last.flatMap { $0["hops"] as? [Any] }?.count == 2, "answered by the MCU through the router")
    }

    @Test func anErrorIsToldFromTheRouterOrTheParty() throws {
        let calls = try #require(try Self.report("unoq-tcp-hop")["transactions"] as? [[String: Any]])
        let origins = Dictionary(calls.filter { $0["status"] as? String == "error" }
            .map { ($0["method"] as! String, $0["error_origin"] as? String) }, uniquingKeysWith: { a, _ in a })
        #expect(origins["no_such_method"] == "router")
        #expect(origins["py_fail"] == "127.0.0.1:49840", "the app providing it raised")
    }
}

/// A routed call in the views: one flow across the parties' lanes in Perfetto, read back through
/// Perfetto's own protos, and the serial wire as lanes of its own in the HTML report.
struct UnoQViewTests {
    @Test func perfettoShowsARoutedCallAsOneFlowWithItsWireTime() throws {
        let summary = try PerfettoTests.traceSummary(of: UnoQReadingTests.capture("unoq-cancel-wedge"), ["--board", "uno-q"],
                                                     name: "unoq-wedge")
        #expect((summary["problems"] as? [String]) == [])
        let report = try UnoQReadingTests.report("unoq-cancel-wedge")
        let calls = report["transactions"] as? [[String: Any]] ?? []
        var methods: [String: Int] = [:]
        for call in calls { methods[call["method"] as! String, default: 0] += 1 }
        #expect((summary["calls"] as? [String: Int] ?? [:]) == methods, "a routed call is one call slice, its leg forwarded")
        let routed = calls.filter { ($0["hops"] as? [[String: Any]])?.last?["status"] as? String == "ok" }.count
        let plain = calls.filter { $0["hops"] == nil && $0["status"] as? String != "unanswered" }.count
        #expect(summary["flows"] as? Int == 2 * plain + 6 * routed + 3 * 2, "six steps per routed call; three for each unanswered leg")
        #expect((summary["tracks"] as? [String] ?? []).contains("serial router→mcu wire 1"))
    }

    @Test func theHTMLReportDrawsTheSerialWire() throws {
        let capture = UnoQReadingTests.capture("unoq-cancel-wedge")
        let html = Paths.temporary("unoq-wedge.html")
        _ = try CommandRun([capture, "--board", "uno-q", "--format", "html", "-o", html])
        let check = try CommandRun(["/usr/bin/env", "python3",
                                    Paths.packageRoot.appendingPathComponent("Tests/Fixtures/check_html.py").path, html],
                                   direct: true)
        #expect(check.status == 0, "\(check.standardError)")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(check.standardOutput.utf8)) as? [String: Any])
        let lanes = seen["lanes"] as? [String] ?? []
        #expect(lanes.contains("serial wire router→mcu") && lanes.contains("serial wire mcu→router"), "\(lanes)")
        #expect((seen["console"] as? [Any])?.isEmpty == true)
        let text = try String(contentsOfFile: html, encoding: .utf8)
        #expect(text.contains("\"hop\""), "the routed calls' steps are drawn")
    }
}
