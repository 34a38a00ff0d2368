import Foundation
import Regression
import Report
import Testing

/// The built `rpc-analyze` as scripts and people call it: exit codes, messages, formats.
@Suite(.serialized)
struct CommandLineTests {
    let giga = "Captures/giga-servo.pcap"

    @Test func theDefaultReportNamesEveryMethodAndExitsZero() throws {
        let run = try CommandRun([giga])
        #expect(run.status == 0)
        for method in ["servo_new", "servo_attach", "servo_write"] { #expect(run.standardOutput.contains(method)) }
        #expect(run.standardOutput.contains("non-rpc-value"))
    }

    @Test func failOnSetsTheExitCode() throws {
        #expect(try CommandRun(["Captures/pipelined-errors.pcap"]).status == 0)
        #expect(try CommandRun(["Captures/pipelined-errors.pcap", "--fail-on", "warning"]).status == 1)
        #expect(try CommandRun([giga, "--fail-on", "warning"]).status == 0)
        #expect(try CommandRun([giga, "--fail-on", "note"]).status == 1)
        #expect(try CommandRun(["Captures/junk-and-loss.pcap", "--fail-on", "never"]).status == 0)
    }

    @Test func cannotAnalyseIsExitTwoWithOneLineNamingTheFile() throws {
        let missing = try CommandRun(["Captures/no-such.pcap"])
        #expect(missing.status == 2)
        #expect(missing.standardError.contains("Captures/no-such.pcap"))
        #expect(missing.standardError.split(separator: "\n").count == 1)
        let text = try CommandRun(["Captures/giga-servo.yaml"])
        #expect(text.status == 2)
        #expect(text.standardError.contains("giga-servo.yaml"))
        #expect(try CommandRun([giga, "--format", "xml"]).status == 2)
        #expect(try CommandRun([giga, "len >>> 3"]).status == 2)
    }

    @Test func anotherLinkTypeIsRefusedUnlessAskedFor() throws {
        let scenario = Paths.temporary("user1.yaml")
        try "linktype: 148\nrecords:\n  - {msgpack: [2, hello, []]}\n".write(toFile: scenario, atomically: true, encoding: .utf8)
        let capture = Paths.temporary("user1.pcap")
        #expect(try CommandRun(["synth", scenario, "-o", capture]).status == 0)
        let refused = try CommandRun([capture])
        #expect(refused.status == 2)
        #expect(refused.standardError.contains("link type 148"))
        let accepted = try CommandRun([capture, "--dlt", "1", "--format", "json"])
        #expect(accepted.status == 0)
        #expect(accepted.standardOutput.contains("\"hello\""))
    }

    @Test func readsStandardInput() throws {
        let bytes = try Data(contentsOf: Paths.captures.appendingPathComponent("giga-servo.pcap"))
        let run = try CommandRun(["-", "--format", "json"], input: bytes)
        #expect(run.status == 0)
        let report = try #require(try JSONDifference.parse(run.standardOutput) as? [String: Any])
        #expect((report["transactions"] as? [Any])?.count == 3)
    }

    @Test func aFilterSelectsRecordsAndKeepsTheirNumbers() throws {
        // Requests are 26 to 31 bytes long, responses 16 and the handshake 13: only requests pass.
        let run = try CommandRun([giga, "len > 25", "--format", "json"])
        let report = try #require(try JSONDifference.parse(run.standardOutput) as? [String: Any])
        let capture = try #require(report["capture"] as? [String: Any])
        #expect(capture["records"] as? Int == 6)
        let findings = try #require(report["findings"] as? [[String: Any]])
        #expect(!findings.contains { $0["rule"] as? String == "non-rpc-value" })
        let transactions = try #require(report["transactions"] as? [[String: Any]])
        // Only requests pass the filter: every call is unanswered, at its record number in the file.
        #expect(transactions.map { $0["request_record"] as? Int } == [3, 7, 11])
    }

    @Test func jsonLinesStreamsOneObjectPerLineAndAgreesWithJSON() throws {
        let lines = try CommandRun(["Captures/pipelined-errors.pcap", "--format", "jsonl"]).standardOutput
            .split(separator: "\n").map { try JSONDifference.parse(String($0)) as! [String: Any] }
        let types = lines.map { $0["type"] as! String }
        #expect(types.filter { $0 == "transaction" }.count == 7)
        #expect(types.filter { $0 == "notification" }.count == 1)
        #expect(types.filter { $0 == "finding" }.count == 3)
        #expect(types.last == "summary")
        let summary = try #require(lines.last?["summary"] as? [String: Any])
        #expect(summary["transactions"] as? Int == 7)
    }

    @Test func theDetailedListingShowsRecordsMessagesAndTraceEvents() throws {
        let fifo = try CommandRun(["Captures/rp2040-fifo.pcap", "--detail"]).standardOutput
        #expect(fifo.contains("#1 "))
        #expect(fifo.contains("request  msgid 1  led_set[25, 1]"))
        #expect(fifo.contains("receiver side: delivery)"))
        let tcp = try CommandRun(["Captures/nvim-tcp-ipv4.pcap", "--detail"]).standardOutput
        #expect(tcp.contains("tcp  127.0.0.1:51344 → 127.0.0.1:47100  0 bytes  (SYN seq "))
        #expect(tcp.contains("request  msgid 1  nvim_get_api_info[]"))
        // The 30 kB API description is cut for reading.
        #expect(tcp.split(separator: "\n").allSatisfy { $0.count < 400 })
        let trace = try CommandRun(["Captures/rp2040-trace.pcap", "-V"]).standardOutput
        #expect(trace.contains("trace core0  core.start(1)"))
        #expect(trace.contains("watchdog.kick()  (unknown event)"))
    }

    @Test(arguments: Paths.bundledCaptures())
    func theDetailedListingPutsEveryFindingUnderItsOwnRecord(name: String) throws {
        let path = "Captures/\(name).pcap"
        guard FileManager.default.fileExists(atPath: Paths.packageRoot.appendingPathComponent(path).path) else { return }
        let listing = try CommandRun([path, "--detail"]).standardOutput
        let report = try #require(try JSONDifference.parse(try CommandRun([path, "--format", "json"]).standardOutput) as? [String: Any])
        var recordOf: [String: [Int]] = [:]
        for finding in report["findings"] as? [[String: Any]] ?? [] {
            guard let record = finding["record"] as? Int, let message = finding["message"] as? String else { continue }
            recordOf[message, default: []].append(record)
        }
        var current = 0
        for line in listing.split(separator: "\n").prefix(while: { !$0.hasPrefix("Capture  ") }) {
            if line.hasPrefix("#"), let number = Int(line.dropFirst().prefix { $0.isNumber }) { current = number }
            guard line.hasPrefix("    ! ") else { continue }
            let message = line.split(separator: ": ", maxSplits: 1).last.map(String.init) ?? ""
            if let records = recordOf[message] {
                #expect(records.contains(current), "\(name): \(message) listed under #\(current), belongs to \(records)")
            }
        }
    }

    @Test func aTruncatedCaptureIsAnalysedUpToTheCut() throws {
        let bytes = try Data(contentsOf: Paths.captures.appendingPathComponent("pipelined-errors.pcap"))
        let cut = Paths.temporary("cut.pcap")
        try bytes.dropLast(10).write(to: URL(fileURLWithPath: cut))
        let run = try CommandRun([cut, "--format", "json"])
        // An error, so that a CI job does not pass on part of a capture.
        #expect(run.status == 1)
        let report = try #require(try JSONDifference.parse(run.standardOutput) as? [String: Any])
        let findings = try #require(report["findings"] as? [[String: Any]])
        let truncation = try #require(findings.first { $0["rule"] as? String == "truncated-capture" })
        #expect(truncation["record"] as? Int == 14)
        #expect(truncation["severity"] as? String == "error")
        #expect((report["transactions"] as? [Any])?.count == 6)
        #expect(try CommandRun([cut]).standardOutput.contains("truncated-capture"))
    }

    @Test func aPcapngDamagedMidFileIsAnErrorAfterWhatCameBefore() throws {
        var bytes = [UInt8](try Data(contentsOf: Paths.captures.appendingPathComponent("merged-intercore-tcp.pcapng")))
        // The length of a block two thirds in becomes impossible.
        var at = 0, blocks = 0
        while at + 8 <= bytes.count {
            let length = Int(bytes[at + 4]) | Int(bytes[at + 5]) << 8 | Int(bytes[at + 6]) << 16 | Int(bytes[at + 7]) << 24
            blocks += 1
            if blocks == 30 { bytes[at + 4] = 0x03; break }
            at += length
        }
        let damaged = Paths.temporary("damaged.pcapng")
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let run = try CommandRun([damaged, "--format", "json"])
        #expect(run.status == 1)
        let report = try #require(try JSONDifference.parse(run.standardOutput) as? [String: Any])
        let findings = try #require(report["findings"] as? [[String: Any]])
        #expect(findings.contains { $0["rule"] as? String == "truncated-capture" })
        #expect(((report["capture"] as? [String: Any])?["records"] as? Int ?? 0) > 20)
        // Not a capture at all: exit 2, one line.
        let junk = Paths.temporary("not-a-capture.pcap")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: junk))
        let refused = try CommandRun([junk])
        #expect(refused.status == 2)
        #expect(refused.standardError.split(separator: "\n").count == 1)
    }

    @Test func synthNamesTheFileLineAndKeyOfAMistake() throws {
        let scenario = Paths.temporary("bad.yaml")
        try "records:\n  - {at: 1ms, form: 0, msgpack: 1}\n".write(toFile: scenario, atomically: true, encoding: .utf8)
        let run = try CommandRun(["synth", scenario, "-o", Paths.temporary("bad.pcap")])
        #expect(run.status == 2)
        #expect(run.standardError.contains("bad.yaml:2: records[0].form: unknown record key"))
    }
}

