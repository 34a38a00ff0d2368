import Foundation
import Regression
import Testing

/// A real MessagePack-RPC server and client on loopback (Tests/Fixtures, Python's msgpack):
/// recorded through the proxy, analysed, and replayed against a fresh server.
@Suite(.serialized)
struct LiveTests {
    /// A background process whose first line is read (servers print their port on standard
    /// output, `record` on standard error, which it keeps for status).
    final class Background {
        let process = Process()
        let output = Pipe()
        let errors = Pipe()
        let linesOnStandardError: Bool

        init(_ executable: String, _ arguments: [String], linesOnStandardError: Bool = false) throws {
            self.linesOnStandardError = linesOnStandardError
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.currentDirectoryURL = Paths.packageRoot
            process.standardOutput = output
            process.standardError = linesOnStandardError ? errors : FileHandle.nullDevice
            try process.run()
        }

        /// The first line the process printed.
        func firstLine() -> String {
            var bytes: [UInt8] = []
            let source = linesOnStandardError ? errors : output
            while true {
                let data = source.fileHandleForReading.readData(ofLength: 1)
                guard let byte = data.first, byte != UInt8(ascii: "\n") else { break }
                bytes.append(byte)
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        /// SIGKILL: children of the test runner may start with SIGTERM blocked.
        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    static let python = "/usr/bin/env"

    func server(changed: Bool = false) throws -> (Background, Int) {
        let server = try Background(Self.python, ["python3", "Tests/Fixtures/rpc_server.py", "127.0.0.1", "0"] + (changed ? ["--changed"] : []))
        let line = server.firstLine()
        let port = try #require(Int(line.split(separator: " ").last ?? ""), "the server said \(line)")
        return (server, port)
    }

    /// Runs the fixture client's session against `port`; its exit status.
    func runClient(port: Int) throws -> Int32 {
        let client = Process()
        client.executableURL = URL(fileURLWithPath: Self.python)
        client.arguments = ["python3", "Tests/Fixtures/rpc_client.py", "127.0.0.1", String(port)]
        client.currentDirectoryURL = Paths.packageRoot
        try client.run()
        client.waitUntilExit()
        return client.terminationStatus
    }

    /// `record --proxy` in front of the server at `port`, for one session; the proxy and its port.
    func proxy(to port: Int, _ arguments: [String]) throws -> (Background, Int) {
        let proxy = try Background(Paths.executable.path,
                                   ["record", "--proxy", "127.0.0.1:0", "--to", "127.0.0.1:\(port)", "--stop-after", "1"] + arguments,
                                   linesOnStandardError: true)
        let announced = proxy.firstLine()
        let proxyPort = try #require(Int(announced.components(separatedBy: "listening on 127.0.0.1:").last?
            .split(separator: ",").first ?? ""), "the proxy said \(announced)")
        return (proxy, proxyPort)
    }

    @Test func recordingToStandardOutputWritesOnlyTheCaptureThere() throws {
        let (server, port) = try server()
        defer { server.stop() }
        let (proxy, proxyPort) = try proxy(to: port, ["-w", "-"])
        defer { proxy.stop() }
        #expect(try runClient(port: proxyPort) == 0)
        let capture = proxy.output.fileHandleForReading.readDataToEndOfFile()
        proxy.process.waitUntilExit()
        // Nothing but the pcap: its magic first, and every record analysable.
        #expect(capture.prefix(4) == Data([0x4D, 0x3C, 0xB2, 0xA1]))
        let path = Paths.temporary("stdout-recording.pcap")
        try capture.write(to: URL(fileURLWithPath: path))
        let analysis = try CommandRun([path, "--format", "json"])
        let report = try #require(try JSONDifference.parse(analysis.standardOutput) as? [String: Any])
        #expect((report["transactions"] as? [Any])?.count == 6)
        let findings = report["findings"] as? [[String: Any]] ?? []
        #expect(!findings.contains { ($0["rule"] as? String) == "malformed-record" })
    }

    @Test func recordedAsTCPTheSessionOpensInWiresharksOwnTCPView() throws {
        let (server, port) = try server()
        defer { server.stop() }
        let recording = Paths.temporary("proxied-tcp.pcap")
        let (proxy, proxyPort) = try proxy(to: port, ["--link", "tcp", "-w", recording])
        defer { proxy.stop() }
        #expect(try runClient(port: proxyPort) == 0)
        proxy.process.waitUntilExit()
        let analysis = try CommandRun([recording, "--format", "json"])
        let report = try #require(try JSONDifference.parse(analysis.standardOutput) as? [String: Any])
        #expect((report["capture"] as? [String: Any])?["linktype"] as? Int == 1)
        let transactions = try #require(report["transactions"] as? [[String: Any]])
        #expect(transactions.map { $0["method"] as? String } == ["add", "slow", "echo", "servo_write", "servo_write", "echo"])
        #expect(!((report["findings"] as? [[String: Any]]) ?? []).contains { ($0["rule"] as? String) == "capture-loss" })
        // tshark: one TCP conversation, checksums right, nothing malformed or out of order.
        let problems = try CommandRun(["/usr/bin/env", "tshark", "-r", recording, "-o", "tcp.check_checksum:TRUE",
                                       "-o", "ip.check_checksum:TRUE", "-Y",
                                       "tcp.checksum.status == 0 || ip.checksum.status == 0 || _ws.malformed || tcp.analysis.flags",
                                       "-T", "fields", "-e", "frame.number"], direct: true)
        #expect(problems.status == 0 && problems.standardOutput.isEmpty, "\(problems.standardOutput)")
        let streams = try CommandRun(["/usr/bin/env", "tshark", "-r", recording, "-T", "fields", "-e", "tcp.stream",
                                      "-e", "tcp.flags.syn", "-e", "tcp.flags.fin"], direct: true)
        let lines = streams.standardOutput.split(separator: "\n")
        #expect(Set(lines.map { $0.split(separator: "\t").first ?? "" }) == ["0"])
        #expect(lines.filter { $0.split(separator: "\t").dropFirst().first == "1" }.count == 2, "SYN and SYN-ACK")
        #expect(lines.filter { $0.hasSuffix("\t1") }.count == 2, "a FIN each way")
    }

