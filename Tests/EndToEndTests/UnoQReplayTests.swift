import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// `replay --target unix:` and `serial:` against real processes: the UNO Q's bundled
/// captures (Captures/unoq) replayed to a stand-in router on a Unix socket
/// (Tests/Fixtures/router_standin.py) and to a serial peer with RPClite's wire behaviour on a
/// real pty (scripts/unoq/rpclite_peer.py). Neither is the real router or firmware.
@Suite(.serialized)
struct UnoQReplayTests {
    static let captures = Paths.captures.appendingPathComponent("unoq").path
    static let tcpHop = captures + "/unoq-tcp-hop.pcap"
    static let serialHop = captures + "/unoq-serial-hop.pcap"
    static let wedge = captures + "/unoq-cancel-wedge.pcapng"

    /// The stand-in router listening on a fresh socket; the process and the socket's path.
    func router(_ arguments: [String] = []) throws -> (PeerProcess, String) {
        let path = Paths.temporary("router-\(UInt32.random(in: 0...UInt32.max)).sock")
        let router = try PeerProcess.python("router_standin.py", [path] + arguments)
        guard router.line(within: 10, where: { $0.hasPrefix("listening") }) != nil else {
            router.stop()
            throw TestFailure("the stand-in router did not start: \(router.text(.errors))")
        }
        return (router, path)
    }

    /// The RPClite peer on a new pty linked at a fresh path; the process and the path.
    func mcu(_ arguments: [String] = []) throws -> (PeerProcess, String) {
        let path = Paths.temporary("mcu-\(UInt32.random(in: 0...UInt32.max))")
        let mcu = try PeerProcess("/usr/bin/env", ["python3", "scripts/unoq/rpclite_peer.py", path] + arguments)
        guard mcu.line(within: 10, where: { $0.hasPrefix("ready") }) != nil else {
            mcu.stop()
            throw TestFailure("the RPClite peer did not start: \(mcu.text(.errors))")
        }
        return (mcu, path)
    }

