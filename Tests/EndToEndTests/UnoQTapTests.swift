import Foundation
import Testing

/// `record --proxy unix: --to unix: --tap-serial --pty` on the UNO Q's stack run on one machine
/// (UnoQStack: the real Python bridge, the real router when built, our stand-in MCU), and under
/// the faults it meets on a board: the MCU reset (its side closing and coming back), a router
/// restart, an app killed in the middle of a call, the recorder killed, a peer that stops reading.
@Suite(.serialized, .enabled(if: UnoQStack.bridgeInstalled, "pip install arduino-router-bridge (scripts/install-deps.sh)"))
struct UnoQTapTests {
    typealias Stack = UnoQStack

    static let calls = #"""
        [["add", [2, 3], 5], ["add", [40, 2], 5], ["echo", ["hello"], 5], ["add", ["x", 1], 5],
         ["no_such_method", [], 5], ["$/version", [], 5], ["notify", "set_led", [true]]]
        """#

    @Test func theBridgesCallsAnalyseToWhatTheAppGot() throws {
        // --baud 9600: the router's 115200 must reach the device through the pty's settings.
        let stack = try Stack("calls", recorder: ["--baud", "9600"])
        defer { stack.stop() }
        let app = try stack.app(Self.calls)
        let got = try Stack.results(app)
        #expect(got.count == 7, "\(got)")
        #expect(got[0]["result"] as? Int == 5 && got[1]["result"] as? Int == 42 && got[2]["result"] as? String == "hello")
        #expect((got[3]["error"] as? [Any])?.first as? Int == 0xFD, "\(got[3])")
        #expect((got[4]["error"] as? [Any])?.first as? Int == 2, "\(got[4])")
        #expect(app.exitStatus(within: 20) == 0)
        #expect(stack.stopRecorder() == 0, "\(stack.recorder.text(.errors))")
        let said = stack.recorder.text(.errors)
        #expect(said.contains("the pty was set to 115200 8N1; applied"), "\(said)")
        // The link and the socket go with the recorder.
        #expect(!FileManager.default.fileExists(atPath: stack.proxySocket))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: stack.ptyLink)) == nil)

        let report = try stack.report()
        // The app's hop: every call once, with what the app was answered.
        let appHop = Stack.calls(report, channel: "message0")
        #expect(Stack.counts(appHop) == ["add": 3, "echo": 1, "no_such_method": 1, "$/version": 1], "\(appHop)")
        // Core 2, which the analysis names after the party.name record: the app's program and pid.
        let appName = "python3[\(app.process.processIdentifier)]"
        #expect(appHop.allSatisfy { $0["caller"] as? String == appName && $0["callee"] as? String == "core0" }, "\(appHop)")
        #expect(appHop.compactMap { $0["result"] as? Int } == [5, 42])
        #expect(appHop.first { $0["method"] as? String == "no_such_method" }?["status"] as? String == "error")
        // The serial hop: the MCU's start, and the calls the router sent on under its own msgids.
        let serial = Stack.calls(report, channel: "uart0")
        #expect(Stack.counts(serial) == ["$/reset": 1, "$/register": 4, "add": 3, "echo": 1], "\(serial)")
        let routed = serial.filter { $0["caller"] as? String == "core0" }
        #expect(routed.count == 4 && routed.allSatisfy { $0["callee"] as? String == "core1" })
        #expect(routed.compactMap { $0["result"] as? Int } == [5, 42])
        #expect(routed.compactMap { ($0["error"] as? [Any])?.last as? String } == ["Wrong type parameter in position: 0"])
        let notifications = (report["notifications"] as? [[String: Any]] ?? []).compactMap { $0["method"] as? String }
        #expect(notifications.filter { $0 == "set_led" }.count == 2, "\(notifications)")
        // The app is named in the capture by its program and pid.
        let detail = try CommandRun([stack.capture, "--detail"]).standardOutput
        #expect(detail.contains("party.name(\"python3[\(app.process.processIdentifier)]\")"), "\(detail.prefix(3000))")
        #expect(!ProxyPeers.findingRules(report).contains("malformed-record"))

        // On the board uno-q each app call is one transaction across the router, by the app's name.
        let board = try ProxyPeers.report(stack.capture, ["--board", "uno-q"])
        let appCalls = ProxyPeers.transactions(board).filter { $0["caller"] as? String == appName }
        #expect(Stack.counts(appCalls) == ["add": 3, "echo": 1, "no_such_method": 1, "$/version": 1], "\(appCalls)")
        let linked = appCalls.filter { $0["via"] as? String == "arduino-router" }
        #expect(linked.count == 4 && linked.allSatisfy { ($0["hops"] as? [Any])?.count == 2 }, "\(linked)")
        #expect(appCalls.compactMap { $0["result"] as? Int } == [5, 42])
    }

    @Test func theMCUGoingAwayAndComingBackIsWaitedFor() throws {
        let stack = try Stack("mcu-reset")
        defer { stack.stop() }
        #expect(try Stack.results(try stack.app(#"[["add", [1, 2], 5]]"#)).first?["result"] as? Int == 3)
        try stack.restartMCU()
        #expect(stack.recorder.line(.errors, within: 10) { $0.contains("gone") } != nil, "\(stack.recorder.text(.errors))")
        try stack.waitForMCU()
        #expect(stack.recorder.line(.errors, within: 10) { $0.contains("back (reopened 1 time)") } != nil)
        let after = try Stack.results(try stack.app(#"[["add", [5, 6], 5]]"#, ["--retry-until", "20"]))
        #expect(after.first?["result"] as? Int == 11, "\(after)")
        #expect(stack.stopRecorder() == 0)
        #expect(stack.recorder.text(.errors).contains("went away 1 times and came back 1"), "\(stack.recorder.text(.errors))")
        let serial = Stack.calls(try stack.report(), channel: "uart0")
        #expect(Stack.counts(serial)["$/reset"] == 2, "\(Stack.counts(serial))")
        #expect(serial.filter { $0["method"] as? String == "add" }.compactMap { $0["result"] as? Int } == [3, 11])
    }

    @Test func aRouterRestartDoesNotEndTheRecording() throws {
        let stack = try Stack("router-restart")
        defer { stack.stop() }
        #expect(try Stack.results(try stack.app(#"[["add", [1, 1], 5]]"#)).first?["result"] as? Int == 2)
        // As systemd restarts arduino-router.service: its ExecStartPre resets the MCU too.
        stack.router.stop()
        usleep(500_000)
        try stack.restartRouter()
        try stack.restartMCU()
        try stack.waitForMCU()
        let after = try Stack.results(try stack.app(#"[["add", [7, 8], 5]]"#, ["--retry-until", "30"]))
        #expect(after.first?["result"] as? Int == 15, "\(after)")
        #expect(stack.recorder.process.isRunning)
        #expect(stack.stopRecorder() == 0, "\(stack.recorder.text(.errors))")
        let report = try stack.report()
        let adds = Stack.calls(report, channel: "uart0").filter { $0["method"] as? String == "add" }
        #expect(adds.compactMap { $0["result"] as? Int } == [2, 15])
        #expect(ProxyPeers.transactions(report).filter { $0["method"] as? String == "add" && $0["status"] as? String == "ok" }.count == 4)
    }

    @Test func anAppKilledInTheMiddleOfACallTakesOnlyItsOwnCall() throws {
        let stack = try Stack("app-killed")
        defer { stack.stop() }
        let doomed = try stack.app(#"[["slow", [1500], 10]]"#)
        #expect(stack.mcu.line(within: 20) { $0 == "request slow" } != nil)
        doomed.stop()
        let otherApp = try stack.app(#"[["add", [20, 22], 5]]"#)
        let other = try Stack.results(otherApp)
        #expect(other.first?["result"] as? Int == 42)
        usleep(2_000_000)
        #expect(stack.stopRecorder() == 0)
        let report = try stack.report()
        // The killed app's call has no answer on its hop; the MCU still answered the router.
        let killed = Stack.calls(report, channel: "message0")
        #expect(killed.first?["method"] as? String == "slow" && killed.first?["status"] as? String == "unanswered", "\(killed)")
        let slow = Stack.calls(report, channel: "uart0").first { $0["method"] as? String == "slow" }
        #expect(slow?["status"] as? String == "ok" && slow?["result"] as? Int == 1500, "\(String(describing: slow))")
        // Each connection its own channel and core.
        let second = Stack.calls(report, channel: "message1").first
        #expect(second?["result"] as? Int == 42 && second?["caller"] as? String == "python3[\(otherApp.process.processIdentifier)]",
                "\(String(describing: second))")
    }

    @Test func aKilledRecorderLeavesEveryCallOnDiskAndItsPathsToTheNextOne() throws {
        let stack = try Stack("recorder-killed")
        defer { stack.stop() }
        let got = try Stack.results(try stack.app(#"[["add", [1, 2], 5], ["echo", ["kept"], 5]]"#))
        #expect(got.count == 2)
        usleep(500_000)
        stack.recorder.signal(SIGKILL)
        #expect(stack.recorder.exits(within: 10))
        let report = try stack.report()
        #expect(Stack.counts(Stack.calls(report, channel: "message0")) == ["add": 1, "echo": 1])
        #expect(Stack.counts(Stack.calls(report, channel: "uart0")) == ["$/reset": 1, "$/register": 4, "add": 1, "echo": 1])
        #expect(!ProxyPeers.findingRules(report).contains("malformed-record"))
        // The socket file and the link it left are taken over by the next recorder.
        let next = try stack.startRecorder()
        defer { next.stop() }
        #expect(next.process.isRunning, "\(next.text(.errors))")
    }

    @Test func aStoppedMCUHoldsUpOnlyTheSerialDirectionToIt() throws {
        let stack = try Stack("stalled-mcu")
        defer {
            stack.mcu.signal(SIGCONT)
            stack.stop()
        }
        stack.mcu.signal(SIGSTOP)
        // 300 notifications of 1 KiB for the MCU: more than the ptys and the tap hold for it.
        let flooder = try stack.app(#"[["notify_many", "echo", 300, 1024]]"#, ["--hold", "30"])
        #expect(flooder.line(within: 30) { $0 == "done" } != nil)
        // The router's own answers, through the proxy, do not wait for the stalled serial line.
        let started = Date()
        let version = try Stack.results(try stack.app(#"[["$/version", [], 5]]"#))
        #expect(version.first?["result"] is String, "\(version)")
        #expect(Date().timeIntervalSince(started) < 10)
        stack.mcu.signal(SIGCONT)
        // Once it reads again, everything waiting reaches it, and it answers.
        let after = try Stack.results(try stack.app(#"[["add", [2, 2], 20]]"#))
        #expect(after.first?["result"] as? Int == 4, "\(after)")
        let deadline = Date().addingTimeInterval(30)
        while stack.mcu.lines(.output).filter({ $0 == "notification echo" }).count < 300, Date() < deadline { usleep(50_000) }
        #expect(stack.stopRecorder() == 0)
        let notifications = (try stack.report()["notifications"] as? [[String: Any]] ?? [])
        let toMCU = notifications.filter { $0["method"] as? String == "echo" && $0["to"] as? String == "core1" }
        #expect(toMCU.count == 300, "\(toMCU.count) of 300 notifications reached the serial hop's record")
    }

    /// RPClite's wedges: a notification it has no handler for (the `$/cancelRequest` the bridge
    /// sends when a call times out) or a request longer than its 256-byte buffer is never
    /// consumed, and every later call to the MCU goes unanswered while its heartbeats go on.
    @Test(arguments: ["cancel", "oversized"])
    func aWedgedMCUIsRecordedAsItHappened(cause: String) throws {
        let stack = try Stack("wedge-\(cause)", mcu: ["--wedge"])
        defer { stack.stop() }
        let first = cause == "cancel" ? #"["slow", [2000], 1]"# : #"["echo", ["\#(String(repeating: "x", count: 300))"], 1]"#
        // The router sends the cancel on from a goroutine of its own: a call right behind it may overtake it.
        let got = try Stack.results(try stack.app("[\(first), [\"sleep\", 0.3], [\"add\", [2, 2], 1], [\"$/version\", [], 5]]"))
        #expect(got.count == 3 && got[0]["timeout"] as? Bool == true && got[1]["timeout"] as? Bool == true, "\(got)")
        #expect(got[2]["result"] is String)
        #expect(stack.mcu.line(within: 10) { $0.hasPrefix("wedged by") } != nil)
        // The slow call's own answer still comes (RPClite was already running it), then heartbeats.
        usleep(cause == "cancel" ? 2_500_000 : 1_000_000)
        #expect(stack.stopRecorder() == 0)
        let report = try stack.report()
        let serial = Stack.calls(report, channel: "uart0")
        let add = try #require(serial.first { $0["method"] as? String == "add" })
        #expect(add["status"] as? String == "unanswered", "\(add)")
        let notifications = report["notifications"] as? [[String: Any]] ?? []
        let cancels = notifications.filter { $0["method"] as? String == "$/cancelRequest" }
        // The bridge cancels on its hop, and the router sends it on to the MCU.
        #expect(cancels.contains { $0["to"] as? String == "core0" } && cancels.contains { $0["to"] as? String == "core1" }, "\(cancels)")
        let addSent = add["request_ns"] as? Int ?? .max
        #expect(notifications.contains { $0["method"] as? String == "mcu_heartbeat" && ($0["time_ns"] as? Int ?? 0) > addSent })
        if cause == "cancel" {
            #expect(serial.first { $0["method"] as? String == "slow" }?["status"] as? String == "ok")
        }
    }
}