    @Test func recordThroughTheProxyAnalyseAndReplayAgainstAFreshServer() throws {
        let (first, port) = try server()
        defer { first.stop() }
        let recording = Paths.temporary("proxied.pcap")
        let proxy = try Background(Paths.executable.path,
                                   ["record", "--proxy", "127.0.0.1:0", "--to", "127.0.0.1:\(port)", "-w", recording, "--stop-after", "1"],
                                   linesOnStandardError: true)
        defer { proxy.stop() }
        let announced = proxy.firstLine()
        let proxyPort = try #require(announced.split(separator: ":").dropLast().isEmpty ? nil :
            Int(announced.components(separatedBy: "listening on 127.0.0.1:").last?.split(separator: ",").first ?? ""),
            "the proxy said \(announced)")
        #expect(try runClient(port: proxyPort) == 0, "the client failed through the proxy")
        proxy.process.waitUntilExit()
        #expect(proxy.process.terminationStatus == 0)

        let analysis = try CommandRun([recording, "--format", "json"])
        #expect(analysis.status == 0)
        let report = try #require(try JSONDifference.parse(analysis.standardOutput) as? [String: Any])
        let transactions = try #require(report["transactions"] as? [[String: Any]])
        #expect(transactions.map { $0["method"] as? String } == ["add", "slow", "echo", "servo_write", "servo_write", "echo"])
        #expect(transactions.allSatisfy { $0["caller"] as? String == "core0" && $0["callee"] as? String == "core1" })
        #expect(transactions.filter { $0["status"] as? String == "error" }.count == 1)
        #expect((report["notifications"] as? [Any])?.count == 1)
        #expect((report["findings"] as? [Any])?.isEmpty == true)

        let (fresh, freshPort) = try server()
        defer { fresh.stop() }
        let same = try CommandRun(["replay", recording, "--target", "tcp://127.0.0.1:\(freshPort)"])
        #expect(same.status == 0, "\(same.standardOutput)")
        #expect(same.standardOutput.contains("6 answered, 0 differ"))
        // Paced: the recorded gaps are kept, so the replay lasts about as long as the session did.
        let started = Date()
        let paced = try CommandRun(["replay", recording, "--target", "tcp://127.0.0.1:\(freshPort)", "--pace"])
        #expect(paced.status == 0)
        let recordedSpan = Double((report["capture"] as? [String: Any]).flatMap { c in
            (c["last_ns"] as? Int).flatMap { last in (c["first_ns"] as? Int).map { last - $0 } } } ?? 0) / 1e9
        #expect(Date().timeIntervalSince(started) >= recordedSpan * 0.5)

        let (changed, changedPort) = try server(changed: true)
        defer { changed.stop() }
        let junit = Paths.temporary("replay-junit.xml")
        let differs = try CommandRun(["replay", recording, "--target", "tcp://127.0.0.1:\(changedPort)", "--junit", junit])
        #expect(differs.status == 1)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("tests=\"6\" failures=\"1\"") && xml.contains("result: recorded 5, now 6"))
        let asJSON = try CommandRun(["replay", recording, "--target", "tcp://127.0.0.1:\(changedPort)", "--format", "json"])
        #expect(asJSON.status == 1)
        let replayed = try #require(try JSONDifference.parse(asJSON.standardOutput) as? [String: Any])
        #expect((replayed["summary"] as? [String: Any])?["differing"] as? Int == 1)
        #expect((replayed["calls"] as? [[String: Any]])?.count == 6)
        #expect(differs.standardOutput.contains("result: recorded 5, now 6"))
        let ignored = try CommandRun(["replay", recording, "--target", "tcp://127.0.0.1:\(changedPort)", "--ignore", "result"])
        #expect(ignored.status == 0)
    }

    @Test(.enabled(if: getuid() == 0, "live capture needs root or CAP_NET_RAW"))
    func liveCaptureOnLoopbackStopsCleanlyOnInterrupt() throws {
        let (server, port) = try server()
        defer { server.stop() }
        let output = Paths.temporary("live.pcapng")
        let recorder = try Background(Paths.executable.path, ["record", "-i", "lo", "tcp port \(port)", "-w", output],
                                      linesOnStandardError: true)
        defer { recorder.stop() }
        #expect(recorder.firstLine().hasPrefix("capturing on lo"))
        #expect(try runClient(port: port) == 0)
        usleep(300_000)
        kill(recorder.process.processIdentifier, SIGINT)
        recorder.process.waitUntilExit()
        #expect(recorder.process.terminationStatus == 0)
        let rest = String(decoding: recorder.output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(rest.contains("6 transactions (1 errors, 0 unanswered), 1 notifications"))
        let analysis = try CommandRun([output, "--format", "json"])
        let report = try #require(try JSONDifference.parse(analysis.standardOutput) as? [String: Any])
        #expect((report["transactions"] as? [Any])?.count == 6)
        #expect((report["capture"] as? [String: Any])?["linktype"] as? Int == 1)
    }

    @Test func anUnreachableTargetIsOneLineAndExitTwo() throws {
        let run = try CommandRun(["replay", "Captures/nvim-tcp-ipv4.pcap", "--target", "tcp://127.0.0.1:1"])
        #expect(run.status == 2)
        #expect(run.standardError.contains("cannot connect to 127.0.0.1:1"))
    }
}