/// Mistakes people make at the command line get one line that says what to do, and exit 2.
struct CommandLineMistakeTests {
    @Test(arguments: [
        (["bench", "--megabytes", "0"], "--megabytes must be at least 1"),
        (["bench", "--runs", "0"], "--runs must be at least 1"),
        (["Captures/giga-servo.pcap", "--dlt", "1"], "--dlt 0"),
        (["test", "Captures/giga-servo.pcap"], "is a file; test takes a folder"),
        (["Captures/giga-servo.pcap", "--max-depth", "-1"], "--max-depth must be from 1 to"),
        (["Captures/giga-servo.yaml"], "rpc-analyze synth Captures/giga-servo.yaml"),
        (["Captures/giga-servo.pcap", "--format", "xml"], "--format"),
    ])
    func oneLineAndExitTwo(arguments: [String], says: String) throws {
        let run = try CommandRun(arguments)
        #expect(run.status == 2)
        let lines = run.standardError.split(separator: "\n")
        #expect(lines.count == 1, "\(run.standardError)")
        #expect(run.standardError.contains(says), "\(run.standardError)")
        #expect(run.standardError.count < 300)
    }

    @Test func theBritishSpellingOfTheCommandWorks() throws {
        let run = try CommandRun(["analyse", "Captures/giga-servo.pcap", "--format", "json"])
        #expect(run.status == 0)
        #expect(run.standardOutput.contains("\"servo_write\""))
    }

