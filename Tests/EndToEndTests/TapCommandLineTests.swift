import Foundation
import Testing

/// What `record --tap-serial` and `record --proxy unix:` say to input they cannot take: one
/// line, exit status 2, and nothing of the user's touched (the -w file, a path that is not ours).
struct TapCommandLineTests {
    private func refused(_ arguments: [String]) throws -> String {
        let run = try CommandRun(["record"] + arguments)
        #expect(run.status == 2, "\(run.standardError)")
        let lines = run.standardError.split(separator: "\n")
        #expect(lines.count == 1, "\(run.standardError)")
        return String(lines.first ?? "")
    }

    @Test func aDeviceThatIsNotThereIsOneLineAndTheFileIsLeftAlone() throws {
        let file = Paths.temporary("kept.pcap")
        try Data("mine".utf8).write(to: URL(fileURLWithPath: file))
        let said = try refused(["--tap-serial", "/nonexistent/ttyHS1", "--pty", Paths.temporary("tap-pty"), "-w", file])
        #expect(said == "rpc-analyze: --tap-serial /nonexistent/ttyHS1: No such file or directory")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "mine")
    }

    @Test func aPtyPathOrASocketPathThatIsSomethingElseIsNotTaken() throws {
        let regular = Paths.temporary("not-a-link")
        try Data("mine".utf8).write(to: URL(fileURLWithPath: regular))
        let file = Paths.temporary("never.pcap")
        #expect(try refused(["--tap-serial", "/dev/null", "--pty", regular, "-w", file]).hasSuffix("it exists and is not a symbolic link"))
        #expect(try refused(["--proxy", "unix:\(regular)", "--to", "unix:/nonexistent.sock", "-w", file])
            .hasSuffix("it exists and is not a socket"))
        #expect(try String(contentsOfFile: regular, encoding: .utf8) == "mine")
        #expect(!FileManager.default.fileExists(atPath: file))
    }

    @Test(arguments: [
        (["--tap-serial", "/dev/null", "-w", "x.pcap"], "--tap-serial DEVICE and --pty PATH go together"),
        (["--tap-serial", "/dev/null", "--pty", "/tmp/p", "--baud", "12345", "-w", "x.pcap"], "--baud 12345 is not a speed"),
        (["--proxy", "unix:", "--to", "unix:/x", "-w", "x.pcap"], "--proxy unix:: expected host:port"),
        (["--proxy", "7001", "--to", "7000", "--tap-serial", "/dev/null", "--pty", "/tmp/p", "--link", "tcp", "-w", "x.pcap"], "--link tcp cannot go with --tap-serial"),
    ])
    func badOptionsAreOneLine(arguments: [String], saying: String) throws {
        #expect(try refused(arguments).contains(saying))
    }
}
