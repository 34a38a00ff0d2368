import Foundation
import Testing

/// `record --proxy` under the faults a recorder in front of a live system meets: killed without
/// warning, a full disk, messages larger than a record, a client that stops reading, a target
/// that stops accepting, clients arriving in a crowd, standard error read by a program that
/// exits. Real processes, signals, sockets and (as root) a real small tmpfs; waits are bounded
/// generously, so that a busy machine makes a test slower, never wrong.
@Suite(.serialized)
struct ProxyFaultTests {
    typealias Peers = ProxyPeers

    // MARK: Killed, hung up on

    @Test func aQuietSessionIsOnDiskWhileRecordingAndAfterKillNine() throws {
        let file = Paths.temporary("quiet-killed.pcap")
        let session = try ProxiedCalls(file: file, calls: ["--count", "50", "--interval", "0.05", "--hold", "60"])
        defer { session.stop() }
        let (proxy, client) = (session.proxy, session.client)
        #expect(client.line(within: 60) { $0 == "answered 50" } != nil, "\(client.text(.errors))")
        usleep(500_000)
        // A reader beside the recorder sees every call so far while the session is still open.
        #expect(Peers.answeredIDs(try Peers.report(file)) == Set(1...50))
        proxy.signal(SIGKILL)
        #expect(proxy.exits(within: 10))
        let report = try Peers.report(file)
        #expect(Peers.answeredIDs(report) == Set(1...50))
        #expect(!Peers.findingRules(report).contains("malformed-record"))
    }

    /// Back-to-back calls, then a pause: a buffer of 4 KiB held the last ones until it filled.
    @Test func aBusySessionKilledInAPauseKeepsEveryCall() throws {
        let file = Paths.temporary("busy-killed.pcap")
        let session = try ProxiedCalls(file: file, calls: ["--count", "3000", "--window", "4", "--hold", "60"])
        defer { session.stop() }
        let (proxy, client) = (session.proxy, session.client)
        #expect(client.line(within: 120) { $0 == "answered 3000" } != nil, "\(client.text(.errors))")
        usleep(1_000_000)
        proxy.signal(SIGKILL)
        #expect(proxy.exits(within: 10))
        let recorded = Peers.answeredIDs(try Peers.report(file))
        #expect(recorded == Set(1...3000), "\(3000 - recorded.count) of 3000 calls answered a second before the kill are missing")
    }

    @Test func hangingUpStopsCleanlyAndKeepsTheCapture() throws {
        let file = Paths.temporary("hung-up.pcap")
        let session = try ProxiedCalls(file: file, calls: ["--count", "50", "--interval", "0.05", "--hold", "60"])
        defer { session.stop() }
        let (proxy, client) = (session.proxy, session.client)
        #expect(client.line(within: 60) { $0 == "answered 50" } != nil)
        proxy.signal(SIGHUP)
        #expect(proxy.exitStatus(within: 10) == 0)
        #expect(proxy.text(.errors).contains("(stopped by SIGHUP)"))
        #expect(Peers.answeredIDs(try Peers.report(file)) == Set(1...50))
    }

    /// `2>&1 | head -3`: once head exits, the next status line meets a closed pipe.
    @Test func standardErrorReadByAProgramThatExitsStopsTheProxyCleanly() throws {
        let (server, port) = try Peers.server()
        defer { server.stop() }
        let file = Paths.temporary("closed-stderr.pcap")
        let listen = try Peers.freePort()
        let fifo = Paths.temporary("closed-stderr.fifo")
        // As `2>&1 | head -3`, but through a FIFO so that the proxy's pid and exit status are known.
        let script = """
            rm -f "$2"; mkfifo "$2"
            "$0" record --proxy 127.0.0.1:$1 --to 127.0.0.1:\(port) -w '\(file)' 2> "$2" &
            proxy=$!; echo "proxy pid $proxy"
            head -3 < "$2" > /dev/null
            wait $proxy; echo "proxy exit $?"
            """
        let shell = try PeerProcess("/bin/bash", ["-c", script, Paths.executable.path, String(listen), fifo])
        let pid = try #require(shell.line(within: 20) { $0.hasPrefix("proxy pid") }.flatMap { Int32($0.split(separator: " ").last ?? "") })
        defer {
            kill(pid, SIGKILL)
            shell.stop()
        }
        // head prints nothing before its third line: the proxy is ready when it accepts.
        #expect(Peers.waitForListener(on: listen, within: 20))
        let client = try Peers.calls(listen, ["--count", "400", "--interval", "0.025", "--hold", "60"])
        defer { client.stop() }
        let verdict = shell.line(within: 60) { $0.hasPrefix("proxy exit") }
        // 0: stopped by SIGPIPE as by Ctrl-C; 141 would be killed by it.
        #expect(verdict == "proxy exit 0", "\(shell.text(.output))")
        let report = try Peers.report(file)
        #expect(!Peers.answeredIDs(report).isEmpty)
        #expect(!Peers.findingRules(report).contains("malformed-record"))
    }