    @Test func streamsLeftOutByThePortAreSaidToBeUnselected() throws {
        let run = try CommandRun(["Captures/nvim-tcp-ipv4.pcap", "--port", "1234"])
        #expect(run.standardOutput.contains("2 other streams were not selected by --port"))
    }
}

/// Rule selection as ruff does it, and baselines of accepted findings.
struct RuleSelectionTests {
    @Test func theGigaHandshakeNoteNoLongerFailsANoteGateOnceIgnoredOrBaselined() throws {
        for name in ["giga-servo-board", "giga-owner-violation", "giga-oversized-message"] {
            let capture = "Captures/\(name).pcap"
            let plain = try CommandRun([capture, "--board", "giga-r1", "--fail-on", "note", "--format", "json"])
            #expect(plain.status == 1, "\(name): the handshake note fails a note gate")
            let ignored = try CommandRun([capture, "--board", "giga-r1", "--fail-on", "note", "--ignore", "non-rpc-value",
                                          "--select", "error,warning,note", "--format", "json"])
            #expect(!ignored.standardOutput.contains("non-rpc-value"), "\(name)")
            let baseline = Paths.temporary("\(name).baseline.json")
            _ = try CommandRun([capture, "--board", "giga-r1", "--write-baseline", baseline])
            let known = try CommandRun([capture, "--board", "giga-r1", "--fail-on", "note", "--baseline", baseline])
            #expect(known.status == 0, "\(name): \(known.standardOutput)")
            #expect(known.standardOutput.contains("accepted by the baseline"))
        }
    }

    @Test func aBaselineHoldsBackOnlyWhatItListsNotNewFindings() throws {
        let baseline = Paths.temporary("servo.baseline.json")
        // The baseline of a clean run of the servo case holds only the handshake note…
        _ = try CommandRun(["Captures/giga-servo-board.pcap", "--board", "giga-r1", "--write-baseline", baseline])
        // …so on the deadlock the new findings are reported and fail the run.
        let run = try CommandRun(["Captures/giga-callback-deadlock.pcap", "--board", "giga-r1", "--baseline", baseline,
                                  "--format", "json"])
        #expect(run.status == 1)
        #expect(run.standardOutput.contains("rpc-deadlock") && run.standardOutput.contains("nested-call"))
    }

