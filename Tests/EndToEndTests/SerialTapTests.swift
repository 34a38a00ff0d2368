import Foundation
import Regression
import Testing

/// `record --tap-serial` alone, on real ptys: the line settings the pty's program sets reach the
/// device (or are refused in one line), bytes pass both ways and are recorded as the two cores'
/// uart writes. Tests/Fixtures/tap_line_settings.py plays the router and the device's far end.
@Suite(.serialized)
struct SerialTapTests {
    private func drive(_ name: String, _ extra: [String] = []) throws -> [String: Any] {
        let directory = Paths.temporary("tap-\(name)")
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let run = try CommandRun(["/usr/bin/env", "python3", "Tests/Fixtures/tap_line_settings.py", Paths.executable.path,
                                  directory] + extra, direct: true)
        return try #require(try JSONDifference.parse(run.standardOutput) as? [String: Any], "\(run.standardError)")
    }

    @Test func theRoutersLineSettingsReachTheDeviceAndBytesPassBothWays() throws {
        let result = try drive("pty")
        #expect(result["device_speed"] as? Int == result["b57600"] as? Int, "\(result)")
        #expect(result["arrived"] as? String == "940001a3616464920102")
        #expect(result["answer"] as? String == "940101c003")
        #expect(result["exit"] as? Int == 0, "\(result)")
        let said = result["said"] as? String ?? ""
        #expect(said.contains("the pty was set to 57600 8N1; applied"), "\(said)")
        #expect(result["link_left"] as? Bool == false)
        let capture = Paths.temporary("tap-pty") + "/tap.pcapng"
        let report = try ProxyPeers.report(capture)
        let call = try #require(ProxyPeers.transactions(report).first)
        #expect(call["method"] as? String == "add" && call["caller"] as? String == "core0" && call["callee"] as? String == "core1")
        #expect(call["channel"] as? String == "uart0" && call["result"] as? Int == 3, "\(call)")
    }

    @Test func aDeviceThatIsNotATerminalIsSaidOnceWhenTheLineChanges() throws {
        let result = try drive("fifo", ["--fifo"])
        let said = result["said"] as? String ?? ""
        let refusals = said.split(separator: "\n").filter { $0.contains("cannot apply it: not a terminal") }
        #expect(refusals.count == 1, "\(said)")
        #expect(result["exit"] as? Int == 0)
    }
}