    // MARK: The file

    @Test func aPcapngNameWritesPcapng() throws {
        let (server, port) = try Peers.server()
        defer { server.stop() }
        let file = Paths.temporary("proxied.pcapng")
        let (proxy, proxyPort) = try Peers.proxy(to: port, writing: file, ["--stop-after", "1"])
        defer { proxy.stop() }
        let client = try PeerProcess.python("rpc_client.py", ["127.0.0.1", String(proxyPort)])
        defer { client.stop() }
        #expect(client.exitStatus(within: 30) == 0)
        #expect(proxy.exitStatus(within: 30) == 0)
        let head = try #require(FileHandle(forReadingAtPath: file)).readData(ofLength: 4)
        #expect(head == Data([0x0A, 0x0D, 0x0D, 0x0A]))
        #expect(Peers.transactions(try Peers.report(file)).count == 6)
        #expect(try Peers.tsharkReadsAll(file).ok)
    }

    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func aFullDiskStopsTheRecordingButNotTheForwarding() throws {
        let directory = Paths.temporary("full-disk")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let mount = try CommandRun(["/bin/mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", directory], direct: true)
        try #require(mount.status == 0, "\(mount.standardError)")
        defer { _ = try? CommandRun(["/bin/umount", directory], direct: true) }
        let file = directory + "/full.pcap"
        let session = try ProxiedCalls(file: file, calls: ["--count", "20000", "--window", "50"])
        defer { session.stop() }
        let (proxy, client) = (session.proxy, session.client)
        #expect(client.line(within: 120) { $0 == "answered 20000" } != nil, "\(client.text(.errors))")
        let failure = proxy.line(.errors, within: 10) { $0.contains("cannot write capture") }
        #expect(failure?.contains(file) == true && failure?.contains("No space left on device") == true, "\(proxy.text(.errors))")
        // A client that comes after the failure is still forwarded.
        let later = try PeerProcess.python("rpc_client.py", ["127.0.0.1", String(session.proxyPort)])
        defer { later.stop() }
        #expect(later.exitStatus(within: 30) == 0)
        proxy.signal(SIGINT)
        #expect(proxy.exitStatus(within: 10) == 2)
        let said = proxy.text(.errors)
        #expect(said.contains("no longer recording; forwarding went on"), "\(said)")
        // Said once when it happened (and once more at the end), not once a write.
        #expect(proxy.lines(.errors).filter { $0.contains("No space left on device") }.count <= 2, "\(said)")
        // What reached the disk is a capture up to its last whole record.
        let report = try Peers.report(file)
        #expect(Peers.answeredIDs(report).count > 100)
        #expect(!Peers.findingRules(report).contains("malformed-record"))
        #expect(try Peers.libpcapReading(file).error == nil)
    }

    // MARK: Messages longer than a record

    @Test func aMessageLongerThanTheSnapLengthIsSplitIntoRecordsEveryReaderReads() throws {
        let file = Paths.temporary("long-message.pcap")
        let session = try ProxiedCalls(file: file, proxyArguments: ["--stop-after", "1"], calls: ["--sizes", "10,300000,10,10"])
        defer { session.stop() }
        let (proxy, client) = (session.proxy, session.client)
        #expect(client.line(within: 60) { $0 == "answered 4" } != nil, "\(client.text(.errors))")
        #expect(proxy.exitStatus(within: 30) == 0)
        let report = try Peers.report(file)
        #expect(Peers.answeredIDs(report) == [1, 2, 3, 4])
        #expect(Peers.findingRules(report).isEmpty, "\(Peers.findingRules(report))")
        let libpcap = try Peers.libpcapReading(file)
        #expect(libpcap.error == nil && libpcap.longest <= 262_144 && libpcap.records > 8, "\(libpcap)")
        let tshark = try Peers.tsharkReadsAll(file)
        #expect(tshark.ok, "\(tshark.said)")
    }

