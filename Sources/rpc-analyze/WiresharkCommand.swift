import ArgumentParser
import Foundation

struct WiresharkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wireshark",
        abstract: "Open captures in Wireshark: install the dissector for capture format v1 and MessagePack-RPC.",
        discussion: """
        The dissector (Lua) shows the record header (kind, channel, src, dst, flags, seq) and the \\
        MessagePack-RPC inside: type, msgid, method, params, result and error, requests and \\
        responses linked both ways with the response time, also for messages split across \\
        records. Display filters work:

          rpc-analyze wireshark --install
          wireshark capture.pcap
          tshark -2 -r capture.pcap -Y 'icrpc.method == "servo_write" && icrpc.time > 0.002'

        Without --install it prints where the dissector is; --print writes it to standard output \\
        (to copy into another machine's plugin folder, or to pass as -X lua_script:FILE).
        """
    )

    @Flag(help: "Copy the dissector into your Wireshark plugin folder (~/.local/lib/wireshark/plugins).")
    var install = false

    @Flag(help: "Write the dissector to standard output.")
    var print = false

    static var dissector: URL? { Bundle.module.url(forResource: "icrpc", withExtension: "lua") }

    func run() throws {
        guard let source = Self.dissector else { throw CouldNotAnalyse("the dissector is missing from this build") }
        if print {
            FileHandle.standardOutput.write(try Data(contentsOf: source))
            return
        }
        guard install else {
            Swift.print(source.path)
            return
        }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        let folder = URL(fileURLWithPath: home).appendingPathComponent(".local/lib/wireshark/plugins")
        let target = folder.appendingPathComponent("icrpc.lua")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
            try FileManager.default.copyItem(at: source, to: target)
        } catch {
            throw CouldNotAnalyse("cannot install the dissector into \(folder.path): \(error.localizedDescription)")
        }
        Swift.print("installed \(target.path); Wireshark and tshark load it at their next start")
    }
}