    @Test func aSeverityNameSelectsItsRules() throws {
        let run = try CommandRun(["Captures/giga-callback-deadlock.pcap", "--board", "giga-r1", "--select", "error",
                                  "--format", "json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
        let rules = (report["findings"] as? [[String: Any]] ?? []).compactMap { $0["rule"] as? String }
        #expect(rules == ["rpc-deadlock"])
        let wrong = try CommandRun(["Captures/giga-servo.pcap", "--select", "eror"])
        #expect(wrong.status == 2 && wrong.standardError.contains("eror is neither a rule nor a severity"))
    }
}

/// Colour on a terminal only, when wanted; -q for the findings alone.
struct TerminalOutputTests {
    @Test @MainActor func colourFollowsTheChoiceTheTerminalAndNoColor() {
        #expect(Palette.resolve("auto", isTerminal: true, environment: [:]).enabled)
        #expect(!Palette.resolve("auto", isTerminal: false, environment: [:]).enabled)
        #expect(!Palette.resolve("auto", isTerminal: true, environment: ["NO_COLOR": "1"]).enabled)
        #expect(!Palette.resolve("auto", isTerminal: true, environment: ["TERM": "dumb"]).enabled)
        #expect(Palette.resolve("always", isTerminal: false, environment: ["NO_COLOR": "1"]).enabled)
        #expect(!Palette.resolve("never", isTerminal: true, environment: [:]).enabled)
    }

    @Test func aPipeGetsNoColourUnlessAskedAndTheOverlapsWritersAreColoured() throws {
        let capture = "Captures/uart-both-cores-print.pcap"
        let plain = try CommandRun([capture, "--board", "rp2040"])
        #expect(!plain.standardOutput.contains("\u{1B}["))
        let coloured = try CommandRun([capture, "--board", "rp2040", "--color", "always"])
        #expect(coloured.standardOutput.contains("\u{1B}[31;1merror\u{1B}[0m"))
        #expect(coloured.standardOutput.contains("\u{1B}[36mdevice-overlap\u{1B}[0m"))
        let wire = try #require(coloured.standardOutput.split(separator: "\n").first { $0.contains("written by") })
        #expect(wire.contains("\u{1B}[35m1") && wire.contains("\u{1B}[32m2"), "each writer in its own colour")
    }

    @Test func quietPrintsTheFindingsAndTheVerdictOnly() throws {
        let run = try CommandRun(["Captures/uart-both-cores-print.pcap", "--board", "rp2040", "-q"])
        #expect(run.status == 1)
        #expect(run.standardOutput.hasPrefix("Findings  1 error"))
        #expect(!run.standardOutput.contains("Capture  ") && !run.standardOutput.contains("Streams"))
        #expect(run.standardOutput.hasSuffix("exit 1: findings at or above --fail-on error\n"))
    }
}

extension TerminalOutputTests {
    @Test(arguments: ["uart-both-cores-print", "giga-callback-deadlock", "pipelined-errors", "data-race"])
    func linesFitTheWidthColumnsGives(name: String) throws {
        let board = name.hasPrefix("giga") ? "giga-r1" : name == "data-race" ? "Captures/boards/shared-data.yaml" : "rp2040"
        let run = try CommandRun(["/usr/bin/env", "COLUMNS=60", Paths.executable.path, "Captures/\(name).pcap", "--board", board],
                                 direct: true)
        let lines = run.standardOutput.split(separator: "\n")
        #expect(lines.allSatisfy { $0.count <= 60 }, "\(lines.filter { $0.count > 60 }.first ?? "")")
        // The words are all still there.
        let whole = try CommandRun(["Captures/\(name).pcap", "--board", board])
        let words = { (text: String) in text.split(whereSeparator: { $0 == " " || $0 == "\n" }).filter { !$0.contains("…") } }
        #expect(Set(words(whole.standardOutput).filter { $0.count < 40 }).isSubset(of: Set(words(run.standardOutput))))
    }

    @Test func aPipeWithoutColumnsKeepsWholeLines() throws {
        let run = try CommandRun(["Captures/uart-both-cores-print.pcap", "--board", "rp2040"])
        #expect(run.standardOutput.split(separator: "\n").contains { $0.count > 120 })
    }
}

extension TerminalOutputTests {
    /// A run that lasts past a second shows its progress on a terminal's standard error, clears
    /// it before the report, and shows nothing in a pipe.
    @Test func progressOnATerminalOnlyAndClearedBeforeTheReport() throws {
        let capture = Paths.temporary("progress.pcap")
        let made = try CommandRun(["bench", "--write-only", capture, "--megabytes", "40"])
        #expect(made.status == 0)
        let script = """
        import os, pty, select, subprocess, sys
        master, slave = pty.openpty()
        p = subprocess.Popen([sys.argv[1], sys.argv[2], "--no-replay"], stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        seen = b""
        while True:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
            elif p.poll() is not None:
                break
        report = p.stdout.read()
        p.wait()
        print(repr(seen))
        print(report.decode().splitlines()[0])
        """
        let run = try CommandRun(["/usr/bin/env", "python3", "-c", script, Paths.executable.path, capture], direct: true)
        let lines = run.standardOutput.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.contains("MB (") == true && lines.first?.contains("records/s") == true, "\(run.standardOutput)")
        #expect(lines.first?.hasSuffix("\\r\\x1b[K'") == true, "the line is cleared at the end")
        #expect(lines.last == "Capture  \(capture)")
        let piped = try CommandRun([capture, "--no-replay"])
        #expect(piped.standardError.isEmpty)
    }
}
