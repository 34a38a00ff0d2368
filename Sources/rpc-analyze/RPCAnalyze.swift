import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

@main
struct RPCAnalyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc-analyze",
        abstract: "Decode, pair and check MessagePack-RPC traffic between the cores of a microcontroller.",
        discussion: """
        Reads pcap and pcapng captures of inter-core traffic (capture format v1: mailbox FIFOs, \
        shared-memory messages, UARTs, trace events) and of real links (TCP and UDP over \
        Ethernet, Linux cooked or loopback; USB serial; NuttX RPMsg), decodes the \
        MessagePack-RPC calls in them, pairs each request with its response, reports latency \
        per method and everything wrong on the wire, and replays inter-core traffic into a \
        board model to find races between the cores.

        Examples:
          # streams, per-method latency, findings
          rpc-analyze Captures/giga-servo.pcap
          # replay into the RP2040 model: UART races, FIFOs, locks, start-up
          rpc-analyze capture.pcap --board rp2040
          # every record and message, like tshark -V
          rpc-analyze capture.pcap --detail
          # for scripts: the report contract, or one object per line while reading
          rpc-analyze capture.pcap --format json > report.json
          tcpdump -r big.pcapng -w - | rpc-analyze - --format jsonl
          # every capture in a folder against its expected report
          rpc-analyze test Captures/
          # record a TCP session, then check a changed server against it
          rpc-analyze record --proxy 7001 --to 7000 -w session.pcap
          rpc-analyze replay session.pcap --target tcp://127.0.0.1:7000

        Exit status: 0 no finding at or above --fail-on, 1 at least one, 2 could not analyse.
        """,
        version: "0.1.0",
        subcommands: [AnalyzeCommand.self, TestCommand.self, BoardsCommand.self, RecordCommand.self, ReplayCommand.self,
                      WiresharkCommand.self,
                      SynthCommand.self, BenchCommand.self],
        defaultSubcommand: AnalyzeCommand.self
    )

    /// Runs the command line with the report contract's exit codes: usage errors are 2, not
    /// ArgumentParser's 64, because scripts read 2 as "could not analyse".
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            exitProcess(exit.rawValue)
        } catch is CouldNotAnalyse {
            exitProcess(2)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                exitProcess(0)
            }
            // One line, as every other failure: the first line of the parser's message and where
            // to look, not the usage block.
            let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? ""
            let text = message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message
            if !text.isEmpty { printError("rpc-analyze: \(text) (rpc-analyze --help)") }
            exitProcess(2)
        }
    }
}

func printError(_ message: String, newline: Bool = true) {
    var text = message
    if newline, !text.hasSuffix("\n") { text += "\n" }
    let bytes = Array(text.utf8)
    bytes.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
}

/// A failure that has been explained on standard error already: exit 2 with nothing more to say.
struct CouldNotAnalyse: Error {
    init(_ message: String) {
        printError("rpc-analyze: " + message)
    }
}

func fflushStandardOutput() {
    fflush(nil)
}

func exitProcess(_ code: Int32) -> Never {
    exit(code)
}