    @Test func aHundredMegabyteMessagePassesThroughInBoundedMemory() throws {
        let file = Paths.temporary("hundred-megabytes.pcap")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let session = try ProxiedCalls(file: file, proxyArguments: ["--stop-after", "1"], calls: ["--sizes", "100000000", "--hold", "2"])
        defer { session.stop() }
        let (proxy, client) = (session.proxy, session.client)
        #expect(client.line(within: 300) { $0 == "answered 1" } != nil, "\(client.text(.errors))")
        let peak = try #require(proxy.peakResidentKilobytes)
        #expect(peak < 64 << 10, "the proxy's peak resident memory was \(peak / 1024) MB")
        #expect(proxy.exitStatus(within: 60) == 0)
        // The analyzer's own limits for one value (4 MiB) and for what it holds of unfinished
        // values (64 MiB, about 6 bytes a byte) are raised to read a value of 100 MB.
        // The text summary: JSON would spell out the 100 MB twice, in hex.
        let summary = try CommandRun([file, "--max-message-bytes", "200000000", "--limit", "buffered-bytes=1000000000"])
        #expect(summary.standardOutput.contains("Calls  1 transactions (0 errors, 0 unanswered)"), "\(summary.standardOutput)")
        #expect(summary.standardOutput.contains("Findings  none"))
        let libpcap = try Peers.libpcapReading(file)
        #expect(libpcap.error == nil && libpcap.longest <= 262_144, "\(libpcap)")
        let tshark = try Peers.tsharkReadsAll(file)
        #expect(tshark.ok, "\(tshark.said)")
    }

    // MARK: Peers that stop

    @Test func aClientThatStopsReadingStallsOnlyItsOwnConnection() throws {
        let (server, port) = try Peers.server()
        defer { server.stop() }
        let file = Paths.temporary("stalled-client.pcap")
        let (proxy, proxyPort) = try Peers.proxy(to: port, writing: file)
        defer { proxy.stop() }
        let stalled = try PeerProcess.python("proxy_peers.py", ["stalled", "127.0.0.1", String(proxyPort)])
        defer { stalled.stop() }
        #expect(stalled.line(within: 60) { $0 == "stalled" } != nil)
        // While it stays stalled, another client is served in full.
        let other = try PeerProcess.python("rpc_client.py", ["127.0.0.1", String(proxyPort)])
        defer { other.stop() }
        #expect(other.exitStatus(within: 10) == 0, "the other client did not get its answers")
        proxy.signal(SIGTERM)
        #expect(proxy.exitStatus(within: 5) == 0, "SIGTERM was not acted on")
        let served = Peers.transactions(try Peers.report(file)).filter { $0["channel"] as? String == "message1" }
        #expect(served.map { $0["method"] as? String } == ["add", "slow", "echo", "servo_write", "servo_write", "echo"])
    }

    @Test func aTargetThatNeverAcceptsIsRefusedForThatClientOnly() throws {
        let (target, port) = try Peers.server("proxy_peers.py", ["gated-server"])
        defer { target.stop() }
        let file = Paths.temporary("gated-target.pcap")
        // The default connect timeout, 5 s.
        let (proxy, proxyPort) = try Peers.proxy(to: port, writing: file)
        defer { proxy.stop() }
        // The first session is served; after it the target's accept queue stays full.
        let first = try Peers.calls(proxyPort, ["--count", "100", "--interval", "0.1"])
        defer { first.stop() }
        #expect(target.line(within: 20) { $0 == "full" } != nil)
        let turnedAway = try Peers.calls(proxyPort, ["--count", "1"])
        defer { turnedAway.stop() }
        #expect(turnedAway.exits(within: 20), "the client whose target never answered was not closed")
        #expect(turnedAway.text(.errors).contains("connection closed after 0 answers"))
        #expect(first.line(within: 30) { $0 == "answered 100" } != nil, "the session already open was held up")
        #expect(proxy.line(.errors, within: 10) { $0.contains("1 refused") && $0.contains("5 s") } != nil, "\(proxy.text(.errors))")
        // Stopping while a connect waits is immediate too.
        let waiting = try Peers.calls(proxyPort, ["--count", "1"])
        defer { waiting.stop() }
        usleep(300_000)
        proxy.signal(SIGINT)
        #expect(proxy.exitStatus(within: 5) == 0, "SIGINT was not acted on while a connect waited")
        #expect(Peers.answeredIDs(try Peers.report(file)) == Set(1...100))
    }

    @Test func fiftyClientsConnectingAtOnceAreAllForwarded() throws {
        let (server, port) = try Peers.server()
        defer { server.stop() }
        let file = Paths.temporary("burst.pcap")
        let (proxy, proxyPort) = try Peers.proxy(to: port, writing: file)
        defer { proxy.stop() }
        let burst = try PeerProcess.python("proxy_peers.py", ["burst", "127.0.0.1", String(proxyPort), "50"])
        defer { burst.stop() }
        let line = try #require(burst.line(within: 60) { $0.hasPrefix("{") }, "\(burst.text(.errors))")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(result["connected"] as? Int == 50)
        #expect(result["answered"] as? Int == 50)
        // A connect of a second or more is a SYN sent again: the listen queue overflowed.
        #expect((result["slowest_connect"] as? Double ?? 99) < 1.0, "\(line)")
        proxy.signal(SIGINT)
        #expect(proxy.exitStatus(within: 10) == 0)
        #expect(Peers.transactions(try Peers.report(file)).count == 50)
    }
}