    static func json(_ run: CommandRun) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any],
                     "not JSON: \(run.standardOutput) \(run.standardError)")
    }

    static func summary(_ report: [String: Any]) -> [String: Any] { report["summary"] as? [String: Any] ?? [:] }

    // MARK: unix:

    @Test func theAppsCallsThroughARouterStandingInForTheOtherAppGiveTheRecordedAnswers() throws {
        let (router, socket) = try router()
        defer { router.stop() }
        let junit = Paths.temporary("unix-replay.xml")
        let run = try CommandRun(["replay", Self.tcpHop, "--target", "unix:" + socket, "--providers",
                                  "--format", "json", "--junit", junit])
        #expect(run.status == 0, "\(run.standardOutput) \(run.standardError)")
        let report = try Self.json(run)
        #expect(report["client"] as? String == "127.0.0.1:49846")
        let summary = Self.summary(report)
        #expect(summary["calls"] as? Int == 27)
        #expect(summary["answered"] as? Int == 27)
        #expect(summary["differing"] as? Int == 0)
        let notes = report["notes"] as? [String] ?? []
        // py_mul, py_fail and py_gone were answered by the stand-in for the recorded provider app,
        // through the router, with its recorded answers; mcu_tick came to the replayed app.
        #expect(notes.contains("standing in for 127.0.0.1:49840: py_mul, py_fail, py_gone"))
        #expect(notes.contains { $0.contains("mcu_tick ×3 (recorded 3)") })
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("tests=\"27\""))
        #expect(xml.contains("failures=\"0\""))
        _ = try XMLDocument(xmlString: xml)
    }

    @Test func withoutTheOtherAppTheRoutersRefusalsAreTheDifferences() throws {
        let (router, socket) = try router()
        defer { router.stop() }
        let run = try CommandRun(["replay", Self.tcpHop, "--target", "unix:" + socket])
        #expect(run.status == 1)
        #expect(run.standardOutput.contains("DIFF  msgid 19 py_mul"))
        #expect(run.standardOutput.contains("now [2, \"method py_mul not available\"]"))
        #expect(run.standardOutput.contains("27 answered, 4 differ from the recording"))
    }

    @Test func aChangedAnswerBehindTheRouterIsNamedPathByPath() throws {
        let (router, socket) = try router(["--change", "add"])
        defer { router.stop() }
        let run = try CommandRun(["replay", Self.tcpHop, "--target", "unix:" + socket, "--providers"])
        #expect(run.status == 1)
        #expect(run.standardOutput.contains("DIFF  msgid 3 add"))
        #expect(run.standardOutput.contains("result: recorded 5, now 6"))
        // The type errors RPClite gives are unchanged.
        #expect(!run.standardOutput.contains("msgid 16 add"))
    }

    @Test func theProviderAppRegistersItsMethodsAsRecorded() throws {
        let (router, socket) = try router()
        defer { router.stop() }
        let run = try CommandRun(["replay", Self.tcpHop, "--target", "unix:" + socket, "--client", "127.0.0.1:49840"])
        #expect(run.status == 0, "\(run.standardOutput) \(run.standardError)")
        #expect(run.standardOutput.contains("replayed 4 calls from 127.0.0.1:49840"))
    }

    @Test func badTargetsAndClientsAreOneLineAndExitTwo() throws {
        let bad = try CommandRun(["replay", Self.tcpHop, "--target", "unix:"])
        #expect(bad.status == 2)
        #expect(bad.standardError == "rpc-analyze: --target unix:: expected tcp://HOST:PORT, unix:PATH or serial:DEVICE\n")
        let missing = try CommandRun(["replay", Self.tcpHop, "--target", "unix:/nonexistent/router.sock"])
        #expect(missing.status == 2)
        #expect(missing.standardError.contains("cannot connect to unix:/nonexistent/router.sock: No such file or directory"))
        let nobody = try CommandRun(["replay", Self.tcpHop, "--target", "unix:/x", "--client", "python3[1]"])
        #expect(nobody.status == 2)
        #expect(nobody.standardError.contains("--client python3[1]: "))
        #expect(nobody.standardError.contains("callers: 127.0.0.1:49840, 127.0.0.1:49846"))
        let notSerial = try CommandRun(["replay", Self.serialHop, "--target", "serial:/dev/null"])
        #expect(notSerial.status == 2)
        #expect(notSerial.standardError.contains("serial:/dev/null is not a terminal"))
    }

    // MARK: serial:

    @Test func theRecordedRouterCallsGiveTheSameAnswersFromTheMCU() throws {
        let (mcu, device) = try mcu()
        defer { mcu.stop() }
        let run = try CommandRun(["replay", Self.serialHop, "--target", "serial:" + device, "--format", "json"])
        #expect(run.status == 0, "\(run.standardOutput) \(run.standardError)")
        let report = try Self.json(run)
        #expect(report["client"] as? String == "core0")
        let summary = Self.summary(report)
        #expect(summary["answered"] as? Int == 20)
        #expect(summary["differing"] as? Int == 0)
        #expect(report["registered"] as? [String] == ["add", "echo", "scale", "sum", "slow", "set_led", "blob", "start_ticks", "greet"])
        #expect((report["notes"] as? [String] ?? []).contains { $0.contains("banner \"MCU starting RPC Bridge communication\"") })
        // The router's answers, as arduino-router gives them, and the app call the MCU made
        // answered with the recorded answer.
        #expect(mcu.line(within: 2, where: { $0 == "answer $/reset: error None, result True" }) != nil)
        #expect(mcu.line(within: 2, where: { $0 == "answer $/version: error None, result '0.0.0-dev'" }) != nil)
        #expect(mcu.line(within: 2, where: { $0 == "answer py_mul: error None, result 21" }) != nil)
        // 10 bits a byte at 115,200 baud: add [2, 3] is 10 bytes out and 5 back.
        let add = try #require((report["calls"] as? [[String: Any]])?.first)
        #expect(add["request_bytes"] as? Int == 10)
        #expect(add["answer_bytes"] as? Int == 5)
        #expect(add["wire_ns"] as? Int == 15 * 10 * 1_000_000_000 / 115_200)
    }

    @Test func aFirmwareAnsweringDifferentlyFailsNamingTheCall() throws {
        let (mcu, device) = try mcu(["--change", "add"])
        defer { mcu.stop() }
        let junit = Paths.temporary("serial-replay.xml")
        let run = try CommandRun(["replay", Self.serialHop, "--target", "serial:" + device, "--junit", junit])
        #expect(run.status == 1)
        #expect(run.standardOutput.contains("DIFF  msgid 1 add"))
        #expect(run.standardOutput.contains("result: recorded 5, now 6"))
        #expect(run.standardOutput.contains("20 answered, 4 differ from the recording"))
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("failures=\"4\""))
    }

    @Test func anMCUThatNeverStartsIsAClearTimeout() throws {
        let (mcu, device) = try mcu(["--silent"])
        defer { mcu.stop() }
        let started = Date()
        let run = try CommandRun(["replay", Self.serialHop, "--target", "serial:" + device, "--wait-reset", "1.5"])
        #expect(run.status == 2)
        #expect(run.standardError.contains("serial:\(device): the MCU did not start within 1.500 s: nothing came"))
        #expect(run.standardError.split(separator: "\n").count == 1)
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func anMCUDyingMidReplayIsSaidNotAHang() throws {
        let (mcu, device) = try mcu(["--die-after", "3"])
        defer { mcu.stop() }
        let started = Date()
        let run = try CommandRun(["replay", Self.serialHop, "--target", "serial:" + device, "--pace", "--timeout", "30"])
        #expect(run.status == 1)
        #expect(run.standardError.contains("serial:\(device) closed by the peer"))
        #expect(run.standardError.contains("during the replay: 3 of "))
        #expect(run.standardOutput.contains("no answer: serial:\(device) closed by the peer"))
        #expect(run.standardOutput.contains("not sent: serial:\(device) closed by the peer"))
        // Well under the 30 s answer timeout: the close is seen at once.
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func theCancelWedgeReplaysAsRecordedAndAFixedFirmwareDiffers() throws {
        let (wedged, device) = try mcu(["--wedge", "--heartbeat", "0.2"])
        defer { wedged.stop() }
        let run = try CommandRun(["replay", Self.wedge, "--target", "serial:" + device, "--timeout", "4"])
        // slow(3000) is still answered after its cancel; add [2, 2] and the echo after it are
        // not, as recorded.
        #expect(run.status == 0, "\(run.standardOutput) \(run.standardError)")
        #expect(run.standardOutput.contains("replayed 5 calls from core0"))
        #expect(run.standardOutput.contains("3 answered, 0 differ"))
        #expect(run.standardOutput.contains("mcu_heartbeat ×"))
        wedged.stop()

        let (fixed, fixedDevice) = try mcu()
        defer { fixed.stop() }
        let again = try CommandRun(["replay", Self.wedge, "--target", "serial:" + fixedDevice, "--timeout", "4"])
        #expect(again.status == 1)
        #expect(again.standardOutput.contains("DIFF  msgid 4 add"))
        #expect(again.standardOutput.contains("recorded no answer, now answered: result 4"))
    }
}
